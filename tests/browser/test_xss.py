"""Stored XSS: a hostile service name stays text on every map page, and inline scripts
without the request's nonce never run."""

from __future__ import annotations

import pytest
import yaml

from tests.browser.conftest import serving
from web.settings import DATA_DIR

pytestmark = pytest.mark.browser

PAYLOAD = "CCAS ${document.title='X'} `+(document.title='Y')+` </script><img src=x onerror=\"document.title='Z'\">"
TARGET = "ccas-allonnes"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The bundled directory with one service renamed to the payload."""
    tmp = tmp_path_factory.mktemp("xss")
    data = yaml.safe_load((DATA_DIR / "partners.yaml").read_text(encoding="utf-8"))
    for entry in data["services"]:
        if entry["id"] == TARGET:
            entry["name"] = PAYLOAD
    data_file = tmp / "partners.yaml"
    data_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with serving(tmp, DATA_FILE=str(data_file)) as url:
        yield url


def _assert_untouched(page, title: str):
    assert page.title() == title
    assert page.js_errors == []


def _injected_inline_script_runs(page) -> bool:
    return page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.appendChild(s);
        return window.__injected === true; }""")


def _open_marker_popup(page, selector: str) -> str:
    page.locator(selector).first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    return popup.inner_text()


def test_hostile_name_stays_text_on_the_service_sheet(hostile_server, page_factory):
    page, _log = page_factory(hostile_server, f"/services/{TARGET}")
    title = page.evaluate("() => document.querySelector('title').textContent")
    page.wait_for_selector(".leaflet-marker-pane .map-pin")
    _assert_untouched(page, title)
    assert PAYLOAD in _open_marker_popup(page, ".leaflet-marker-pane .map-pin")
    _assert_untouched(page, title)
    assert not _injected_inline_script_runs(page)


def test_hostile_name_stays_text_on_an_orientation_map(hostile_server, page_factory):
    page, _log = page_factory(hostile_server, "/orientation?commune=72003&problems=impayes_loyer")
    title = page.evaluate("() => document.querySelector('title').textContent")
    _assert_untouched(page, title)
    popups = page.evaluate("""() => {
        const found = [];
        for (const value of Object.values(window)) {
            if (value instanceof L.Map) {
                value.eachLayer(l => {
                    if (l.getPopup && l.getPopup()) found.push(l.getPopup().getContent().textContent);
                });
            }
        }
        return found; }""")
    assert any(text.startswith("1. " + PAYLOAD) or PAYLOAD in text for text in popups)
    _assert_untouched(page, title)
    assert not _injected_inline_script_runs(page)


def test_hostile_name_stays_text_on_the_cartography(hostile_server, page_factory):
    page, _log = page_factory(hostile_server, "/carte?coverage=ccas")
    title = page.evaluate("() => document.querySelector('title').textContent")
    page.wait_for_selector(".leaflet-marker-icon")
    _assert_untouched(page, title)
    assert not _injected_inline_script_runs(page)
