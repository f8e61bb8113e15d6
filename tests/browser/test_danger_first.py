"""The danger answer first: on a phone (390 × 844) and a laptop (1366 × 768), a danger
search or orientation shows a call link to the right first number within the first screen;
« Oui » to « Quelqu'un est-il en danger maintenant ? » gives the danger answer."""

from urllib.parse import urlencode

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

WIDTHS = ["telephone-390", "bureau-1366"]
# What a caretaker types, and the number to call first (REFERENCE §6.1; 3114 for suicidal words).
DANGERS = [
    ("suicide", "elle m'a dit qu'elle voulait en finir", "3114"),
    ("gaz", "odeur de gaz dans la cage d'escalier", "18"),
    ("violence", "il tape sa femme, j'entends les cris", "17"),
    ("sans-signe-de-vie", "on le voit plus depuis 10 jours, boîte aux lettres pleine et ça sent mauvais", "18"),
]


def _first_call_link(page) -> dict:
    """The first tel: link of the danger box: its number and its top edge on the page."""
    return page.evaluate("""() => {
        const link = document.querySelector('.urgency a[href^="tel:"]');
        if (!link) return null;
        const box = link.getBoundingClientRect();
        return {href: link.getAttribute('href'), bottom: box.bottom + scrollY};
    }""")


@pytest.mark.parametrize("viewport", WIDTHS)
@pytest.mark.parametrize(("name", "words", "first"), DANGERS, ids=[d[0] for d in DANGERS])
def test_a_danger_search_shows_the_right_number_on_the_first_screen(live_server, page_factory, viewport,
                                                                     name, words, first):
    page, _log = page_factory(live_server, "/annuaire?" + urlencode({"q": words, "commune": "Le Mans"}), viewport)
    link = _first_call_link(page)
    assert link is not None and link["href"] == f"tel:{first}"
    assert link["bottom"] <= page.viewport_size["height"]
    # The form folds under « Modifier la recherche ».
    assert not page.locator("#q").is_visible()
    screenshot(page, f"danger-annuaire-{name}-{viewport}")


@pytest.mark.parametrize("viewport", WIDTHS)
@pytest.mark.parametrize(("name", "words", "first"), DANGERS, ids=[d[0] for d in DANGERS])
def test_a_danger_orientation_shows_the_right_number_on_the_first_screen(live_server, page_factory, viewport,
                                                                          name, words, first):
    page, _log = page_factory(live_server, "/orientation", viewport)
    page.fill("#commune", "Le Mans")
    page.locator("input[name='role'][value='gardien']").check(force=True)
    page.fill("#description", words)
    page.locator("form.orientation-form button[type=submit]:not([name])").last.click()
    page.wait_for_selector(".urgency")
    link = _first_call_link(page)
    assert link is not None and link["href"] == f"tel:{first}"
    assert link["bottom"] <= page.viewport_size["height"]
    screenshot(page, f"danger-orientation-{name}-{viewport}")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_yes_to_the_danger_question_gives_the_danger_answer(live_server, page_factory, viewport):
    page, _log = page_factory(live_server, "/orientation", viewport)
    page.fill("#commune", "Mamers")
    page.locator("input[name='role'][value='gardien']").check(force=True)
    page.fill("#description", "je sais pas trop comment dire, la dame du 5 m'inquiète")
    page.locator("form.orientation-form button[type=submit]:not([name])").last.click()
    page.wait_for_selector(".questions")
    assert page.locator(".urgency").get_attribute("data-urgency") != "P0"
    assert "Non compris" in page.locator("#non-compris").inner_text()
    screenshot(page, f"question-danger-{viewport}")
    page.locator("form[data-question='danger_now'] button[value='oui']").click()
    page.wait_for_selector(".urgency[data-urgency='P0']")
    link = _first_call_link(page)
    assert link["href"] == "tel:112" and link["bottom"] <= page.viewport_size["height"]
    assert page.locator("form[data-question='danger_now']").count() == 0


def test_removing_a_problem_read_changes_the_orientation(live_server, page_factory):
    page, _log = page_factory(live_server, "/orientation", "telephone-390")
    page.fill("#commune", "Le Mans")
    page.fill("#description", "il boit beaucoup et ne paie plus son loyer depuis trois mois")
    page.locator("form.orientation-form button[type=submit]:not([name])").last.click()
    page.wait_for_selector(".suggestion")
    assert page.locator(".suggestion[data-type='csapa']").count() == 1
    page.locator(".dismiss-form button[value='addiction_alcool']").click()
    page.wait_for_selector(".suggestion")
    assert page.locator(".suggestion[data-type='csapa']").count() == 0
    assert page.locator(".suggestion[data-type='fsl']").count() == 1


def test_yes_on_a_search_gives_the_danger_box(live_server, page_factory):
    page, _log = page_factory(live_server, "/annuaire?" + urlencode({"q": "la dame du 5 m'inquiète",
                                                                     "commune": "Le Mans"}), "telephone-390")
    page.locator("#danger-oui").click()
    page.wait_for_selector(".urgency[data-urgency='P0']")
    assert _first_call_link(page)["href"] == "tel:112"
