"""A caretaker relays a situation to the platform from a search answer, on a phone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, serving

pytestmark = pytest.mark.browser

CARETAKER = ("gardien@example.org", "mot de passe de test solide")


def _caretaker_of_sable(app):
    from sqlmodel import Session

    from workspace.accounts import create_user
    from workspace.situations import attach_to_platform

    state = app.extensions["maillage"]
    with Session(state.engine) as session:
        user = create_user(session, CARETAKER[0], CARETAKER[1], "correspondant")
        attach_to_platform(session, user, "sable", state.platforms)
        session.commit()


def test_a_caretaker_relays_from_a_search_answer_on_a_phone(tmp_path, page_factory):
    with serving(tmp_path, prepare=_caretaker_of_sable) as url:
        page, _log = page_factory(url, "/connexion", "telephone-390")
        page.fill("#email", CARETAKER[0])
        page.fill("#password", CARETAKER[1])
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")
        page.goto(url + "/annuaire?q=il+boit+beaucoup+et+ne+sort+plus&commune=72264")
        page.click("#transmettre button")
        assert page.input_value("#commune") == "72264"
        assert "il boit beaucoup" in page.input_value("#observations")
        assert page.is_checked("input[name=problems][value=addiction_alcool]")
        page.fill("#housing_ref", "Bât. C, 3e gauche")
        page.check("input[name=consent_status][value=not_yet]")
        page.click("form.relay-form button[type=submit]")
        confirmation = page.locator("#transmise")
        confirmation.wait_for()
        assert "Plateforme du Pays Sabolien" in confirmation.inner_text()
        box = confirmation.bounding_box()
        assert box["y"] < 844, "the confirmation is on the first screen"
        screenshot(page, "relay-telephone-390")
