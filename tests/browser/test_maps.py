"""Maps in a real browser: markers, popups, layers, coverage, offline, screenshots."""

import pytest

from tests.browser.conftest import VIEWPORTS, screenshot

pytestmark = pytest.mark.browser

ORIENTATION = "/orientation?commune=72003&problems=impayes_loyer&problems=troubles_voisinage"


def _visible_pins(page, selector=".leaflet-marker-pane .map-pin:not(.map-pin--home)"):
    return page.locator(selector).count()


def test_orientation_map_shows_one_marker_per_listed_service(live_server, page_factory):
    page, _log = page_factory(live_server, ORIENTATION)
    located = set(page.eval_on_selector_all(
        'li.service[data-located="oui"]', "els => els.map(e => e.dataset.serviceId)"))
    assert len(located) >= 3
    assert _visible_pins(page) == len(located)
    assert page.locator(".leaflet-marker-pane .map-pin--home").count() == 1
    assert page.js_errors == []


def test_clicking_a_marker_opens_its_popup(live_server, page_factory):
    page, _log = page_factory(live_server, ORIENTATION)
    first = page.locator(".leaflet-marker-pane .map-pin:not(.map-pin--home)").first
    rank = first.inner_text()
    first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().startswith(f"{rank}. ")
    link = popup.locator("a", has_text="Voir la fiche")
    assert link.get_attribute("href").startswith("/services/")


def test_cartography_layers_toggle(live_server, page_factory):
    page, _log = page_factory(live_server, "/carte")
    page.wait_for_selector(".leaflet-marker-icon")
    before = page.locator(".leaflet-marker-icon").count()
    checkboxes = page.locator(".leaflet-control-layers-overlays input[type=checkbox]")
    assert checkboxes.count() >= 5
    for index in range(checkboxes.count()):
        checkboxes.nth(index).uncheck()
    assert page.locator(".leaflet-marker-icon").count() == 0
    checkboxes.first.check()
    after = page.locator(".leaflet-marker-icon").count()
    assert 0 < after <= before
    assert page.js_errors == []


def test_coverage_view_marks_an_uncovered_commune(live_server, page_factory):
    page, _log = page_factory(live_server, "/carte?coverage=ccas")
    summary = page.locator(".coverage-summary")
    not_covered = int(summary.get_attribute("data-not-covered"))
    assert not_covered > 300
    # A choropleth: every commune is its outline (fetched from the server), none a circle.
    page.wait_for_selector('.leaflet-container[data-areas="outlines"]')
    assert page.locator("path.coverage--not_covered").count() == not_covered
    assert page.locator("path.coverage").count() == 352
    outline = page.locator("path.coverage--covered").first.get_attribute("d")
    assert outline.count("L") > 4  # a polygon, not a circle's two arcs
    tooltips = page.evaluate("""() => {
        const found = [];
        for (const key of Object.keys(window)) {
            const value = window[key];
            if (value && value instanceof L.Map) {
                value.eachLayer(l => {
                    if (l.getTooltip && l.getTooltip()) {
                        // Tooltips are DOM nodes built with textContent, never HTML strings.
                        found.push(l.getTooltip().getContent().textContent.trim());
                    }
                });
            }
        }
        return found; }""")
    assert "Ruaudin : non couverte" in tooltips
    assert "Allonnes : couverte" in tooltips


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize(("name", "path"), [
    ("orientation", ORIENTATION),
    ("fiche-service", "/services/cmp-sable"),
    ("carte", "/carte?coverage=cmp"),
])
def test_map_pages_render_offline_and_are_captured(live_server, page_factory, name, path, viewport):
    page, log = page_factory(live_server, path, viewport)
    page.wait_for_selector(".leaflet-container")
    assert page.locator(".leaflet-container").bounding_box()["height"] > 200
    assert page.js_errors == []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"] + 1
    assert screenshot(page, f"{name}-{viewport}").stat().st_size > 5000


@pytest.mark.parametrize("viewport", ["telephone-390", "bureau-1366"])
def test_coverage_has_its_own_legend_and_stays_on_the_territory(live_server, page_factory, viewport):
    from web.maps.builders import COVERAGE_COLOURS, DOMAIN_COLOURS

    page, _log = page_factory(live_server, "/carte?coverage=ccas", viewport)
    legend = page.locator(".legend--coverage")
    assert legend.is_visible()
    page.wait_for_selector('.leaflet-container[data-areas="outlines"]')
    # The town halls are a layer of their own, off until asked for.
    town_halls = page.locator(".leaflet-control-layers-overlays label", has_text="Mairies (352)")
    assert town_halls.locator("input").is_checked() is False
    # The open layer list leaves most of the map visible, on a phone too.
    listed = page.locator(".leaflet-control-layers").bounding_box()["height"]
    assert listed < 0.5 * page.locator(".leaflet-container").bounding_box()["height"]
    assert {item.get_attribute("data-status") for item in legend.locator("[data-status]").all()} == \
        {"covered", "distant", "not_covered"}
    assert not set(COVERAGE_COLOURS.values()) & set(DOMAIN_COLOURS.values())
    # Clusters are grey, not Leaflet's green and yellow (read as « couverte », « de loin »).
    cluster = page.locator(".marker-cluster div").first
    cluster.wait_for()
    assert cluster.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(55, 65, 81, 0.85)"
    # The view is centred on the Sarthe's communes (a service elsewhere does not move it).
    centre = page.evaluate("""() => { for (const key of Object.keys(window)) { const value = window[key];
        if (value && value instanceof L.Map) { const c = value.getCenter(); return [c.lat, c.lng]; } } }""")
    assert 47.6 < centre[0] < 48.4 and -0.2 < centre[1] < 0.7
    screenshot(page, f"carte-couverture-{viewport}")
