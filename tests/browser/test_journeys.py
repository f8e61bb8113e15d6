"""The three journeys walked whole, at phone (390 px) and desktop (1366 px) width, one
test each: every point the journeys issue listed is asserted on the DOM on the way,
and each step is captured in test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

WIDTHS = ["telephone-390", "bureau-1366"]
INTERNAL_MARKS = re.compile(r"\[V:|V:R\d|REFERENCE §|\[\?\]|\[K\]|\[S\d\]|\(usage interne\)")


def _fits(page) -> bool:
    """Nothing wider than the screen (the elements that are, named in the failure)."""
    width = page.viewport_size["width"]
    wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.leaflet-container, .table-scroll'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
                         width)
    assert not wide, wide
    return page.evaluate("() => document.documentElement.scrollWidth") <= width + 1


def _shows_a_marker(summary) -> bool:
    """A <summary> reads as tappable: a visible ▸/▾ before its text."""
    marker = summary.evaluate("""s => {
        const before = getComputedStyle(s, '::before').content;
        const marker = getComputedStyle(s, '::marker').content;
        return [before, marker].join(' '); }""")
    return "▸" in marker or "▾" in marker


def _top(page, selector: str) -> float:
    return page.evaluate(f"() => document.querySelector({selector!r}).getBoundingClientRect().top + scrollY")


# -- the caretaker ---------------------------------------------------------------------
@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_caretakers_journey(live_server, page_factory, viewport):
    page, _log = page_factory(live_server, "/", viewport)
    # The three kinds of user are links.
    for card, target in (("#card-gardien", "/annuaire"), ("#card-travailleur-social", "/orientation"),
                         ("#card-coordinateur", "/coordination/")):
        assert page.locator(f"a{card}").get_attribute("href") == target
    # The header's emergency chips end with their label, no dangling dash.
    chips = page.locator(".site-header .emergency__list li").all_inner_texts()
    assert chips and not [c for c in chips if c.strip().endswith(("—", "-"))]
    helplines = page.locator(".site-header .emergency__more > summary")
    assert _shows_a_marker(helplines)
    screenshot(page, f"parcours-gardien-accueil-{viewport}")
    page.locator("#card-gardien").click()
    page.wait_for_url("**/annuaire")

    # Typed in their own words: who to call, numbers never cut in two, no fake number dialled.
    page.fill("#q", "courrier qui déborde")
    page.fill("#commune", "Le Mans")
    page.locator("form[role=search] button[type=submit]").first.click()
    page.wait_for_selector(".result-card")
    assert _shows_a_marker(page.locator("details.filters > summary"))
    wrapped = page.evaluate("""() => [...document.querySelectorAll('.phone__number')]
        .filter(e => e.getClientRects().length !== 1).length""")
    assert wrapped == 0
    assert page.locator(".result-card a[href^='tel:02430000']").count() == 0
    assert not INTERNAL_MARKS.search(page.locator("main").inner_text())
    assert _fits(page)
    screenshot(page, f"parcours-gardien-annuaire-{viewport}")

    # The town hall of a Sarthe commune, real and callable, with where its facts come from.
    page.goto(f"{live_server}/annuaire?q=mairie&commune=Bonn%C3%A9table")
    first = page.locator(".result-card").first
    assert "Mairie de Bonnétable" in first.inner_text()
    assert first.locator("a[href='tel:0243293020']").count() == 1
    first.locator("a", has_text="Mairie de Bonnétable").first.click()
    page.wait_for_selector(".provenance")
    phone_source = page.locator(".provenance li[data-field='contacts.phone.number']").inner_text()
    assert "Annuaire de l'administration" in phone_source
    assert _fits(page)
    screenshot(page, f"parcours-gardien-mairie-{viewport}")

    # A page past the end says so; a pasted 5,000-character text gets a French message.
    page.goto(f"{live_server}/annuaire?q=courrier&commune=Le+Mans&offset=400")
    assert "au-delà" in page.locator("#past-the-end").inner_text()
    page.goto(f"{live_server}/annuaire?q={'a' * 5000}")
    body = page.locator("main").inner_text()
    assert "URI Too Long" not in body and "trop long" in body.lower()

    # The orientation of what they saw: numbers once, no child line without a child,
    # the answer near the top, the reading one tap away.
    page.goto(f"{live_server}/orientation")
    page.fill("#commune", "Le Mans")
    page.locator("input[name='role'][value='gardien']").check(force=True)
    page.fill("#description", "courrier qui déborde, volets fermés, odeur")
    page.locator("form.orientation-form button[type=submit]:not([name])").last.click()
    page.wait_for_selector(".suggestion")
    assert page.locator("a[href='tel:15']").count() == 1
    assert page.locator("#urgences-renvoi a[href='#urgence-titre']").count() == 1
    assert page.locator(".urgency a[href='tel:119']").count() == 0
    assert "CRIP" not in page.locator(".urgency").inner_text()
    assert _top(page, ".suggestion") < 1450
    call_first = page.locator(".call-first")
    if call_first.count():
        numbers = page.locator(".urgency .numbers li").count()
        assert ("numéros" in call_first.inner_text()) is (numbers > 1)
    understood = page.locator(".understood-box > summary")
    assert _shows_a_marker(understood)
    understood.click()
    assert page.locator(".understood-box .understood").is_visible()
    assert _fits(page) and page.js_errors == []
    screenshot(page, f"parcours-gardien-orientation-{viewport}")


# -- the social worker -----------------------------------------------------------------
@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_social_workers_journey(live_server, page_factory, viewport):
    page, _log = page_factory(live_server, "/orientation", viewport)
    # A mistyped commune: the closest names are offered.
    page.fill("#commune", "le mnas")
    for problem in ("impayes_loyer", "addiction_alcool", "troubles_psychiques_suspectes"):
        page.locator(f"input[name='problems'][value='{problem}']").check(force=True)
    page.locator("form.orientation-form button[type=submit]:not([name])").last.click()
    choice = page.locator("button[name='commune_choice'][value='72181']")
    choice.wait_for()
    assert choice.inner_text() == "Le Mans (72)"
    choice.click()
    page.wait_for_selector(".suggestion")
    # The orientation has an address to keep (codes only, through GET) giving it again.
    types = page.locator(".suggestion").evaluate_all("items => items.map(i => i.dataset.type)")
    bookmark = page.locator("a#bookmark").get_attribute("href")
    assert "problems=impayes_loyer" in bookmark and "commune=72181" in bookmark
    page.goto(f"{live_server}{bookmark}")
    assert page.locator(".suggestion").evaluate_all("items => items.map(i => i.dataset.type)") == types
    # The non-urgent heading is not the numbers' caption.
    urgency = page.locator(".urgency")
    if urgency.get_attribute("data-urgency") != "P0":
        assert page.locator(".urgency .numbers-heading").inner_text() == "En cas de danger immédiat"
    main = page.locator("main").inner_text()
    assert not INTERNAL_MARKS.search(main)
    assert not re.search(r"\d\.\d km", main)  # « 40,1 km », never « 40.1 km »
    assert _fits(page) and page.js_errors == []
    screenshot(page, f"parcours-travailleur-social-orientation-{viewport}")

    # Homonyms are asked for with their département; a commune outside the territory is said.
    page.goto(f"{live_server}/orientation?commune=Saint-Georges&problems=impayes_loyer")
    options = page.locator("button[name='commune_choice']")
    assert options.count() > 3
    assert all(re.search(r"\((\d{2}|2[AB]|97\d)\)$", text) for text in options.all_inner_texts())
    page.goto(f"{live_server}/orientation?commune=Paris&problems=impayes_loyer")
    assert "hors du territoire" in page.locator("#outside-territory").inner_text()

    # A small commune without a CCAS: its real town hall, and why.
    page.goto(f"{live_server}/orientation?commune=72002&problems=impayes_loyer")
    hall = page.locator("li.service[data-service-id='mairie-72002-aillieres-beauvoir']")
    assert "loi NOTRe" in hall.locator(".service-note").inner_text()
    assert hall.locator("a[href^='tel:02']").count() == 1

    # The printable sheet: French dates and figures, no internal marks.
    page.goto(f"{live_server}/orientation/fiche?commune=72181&problems=impayes_loyer"
              "&problems=addiction_alcool&problems=troubles_psychiques_suspectes")
    sheet = page.locator("main").inner_text()
    assert not INTERNAL_MARKS.search(sheet) and not re.search(r"\b1 (janvier|février|mars|avril|mai|juin|juillet|"
                                                              r"août|septembre|octobre|novembre|décembre)", sheet)
    assert not re.search(r"\d\.\d km", sheet)
    screenshot(page, f"parcours-travailleur-social-fiche-{viewport}")


# -- the coordinator -------------------------------------------------------------------
@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_coordinators_journey(live_server, page_factory, viewport):
    # A service « cited in 2014 » of its own per width (the server is shared).
    service = "ccas-coulaines" if viewport.startswith("telephone") else "ccas-mamers"
    page, _log = page_factory(live_server, "/connexion", viewport)
    log_in(page)
    assert _fits(page)
    screenshot(page, f"parcours-coordination-accueil-{viewport}")

    # The CSV help is a page, reached from the import page.
    page.goto(f"{live_server}/coordination/import")
    page.locator("a", has_text="aide CSV").click()
    page.wait_for_url("**/coordination/aide/csv")
    assert page.locator("main h1").count() == 1 and page.locator("main table").count() >= 1

    # Coverage: headers in words; a gap counted once per orientation, not per view.
    for _ in range(3):
        page.goto(f"{live_server}/orientation?commune=72008&problems=isolement_repli")
    page.goto(f"{live_server}/coordination/couverture")
    headers = page.locator(".coverage-table thead th a").all_inner_texts()
    assert headers and not [h for h in headers if "_" in h]
    gap = page.locator(".gap-table tr[data-type='centre_social'][data-commune='72008'] td").nth(2)
    assert gap.inner_text() == "1"
    screenshot(page, f"parcours-coordination-couverture-{viewport}")

    # An edit of the description records only the description.
    page.goto(f"{live_server}/coordination/services/{service}/modifier")
    page.fill("#f-description", "Accueil social de la commune (description revue).")
    page.click("form.edit-form button[type=submit]")
    page.wait_for_url(f"**/services/{service}")
    changes = page.locator(".coordinator-tools li.history-item").first.locator(".changes li")
    assert changes.evaluate_all("items => items.map(i => i.dataset.field)") == ["description"]
    assert not INTERNAL_MARKS.search(page.locator(".service-sheet > header").inner_text())

    # Closing asks first and says it was done; reopening keeps « cited in 2014 ».
    page.locator("button", has_text="Fermer la structure").click()
    assert page.locator("h1").inner_text().endswith("?")
    page.locator("button[data-confirm]").click()
    page.wait_for_url(f"**/services/{service}")
    assert page.locator(".flash").count() == 1
    assert page.locator(".badge--status").inner_text() == "Fermée"
    page.locator("button", has_text="Rouvrir").click()
    if page.locator("button[data-confirm]").count():
        page.locator("button[data-confirm]").click()
    page.wait_for_url(f"**/services/{service}")
    assert page.locator(".badge--status").inner_text() == "Citée en 2014, à confirmer"
    assert page.locator(".service-sheet > header .notice--warn").count() == 1

    # « Vérifié aujourd'hui »: the status is active and the banner goes.
    page.locator("button", has_text="Vérifié aujourd'hui").click()
    page.wait_for_url(f"**/services/{service}")
    assert page.locator(".badge--status").inner_text() == "Active"
    assert page.locator(".service-sheet > header .notice--warn").count() == 0
    assert _fits(page) and page.js_errors == []
    screenshot(page, f"parcours-coordination-fiche-{viewport}")

    # The dashboard and the edit form read at this width too.
    for path, name in (("/coordination/", "tableau"), (f"/coordination/services/{service}/modifier", "formulaire"),
                       (f"/coordination/services/{service}/historique", "historique")):
        page.goto(f"{live_server}{path}")
        assert _fits(page), path
        screenshot(page, f"parcours-coordination-{name}-{viewport}")
