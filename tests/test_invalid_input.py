"""One way to fail on input: every layer raises ``InvalidInput``; one handler answers JSON
naming every field for the API and a French page elsewhere; every edit path validates in
its domain function (nothing written on a refusal)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from directory.invalid import InvalidInput
from directory.storage import get_service, row_to_data
from recommender.request import parse_request
from search.finder import resolve_commune
from tests.conftest import parse_html
from tests.factories import make_entry
from workspace import editing
from workspace.models import ServiceVersion

SERVICE = "ccas-allonnes"
EDITOR = "coord@example.org"


def test_an_orientation_request_lists_every_faulty_field(reference):
    with pytest.raises(InvalidInput) as raised:
        parse_request({"commune": "72003", "role": "pompier", "household": {"age": -3}}, reference)
    assert {e.field for e in raised.value.errors} == {"role", "household.age"}
    assert raised.value.status == 400


def test_a_commune_nobody_can_resolve_is_reported_on_the_field_that_named_it(reference):
    with pytest.raises(InvalidInput) as raised:
        resolve_commune(reference, "le mnas", field_name="near", territory=frozenset({"72"}))
    assert raised.value.field == "near" and raised.value.options[0].insee == "72181"


@pytest.mark.parametrize(("path", "field"), [
    ("/api/services?limit=abc", "limit"),
    ("/api/services?commune=xqzwvk", "commune"),
    ("/api/services?type=inconnu", "type"),
])
def test_the_api_answers_every_kind_of_bad_input_the_same_way(client, path, field):
    response = client.get(path)
    body = response.get_json()
    assert response.status_code == 400
    assert body["field"] == field and body["status"] == 400 and body["error"]
    assert body["errors"][0]["field"] == field


def test_an_orientation_body_gets_the_same_error_shape_as_a_search(client):
    response = client.post("/api/orientations", json={"commune": "72003", "role": "pompier",
                                                       "household": {"age": -3}})
    body = response.get_json()
    assert response.status_code == 400
    assert body["status"] == 400 and {e["field"] for e in body["errors"]} == {"role", "household.age"}


def test_an_unknown_service_is_a_404_naming_the_field_in_the_api_and_a_french_page_elsewhere(client):
    api = client.get("/api/services/nulle-part")
    assert api.status_code == 404 and api.get_json()["field"] == "id"
    page = client.get("/services/nulle-part")
    assert page.status_code == 404
    assert "introuvable" in parse_html(page).select_one(".error-message").get_text()


def test_a_page_lists_every_faulty_field_after_the_first(app):
    with app.test_request_context("/annuaire"):
        from web.errors import invalid_input_response

        body, status = invalid_input_response(InvalidInput([
            editing_error("name", "champ obligatoire"), editing_error("zone", "zone inconnue")]))
    html = parse_html(type("R", (), {"get_data": lambda self, as_text: body})())
    assert status == 400
    assert [li.get_text() for li in html.select(".error-list li")] == ["zone : zone inconnue"]


def editing_error(field: str, message: str):
    """A field error as the validator gives it."""
    from directory.invalid import FieldError

    return FieldError(field, message)


# -- every edit path validates in its domain function ---------------------------------------
def test_submit_entry_refuses_an_invalid_entry_and_writes_nothing(state):
    with pytest.raises(InvalidInput) as raised:
        editing.submit_entry(state.engine, None, state.reference, make_entry(id="neuve", zone=[]),
                             EDITOR, None, "create")
    assert raised.value.field == "zone"
    with Session(state.engine) as session:
        assert get_service(session, "neuve") is None


def test_submit_entry_refuses_a_second_creation_of_one_id_with_a_conflict(state):
    editing.submit_entry(state.engine, None, state.reference, make_entry(id="neuve"), EDITOR, None, "create")
    with pytest.raises(InvalidInput) as raised:
        editing.submit_entry(state.engine, None, state.reference, make_entry(id="neuve"), EDITOR, None, "create")
    assert raised.value.status == 409 and raised.value.field == "id"


def test_verify_close_and_restore_refuse_what_does_not_exist_with_a_404(state):
    for attempt in (
        lambda: editing.mark_verified(state.engine, None, state.reference, "nulle-part", EDITOR, 1),
        lambda: editing.set_closed(state.engine, None, state.reference, "nulle-part", True, EDITOR, 1),
        lambda: editing.restore(state.engine, None, state.reference, SERVICE, 999, EDITOR, 1),
    ):
        with pytest.raises(InvalidInput) as raised:
            attempt()
        assert raised.value.status == 404


def test_a_restored_version_is_validated_again(state):
    """An old version that today's validator refuses (a code since removed) is not restored."""
    with Session(state.engine) as session:
        row = get_service(session, SERVICE)
        version, types = row.version, list(row.types)
        data = {**row_to_data(row), "types": ["type_disparu"]}
        session.add(ServiceVersion(service_id=SERVICE, version=version + 100, action="update",
                                   user_email=EDITOR, data=data))
        session.commit()
    with pytest.raises(InvalidInput) as raised:
        editing.restore(state.engine, None, state.reference, SERVICE, version + 100, EDITOR, version)
    assert raised.value.field.startswith("types")
    with Session(state.engine) as session:
        assert get_service(session, SERVICE).types == types


def test_the_api_create_refuses_an_invalid_entry_with_every_field(coordinator):
    response = coordinator.post("/api/services", json=make_entry(id="neuve", zone=[], name=""),
                                headers={"X-CSRFToken": "x"})
    body = response.get_json()
    assert response.status_code == 400
    assert {"zone", "name"} <= {e["field"] for e in body["errors"]}
