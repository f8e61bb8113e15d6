"""The directory search on a 360-px phone, with the keyboard alone."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_search_works_on_a_phone_with_the_keyboard_alone(live_server, page_factory):
    page, _log = page_factory(live_server, "/annuaire", "telephone")
    # Tab from the top of the page until the search field has the focus.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == "q":
            break
    assert page.evaluate("() => document.activeElement.id") == "q"
    page.keyboard.type("il boit")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "commune"
    page.keyboard.type("Mamers")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result-card")
    assert "Consommation d'alcool" in page.locator(".understood").inner_text()
    first = page.locator(".result-card").first
    assert "CSAPA" in first.inner_text() or page.locator('.result-card[data-types~="csapa"]').count() > 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 361
    focused_outline = page.evaluate("""() => { const a = document.querySelector('.result-card a');
        a.focus(); return getComputedStyle(a).outlineStyle; }""")
    assert focused_outline != "none"
    assert page.js_errors == []
    screenshot(page, "annuaire-telephone")


def test_phone_numbers_never_wrap_and_disclosures_show_a_marker(live_server, page_factory):
    page, _log = page_factory(live_server, "/annuaire?q=ccas&commune=72003", "telephone")
    page.wait_for_selector(".result-card")
    # Each number is on one line: a wrapped inline box has several client rectangles.
    lines = page.evaluate("""() => [...document.querySelectorAll('.phone__number, .line strong')]
        .map(e => e.getClientRects().length)""")
    assert lines and set(lines) == {1}
    markers = page.evaluate("""() => [...document.querySelectorAll('details > summary')]
        .map(s => getComputedStyle(s, '::before').content)""")
    assert markers and all(m not in ("none", "normal", "") for m in markers)
    screenshot(page, "annuaire-numeros-telephone")
