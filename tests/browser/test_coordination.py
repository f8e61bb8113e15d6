"""A coordinator's day in a real browser: log in, edit a wait time, check the history
and the public sheet, mark the service verified."""

import datetime as dt

import pytest

from tests.browser.conftest import COORDINATOR, log_in, screenshot

pytestmark = pytest.mark.browser
SERVICE = "cmp-sable"


def test_coordinator_edits_a_wait_time_and_marks_it_verified(live_server, page_factory):
    page, _log = page_factory(live_server, "/connexion")
    page.fill("#email", COORDINATOR[0])
    page.fill("#password", COORDINATOR[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/coordination/")
    assert page.locator("h1").inner_text() == "Espace coordination"

    page.goto(f"{live_server}/services/{SERVICE}")
    page.click("text=Modifier")
    page.fill("#f-wait-days_max", "75")
    page.fill("#f-wait-stated_at", "2026-11-20")
    page.click("form.edit-form button[type=submit]")
    page.wait_for_url(f"**/services/{SERVICE}")
    assert "75 jours" in page.locator("p.wait").inner_text()

    history = page.locator(".coordinator-tools li.history-item").first
    assert "Délai maximum (jours)" in history.inner_text()
    assert "75" in history.inner_text() and COORDINATOR[0] in history.inner_text()
    screenshot(page, "coordination-fiche")

    page.click("text=Vérifié aujourd'hui")
    page.wait_for_url(f"**/services/{SERVICE}")
    stamp = page.locator(".verification time").get_attribute("datetime")
    assert stamp == dt.date.today().isoformat()

    public = page.context.browser.new_context()
    try:
        reader = public.new_page()
        reader.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url
                     else route.continue_())
        reader.goto(f"{live_server}/services/{SERVICE}")
        assert "75 jours" in reader.locator("p.wait").inner_text()
        assert reader.locator(".verification time").get_attribute("datetime") == stamp
        assert reader.locator(".coordinator-tools").count() == 0
    finally:
        public.close()


@pytest.mark.parametrize("viewport", ["telephone-390", "bureau-1366"])
def test_coordinator_fixes_a_form_error_then_restores_with_confirmation(live_server, page_factory, viewport):
    service = "ccas-allonnes" if viewport.startswith("telephone") else "ccas-le-mans"
    page, _log = page_factory(live_server, "/connexion", viewport)
    log_in(page)
    page.goto(f"{live_server}/coordination/services/{service}/modifier")
    page.fill("#f-name", "")
    page.click("form.edit-form button[type=submit]")
    # The error names the field as the form does, links to it, and says « obligatoire ».
    link = page.locator(".notice--error li[data-field='name'] a")
    assert link.inner_text() == "Nom" and link.get_attribute("href") == "#f-name"
    assert "obligatoire" in page.locator(".notice--error li[data-field='name']").inner_text()
    screenshot(page, f"coordination-erreur-{viewport}")
    page.fill("#f-name", "Guichet renommé")
    page.fill("#f-description", "Une description revue.")
    page.click("form.edit-form button[type=submit]")
    page.wait_for_url(f"**/services/{service}")
    assert "Modifications enregistrées" in page.locator(".flash").inner_text()
    changes = page.locator(".coordinator-tools li.history-item").first.locator(".changes li")
    assert sorted(changes.evaluate_all("items => items.map(i => i.dataset.field)")) == ["description", "name"]
    # Restoring the first version asks first, then says it was done.
    page.goto(f"{live_server}/coordination/services/{service}/historique")
    page.locator("li.history-item[data-version='1'] button[type=submit]").click()
    assert page.locator("h1").inner_text() == "Restaurer la version 1 ?"
    page.locator("button[data-confirm]").click()
    page.wait_for_url(f"**/services/{service}")
    assert "Version 1 restaurée" in page.locator(".flash").inner_text()
    assert page.locator("h1").inner_text() != "Guichet renommé"
    screenshot(page, f"coordination-restauree-{viewport}")
