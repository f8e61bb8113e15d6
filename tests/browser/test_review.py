"""A coordinator reviews import proposals in a real browser: accepts one field, refuses
another, and finds both decisions in the service's history."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import COORDINATOR, screenshot, serving

pytestmark = pytest.mark.browser


def _import_a_register_file(tmp_path):
    def prepare(app):
        from directory.imports.readers import read_register
        from directory.imports.records import register_mapping
        from workspace.review import import_records

        path = tmp_path / "di.json"
        path.write_text(json.dumps({"structures": [{
            "source": "dora", "id": "s-1", "nom": "CCAS d'Allonnes", "date_maj": "2026-11-15",
            "code_insee": "72003", "commune": "Allonnes", "code_postal": "72700", "telephone": "0243800001",
            "site_web": "https://allonnes.fr/ccas", "reseaux_porteurs": ["ccas-cias"]}], "services": []}),
            encoding="utf-8")
        state = app.extensions["maillage"]
        records = read_register("data-inclusion", path, register_mapping())
        summary = import_records(state.engine, state.reference, records, "navigateur", "72")
        assert summary.updates == 1
    return prepare


@pytest.mark.parametrize("viewport", ["telephone-390", "bureau-1366"])
def test_a_coordinator_accepts_one_field_and_refuses_another(tmp_path, page_factory, viewport):
    with serving(tmp_path, prepare=_import_a_register_file(tmp_path)) as url:
        page, _log = page_factory(url, "/connexion", viewport)
        page.fill("#email", COORDINATOR[0])
        page.fill("#password", COORDINATOR[1])
        page.click("button[type=submit]")
        page.wait_for_url("**/coordination/")
        page.goto(f"{url}/coordination/propositions")
        card = page.locator("section.proposal[data-kind='update']")
        assert card.count() == 1 and "CCAS d'Allonnes" in card.locator("h2").inner_text()
        phone = card.locator("tr[data-field='contacts.phone']")
        assert "02 43 80 00 01" in phone.inner_text() and "numéro fictif" in phone.inner_text()
        screenshot(page, f"revue-propositions-{viewport}")
        # Keep the phone, refuse the website (and the rest).
        for box in card.locator("input[name='fields']").all():
            if box.get_attribute("value") != "contacts.phone":
                box.uncheck()
        card.locator("button[value='accept_selected']").click()
        page.wait_for_url("**/coordination/propositions")
        assert "acceptée en partie" in page.locator(".flash").inner_text()
        assert page.locator("#no-proposals").is_visible()
        decision = page.locator(".decisions li[data-status='partial']")
        assert "Téléphone accepté" in decision.inner_text() and "Site web refusé" in decision.inner_text()

        page.goto(f"{url}/services/ccas-allonnes")
        assert page.locator(".service-sheet a[href='tel:0243800001']").count() >= 1
        assert "Téléphone : data·inclusion (dora), novembre 2026" in page.locator(".provenance").inner_text()
        page.goto(f"{url}/coordination/services/ccas-allonnes/historique")
        latest = page.locator("li.history-item").first
        assert "Proposition d'import acceptée" in latest.inner_text()
        assert page.locator(".decisions [data-field='contacts.website'][data-verdict='rejected']").count() == 1
        assert page.locator(".decisions [data-field='contacts.phone'][data-verdict='accepted']").count() == 1
        assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
        assert page.js_errors == []
        screenshot(page, f"revue-historique-{viewport}")
