"""The social worker's journey: a three-problem household's orientation, its printable
sheet on one A4 page with nothing clipped, and the commune asked for when ambiguous."""

import re

import pytest

from tests.browser.conftest import SCREENSHOTS, screenshot

pytestmark = pytest.mark.browser

THREE_PROBLEMS = ("commune=72181&problems=impayes_loyer&problems=addiction_alcool"
                  "&problems=troubles_psychiques_suspectes")
A4_CONTENT_WIDTH_PX = (210 - 2 * 9) / 25.4 * 96  # A4 width minus the sheet's side margins


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_the_sheet_of_a_three_problem_household_prints_on_one_a4_page(live_server, page_factory):
    page, _log = page_factory(live_server, f"/orientation/fiche?{THREE_PROBLEMS}")
    assert page.locator(".suggestion").count() >= 6
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "fiche-orientation.pdf").write_bytes(pdf)
    assert _pdf_pages(pdf) == 1
    # Nothing wider than the printed page: every box ends inside the content width.
    page.set_viewport_size({"width": int(A4_CONTENT_WIDTH_PX), "height": 1100})
    widest = page.evaluate("""() => Math.max(...[...document.querySelectorAll('main *')]
        .map(e => e.getBoundingClientRect().right))""")
    assert widest <= A4_CONTENT_WIDTH_PX + 0.5
    dates = page.locator(".sheet-meta").inner_text()
    assert "1er " in dates or not re.search(r"\b1 \w+ 20\d\d", dates)
    screenshot(page, "fiche-orientation-impression")


@pytest.mark.parametrize("viewport", ["telephone", "bureau"])
def test_an_ambiguous_commune_is_asked_then_the_orientation_given(live_server, page_factory, viewport):
    page, _log = page_factory(live_server, "/orientation", viewport)
    page.fill("#commune", "le mnas")
    page.locator("input[name='problems'][value='impayes_loyer']").check(force=True)
    page.locator("form.orientation-form button[type=submit]:not([name])").last.click()
    choice = page.locator("button[name='commune_choice'][value='72181']")
    choice.wait_for()
    assert choice.inner_text() == "Le Mans (72)"
    screenshot(page, f"orientation-commune-a-choisir-{viewport}")
    choice.click()
    page.wait_for_selector("#compris")
    assert "Le Mans" in page.locator("#compris").inner_text()
    assert page.locator(".suggestion").count() > 0
    # No internal reference mark on the page.
    assert not re.search(r"\[V:|V:R\d|REFERENCE §|\[\?\]|\[K\]", page.locator("main").inner_text())
    assert page.js_errors == []


@pytest.mark.parametrize("viewport", ["telephone", "bureau"])
def test_a_search_outside_the_territory_says_so(live_server, page_factory, viewport):
    page, _log = page_factory(live_server, "/annuaire?q=csapa&commune=Paris", viewport)
    notice = page.locator("#outside-territory")
    assert notice.is_visible() and "hors du territoire" in notice.inner_text()
    page, _log = page_factory(live_server, "/annuaire?q=ccas&commune=Saint-Georges", viewport)
    options = page.locator(".commune-options a[data-insee]")
    assert options.count() > 3
    screenshot(page, f"annuaire-homonymes-{viewport}")
    options.first.click()
    page.wait_for_selector("#resultats")
