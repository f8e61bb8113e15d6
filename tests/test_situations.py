"""Relays to the territorial platforms: who sees what (404 for those who may not know a
situation exists), personal fields encrypted at rest, every read journaled, bad input
refused whole, personal fields erased on schedule."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlmodel import Session, func, select

from tests.conftest import parse_html
from tests.factories import PASSWORD, login
from web.settings import ConfigurationError, finalize
from workspace.accounts import create_user
from workspace.privacy import DataCipher, generate_key
from workspace.situation_models import Situation, SituationEvent
from workspace.situations import attach_to_platform

MARKER = "Zorglub-observation-7f3a"
SABLE = "72264"

ACCOUNTS = {
    "gardien@example.org": ("correspondant", ["sable"]),
    "cesf-sable@example.org": ("referent_social", ["sable"]),
    "cesf-coulaines@example.org": ("referent_social", ["coulaines"]),
    "coord@example.org": ("coordinateur", []),
}


@pytest.fixture
def accounts(state):
    """A caretaker and a social referent of the Sablé platform, a referent of another
    platform, a coordinator who is a member of none."""
    with Session(state.engine) as session:
        for email, (role, platforms) in ACCOUNTS.items():
            user = create_user(session, email, PASSWORD, role)
            for code in platforms:
                attach_to_platform(session, user, code, state.platforms)
        session.commit()


def as_user(app, email):
    """A client signed in as ``email`` (one sign-in per account and application: a
    password check costs a tenth of a second by design)."""
    signed_in = app.extensions.setdefault("test_clients", {})
    if email not in signed_in:
        client = app.test_client()
        assert login(client, email).status_code == 302
        signed_in[email] = client
    return signed_in[email]


def relay_body(**overrides) -> dict:
    """A relay as a caretaker's phone sends it."""
    body = {"commune": SABLE, "housing_ref": "Bât. C, 3e gauche",
            "observations": f"{MARKER} : courrier qui déborde, volets fermés depuis une semaine",
            "problems": ["isolement_repli"], "consent": {"status": "not_yet", "note": None}}
    return {**body, **overrides}


def relay(app, **overrides) -> dict:
    """Relay as the caretaker; the 201 body."""
    response = as_user(app, "gardien@example.org").post("/api/situations", json=relay_body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_relay_reaches_the_platform_serving_the_commune(app, accounts):
    body = relay(app)
    assert body["platform"] == "sable" and body["status"] == "new" and len(body["id"]) == 32


def test_an_emergency_relay_still_says_to_call_first(app, accounts):
    body = relay(app, consent={"status": "emergency", "note": "il menace de sauter"})
    assert "112" in body["emergency"]


def test_a_member_of_the_platform_sees_everything(app, accounts):
    situation_id = relay(app)["id"]
    answer = as_user(app, "cesf-sable@example.org").get(f"/api/situations/{situation_id}")
    assert answer.status_code == 200
    assert answer.get_json()["observations"].startswith(MARKER)
    assert answer.get_json()["housing_ref"] == "Bât. C, 3e gauche"


@pytest.mark.parametrize("email", ["cesf-coulaines@example.org", "coord@example.org"])
def test_others_get_a_404_as_if_it_did_not_exist(app, accounts, email):
    situation_id = relay(app)["id"]
    answer = as_user(app, email).get(f"/api/situations/{situation_id}")
    unknown = as_user(app, email).get("/api/situations/" + "0" * 32)
    assert answer.status_code == unknown.status_code == 404
    assert answer.get_json()["field"] == "id"


def test_an_anonymous_caller_gets_a_401(app, client, accounts):
    situation_id = relay(app)["id"]
    assert client.get(f"/api/situations/{situation_id}").status_code == 401
    assert client.get("/api/situations").status_code == 401
    assert client.post("/api/situations", json=relay_body()).status_code == 401


def test_the_creator_sees_status_and_dates_only_once_a_member_took_it_up(app, accounts):
    situation_id = relay(app)["id"]
    caretaker = as_user(app, "gardien@example.org")
    assert "observations" in caretaker.get(f"/api/situations/{situation_id}").get_json()
    as_user(app, "cesf-sable@example.org").get(f"/api/situations/{situation_id}")
    after = caretaker.get(f"/api/situations/{situation_id}").get_json()
    assert after["status"] == "new" and after["handed_over_at"]
    assert not {"observations", "housing_ref", "consent", "commune", "problems"} & set(after)


def test_the_list_holds_only_the_callers_platforms(app, accounts):
    situation_id = relay(app)["id"]
    mine = as_user(app, "cesf-sable@example.org").get("/api/situations").get_json()["situations"]
    theirs = as_user(app, "cesf-coulaines@example.org").get("/api/situations").get_json()["situations"]
    assert [s["id"] for s in mine] == [situation_id] and theirs == []
    assert "observations" not in mine[0]


def test_only_platform_accounts_relay(app, accounts):
    response = as_user(app, "coord@example.org").post("/api/situations", json=relay_body())
    assert response.status_code == 403


def test_every_read_is_journaled_without_personal_content(app, state, accounts):
    situation_id = relay(app)["id"]
    as_user(app, "cesf-sable@example.org").get(f"/api/situations/{situation_id}")
    with Session(state.engine) as session:
        events = list(session.exec(select(SituationEvent).where(SituationEvent.situation_id == situation_id)
                                   .order_by(SituationEvent.id)))
    assert [(e.action, e.user_email) for e in events] == [("create", "gardien@example.org"),
                                                          ("read", "cesf-sable@example.org")]
    assert MARKER not in json.dumps([e.detail for e in events])


@pytest.mark.parametrize(("change", "field"), [
    ({"commune": "72181"}, "commune"),  # Le Mans: no platform serves it
    ({"commune": "Nulle-Part-sur-Rien"}, "commune"),
    ({"consent": {"note": "x"}}, "consent.status"),
    ({"consent": {"status": "peut-etre"}}, "consent.status"),
    ({"observations": "x" * 100_000}, "observations"),
    ({"observations": "   "}, "observations"),
    ({"problems": ["fou"]}, "problems[0]"),
    ({"platform": "sable"}, "platform"),
])
def test_bad_input_is_refused_whole_with_the_field(app, state, accounts, change, field):
    response = as_user(app, "gardien@example.org").post("/api/situations", json=relay_body(**change))
    body = response.get_json()
    assert response.status_code == 400, body
    assert field in {e["field"] for e in body["errors"]}
    with Session(state.engine) as session:
        assert session.exec(select(func.count()).select_from(Situation)).one() == 0


def test_no_observation_is_stored_in_clear(app, state, accounts):
    relay(app)
    url = make_url(str(state.engine.url))
    if url.get_backend_name() == "sqlite":
        state.engine.dispose()
        files = [p for p in Path(url.database).parent.rglob("*") if p.is_file()]
        assert files and not any(MARKER.encode() in p.read_bytes() for p in files)
    else:
        libpq_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
        dump = subprocess.run(["pg_dump", "--data-only", libpq_url],
                              capture_output=True, check=True).stdout
        assert b"situation" in dump and MARKER.encode() not in dump


def _close(state, situation_id: str, days_ago: int) -> None:
    with Session(state.engine) as session:
        situation = session.get(Situation, situation_id)
        situation.status = "closed"
        situation.closed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        session.add(situation)
        session.commit()


def test_purge_erases_the_personal_fields_of_situations_closed_long_enough(app, state, runner, accounts):
    old, recent, open_ = relay(app)["id"], relay(app)["id"], relay(app)["id"]
    _close(state, old, 400)
    _close(state, recent, 10)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and result.output.startswith("1 situation")
    with Session(state.engine) as session:
        rows = {s.id: s for s in session.exec(select(Situation))}
        by_platform = session.exec(select(Situation.platform, func.count()).group_by(Situation.platform)).all()
    assert rows[old].observations_enc is None and rows[old].housing_ref_enc is None and rows[old].erased_at
    assert rows[recent].observations_enc and rows[open_].observations_enc
    # The statistics stay right: the situation is kept, anonymous.
    assert by_platform == [("sable", 3)] and rows[old].problems == ["isolement_repli"]
    later = runner.invoke(args=["purge", "--as-of", (dt.date.today() + dt.timedelta(days=400)).isoformat()])
    assert later.output.startswith("1 situation")  # the recent one, 410 days after its closing


def test_an_access_request_gets_everything_held_with_the_journal(app, runner, accounts):
    situation_id = relay(app)["id"]
    result = runner.invoke(args=["situation-export", situation_id])
    export = json.loads(result.output)
    assert export["observations"].startswith(MARKER)
    assert [e["action"] for e in export["journal"]] == ["create"]
    assert runner.invoke(args=["situation-export", "inconnue"]).exit_code == 1


def test_production_refuses_to_start_without_a_data_key():
    settings = {"ENV": "production", "SECRET_KEY": "s" * 40, "TRUSTED_HOSTS": "maillage.example.org"}
    with pytest.raises(ConfigurationError, match="MAILLAGE_DATA_KEY"):
        finalize(dict(settings))
    finalize({**settings, "DATA_KEY": generate_key()})


def test_a_malformed_data_key_stops_the_start_with_one_line(app_config):
    from app import create_app

    with pytest.raises(ConfigurationError, match="clé n° 1"):
        create_app({**app_config, "DATA_KEY": "pas-une-cle"})


def test_a_rotated_key_still_opens_what_the_old_one_sealed():
    old, new = generate_key(), generate_key()
    token = DataCipher(old).encrypt("observation")
    rotated = DataCipher(f"{new},{old}")
    assert rotated.decrypt(token) == "observation"
    assert DataCipher(new).decrypt(rotated.rotate(token)) == "observation"


def test_an_account_of_a_platform_role_needs_a_platform(runner, monkeypatch):
    monkeypatch.setenv("MAILLAGE_NEW_USER_PASSWORD", PASSWORD)
    refused = runner.invoke(args=["create-user", "g@example.org", "--role", "correspondant"])
    unknown = runner.invoke(args=["create-user", "g@example.org", "--role", "correspondant", "--platform", "paris"])
    created = runner.invoke(args=["create-user", "g@example.org", "--role", "correspondant",
                                  "--platform", "sable", "--platform", "la_fleche"])
    assert refused.exit_code == 1 and unknown.exit_code == 1 and "paris" in unknown.output
    assert created.exit_code == 0 and "sable, la_fleche" in created.output


def test_the_server_purges_once_a_day_on_its_first_request(app, state, accounts):
    situation_id = relay(app)["id"]
    _close(state, situation_id, 400)
    state._purged_on = None  # a new day for this process
    app.test_client().get("/healthz")
    with Session(state.engine) as session:
        assert session.get(Situation, situation_id).erased_at is not None


# -- the relay page -------------------------------------------------------------------------
def test_a_platform_account_lands_on_the_answer_pages_not_the_dashboard(app, accounts):
    client = app.test_client()
    response = login(client, "gardien@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert parse_html(client.get("/")).select_one("nav a[href='/coordination/']") is None


def test_the_answer_page_offers_the_relay_to_platform_accounts_only(app, client, accounts):
    form = {"commune": SABLE, "role": "gardien", "description": "il boit et le courrier déborde"}
    anonymous = parse_html(client.post("/orientation", data=form))
    caretaker = parse_html(as_user(app, "gardien@example.org").post("/orientation", data=form))
    assert anonymous.select_one("#transmettre") is None
    relay_form = caretaker.select_one("#transmettre")
    assert relay_form.select_one("input[name=commune]")["value"] == SABLE
    assert relay_form.select_one("input[name=observations]")["value"] == form["description"]
    assert "addiction_alcool" in {i["value"] for i in relay_form.select("input[name=problems]")}


def test_the_relay_form_is_prefilled_then_sent(app, state, accounts):
    caretaker = as_user(app, "gardien@example.org")
    prefilled = parse_html(caretaker.post("/signalements/nouveau", data={
        "step": "prefill", "commune": SABLE, "problems": ["addiction_alcool"], "observations": "il boit"}))
    assert prefilled.select_one("#observations").get_text() == "il boit"
    assert prefilled.select_one("input[value=addiction_alcool]").has_attr("checked")
    sent = caretaker.post("/signalements/nouveau", data={
        "step": "send", "commune": SABLE, "housing_ref": "Bât. A", "observations": "il boit",
        "problems": ["addiction_alcool"], "consent_status": "informed"})
    page = parse_html(sent)
    assert sent.status_code == 200 and "Pays Sabolien" in page.select_one("#transmise").get_text()
    with Session(state.engine) as session:
        assert session.exec(select(func.count()).select_from(Situation)).one() == 1


def test_a_relay_form_with_errors_keeps_what_was_typed_and_names_the_fields(app, state, accounts):
    sent = as_user(app, "gardien@example.org").post("/signalements/nouveau", data={
        "step": "send", "commune": "Le Mans", "housing_ref": "Bât. A", "observations": "il boit"})
    page = parse_html(sent)
    assert sent.status_code == 400
    summary = page.select_one("#erreurs").get_text()
    assert "commune" in summary and "consent.status" in summary
    assert page.select_one("#observations").get_text() == "il boit"
    with Session(state.engine) as session:
        assert session.exec(select(func.count()).select_from(Situation)).one() == 0


# -- the platform moves a situation along ------------------------------------------------------
def test_a_member_closes_a_situation_and_the_timeline_says_who_and_when(app, state, runner, accounts):
    situation_id = relay(app)["id"]
    member = as_user(app, "cesf-sable@example.org")
    for status in ("to_examine", "closed"):
        response = member.patch(f"/api/situations/{situation_id}", json={"status": status})
        assert response.status_code == 200 and response.get_json()["status"] == status
    seen = member.get(f"/api/situations/{situation_id}").get_json()
    assert seen["closed_at"] and [e["action"] for e in seen["timeline"]] == ["create", "update", "update", "read"]
    assert seen["timeline"][2]["detail"] == {"status": ["to_examine", "closed"]}
    # Closed through the product, it is erased once its retention period is over.
    later = (dt.date.today() + dt.timedelta(days=366)).isoformat()
    assert runner.invoke(args=["purge", "--as-of", later]).output.startswith("1 situation")


@pytest.mark.parametrize(("email", "status"), [("cesf-coulaines@example.org", 404), ("coord@example.org", 404),
                                               ("gardien@example.org", 403)])
def test_only_members_move_a_situation(app, accounts, email, status):
    situation_id = relay(app)["id"]
    response = as_user(app, email).patch(f"/api/situations/{situation_id}", json={"status": "closed"})
    assert response.status_code == status


@pytest.mark.parametrize("body", [{"status": "archivee"}, {"status": None}, {"status": "closed", "note": "x"}, []])
def test_a_bad_status_change_is_refused_and_changes_nothing(app, state, accounts, body):
    situation_id = relay(app)["id"]
    response = as_user(app, "cesf-sable@example.org").patch(f"/api/situations/{situation_id}", json=body)
    assert response.status_code == 400 and response.get_json()["field"]
    with Session(state.engine) as session:
        assert session.get(Situation, situation_id).status == "new"
