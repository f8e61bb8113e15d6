"""The caretaker's journey on a phone and a desktop: what they see typed in their own
words, who to call, the emergency numbers once, the answer close to the top."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

WIDTHS = ["telephone-390", "bureau-1366"]


def _orient_as_caretaker(page, description: str):
    page.fill("#commune", "Le Mans")
    page.locator("input[name='role'][value='gardien']").check(force=True)
    page.fill("#description", description)
    page.locator("form.orientation-form button[type=submit]:not([name])").last.click()
    page.wait_for_selector(".suggestion")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_caretakers_answer_gives_the_numbers_once_and_comes_early(live_server, page_factory, viewport):
    page, _log = page_factory(live_server, "/orientation", viewport)
    assert page.locator(".site-header a[href='tel:15']").count() == 1  # before an answer: in the header
    _orient_as_caretaker(page, "courrier qui déborde, volets fermés, odeur")
    # The answer has its own emergency block: the header points to it instead of repeating it.
    assert page.locator("a[href='tel:15']").count() == 1
    assert page.locator("#urgences-renvoi a[href='#urgence-titre']").count() == 1
    # No child mentioned: neither 119 nor the CRIP.
    assert page.locator(".urgency a[href='tel:119']").count() == 0
    first = page.evaluate("() => document.querySelector('.suggestion').getBoundingClientRect().top + scrollY")
    assert first < 1450
    # What was read stays one tap away, with a visible marker.
    summary = page.locator(".understood-box > summary")
    assert summary.is_visible() and not page.locator(".understood-box .understood").is_visible()
    summary.click()
    assert page.locator(".understood-box .understood").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
    assert page.js_errors == []
    screenshot(page, f"gardien-orientation-{viewport}")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_caretakers_search_in_lay_words(live_server, page_factory, viewport):
    page, _log = page_factory(live_server, "/annuaire?q=il+boit&commune=Le+Mans", viewport)
    page.wait_for_selector(".result-card")
    assert "Consommation d'alcool" in page.locator(".understood").inner_text()
    numbers = page.evaluate("""() => [...document.querySelectorAll('.phone__number')]
        .map(e => e.getClientRects().length)""")
    assert numbers and all(count == 1 for count in numbers)  # never wrapped mid-number
    # Placeholder numbers are never a tel: link.
    assert page.locator(".result-card a[href^='tel:02430000']").count() == 0
    screenshot(page, f"gardien-annuaire-{viewport}")
