"""Hardening, third pass: concurrent creations and decisions never overwrite, merge or 500
(issue « Hardening, third pass »). Runs on PostgreSQL too (``MAILLAGE_TEST_DATABASE_URL``)."""

from __future__ import annotations

import threading

from sqlmodel import Session, select

from directory.invalid import InvalidInput
from directory.schema import validate_entry
from directory.storage import get_service
from tests.factories import make_entry
from workspace.editing import save_entry
from workspace.models import ServiceVersion

IDS = [f"course-{n}" for n in range(5)]
WRITERS = 10


def test_concurrent_creations_of_one_id_give_one_winner_each_and_no_overwrite(app, state):
    barrier = threading.Barrier(len(IDS) * WRITERS, timeout=30)
    outcomes: dict[str, list[tuple[str, str]]] = {service_id: [] for service_id in IDS}
    lock = threading.Lock()

    def create(service_id: str, writer: int) -> None:
        entry, errors = validate_entry(make_entry(id=service_id, name=f"Structure {service_id} par {writer}"),
                                       state.reference)
        assert errors == []
        barrier.wait()
        try:
            save_entry(state.engine, None, state.reference, entry, f"auteur{writer}@example.org", None)
            outcome = ("created", entry.name)
        except InvalidInput as error:
            outcome = ("refused", error.errors[0].message)
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcome = ("error", repr(error))
        with lock:
            outcomes[service_id].append(outcome)

    threads = [threading.Thread(target=create, args=(service_id, writer))
               for service_id in IDS for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    with Session(state.engine) as session:
        for service_id in IDS:
            results = outcomes[service_id]
            created = [name for kind, name in results if kind == "created"]
            assert len(created) == 1, results
            assert sorted(kind for kind, _ in results) == ["created"] + ["refused"] * (WRITERS - 1)
            assert all("identifiant déjà utilisé" in text for kind, text in results if kind == "refused")
            assert get_service(session, service_id).name == created[0]
            versions = session.exec(select(ServiceVersion).where(ServiceVersion.service_id == service_id)).all()
            assert [v.action for v in versions] == ["create"]


# -- hostile parameters: a clear 400, never a 500 (PostgreSQL refuses NUL and over-long text) --------
import pytest  # noqa: E402

from tests.factories import login  # noqa: E402


@pytest.mark.parametrize("path", ["/api/services/%00", "/services/%00", "/services/a%00b",
                                  "/coordination/services/%00/historique"])
def test_a_nul_character_in_the_address_is_a_400(client, path):
    response = client.get(path)
    assert response.status_code == 400


def test_a_nul_character_in_the_login_form_is_a_400(client):
    response = client.post("/connexion", data={"email": "a\x00b@example.org", "password": "x"})
    assert response.status_code == 400


def test_a_value_too_long_for_its_column_is_a_400_not_a_500(app, client, users, state):
    from sqlmodel import Session

    from workspace import accounts

    # The validator's bound is the first guard; the database's refusal is the net.
    with Session(state.engine) as session, pytest.raises(accounts.AccountError):
        accounts.create_user(session, "a" * 300 + "@example.org", "un mot de passe très long", "coordinateur")
    login(client)
    response = client.post("/api/services", json=make_entry(id="x" * 130))
    assert response.status_code == 400


# -- authentication ------------------------------------------------------------------------------------
def test_a_bogus_bearer_token_is_a_401_even_with_a_session_cookie(client, users):
    login(client)
    response = client.post("/api/services", json={"id": "nouvelle", "name": "Nouvelle"},
                           headers={"Authorization": "Bearer n-importe-quoi"})
    assert response.status_code == 401


def test_login_drops_a_planted_session_and_its_csrf_token(app, users):
    client = app.test_client()
    client.get("/connexion")
    with client.session_transaction() as planted:
        planted["csrf_token"] = "jeton-connu-de-l-attaquant"
        planted["marque"] = "posée avant la connexion"
    app.config["WTF_CSRF_ENABLED"] = False
    login(client)
    with client.session_transaction() as after:
        assert "marque" not in after
        assert after.get("csrf_token") != "jeton-connu-de-l-attaquant"


def test_the_review_queue_pages_fifty_at_a_time(app, client, users, state):
    """Thousands of pending proposals: the page shows 50 of them and says how many there are."""
    import datetime as dt

    from workspace.models import StoredProposal

    with Session(state.engine) as session:
        for n in range(120):
            session.add(StoredProposal(fingerprint=f"fp-{n}", batch="test", kind="new", service_id=f"nouvelle-{n}",
                                 source="finess", source_id=str(n), source_label="FINESS (data.gouv)",
                                 source_date=dt.date(2026, 10, 1), match=None, changes={},
                                 entry=make_entry(id=f"nouvelle-{n}", name=f"Nouvelle {n}")))
        session.commit()
    login(client)
    from tests.conftest import parse_html

    first = parse_html(client.get("/coordination/propositions"))
    assert len(first.select("section.proposal")) == 50
    assert "120 propositions en attente" in first.select_one("#pages").get_text()
    last = parse_html(client.get("/coordination/propositions", query_string={"page": 3}))
    assert len(last.select("section.proposal")) == 20 and last.select_one("#next-page") is None


def _token(app, days: int = 90) -> str:
    from workspace import accounts
    from workspace.models import User

    with Session(app.extensions["maillage"].engine) as session:
        user = session.exec(select(User).where(User.email == "coord@example.org")).one()
        token = accounts.create_token(session, user, "essai", days)
        session.commit()
    return token


def test_a_token_opens_the_api_only(app, client, users):
    token = _token(app)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/coordination/comptes", headers=headers).status_code in (302, 401)
    assert client.post("/api/services", json=make_entry(id="par-jeton"), headers=headers).status_code == 201


def test_an_expired_token_is_refused(app, client, users, state):
    import datetime as dt

    from workspace.models import ApiToken

    token = _token(app, days=1)
    with Session(state.engine) as session:
        for row in session.exec(select(ApiToken)):
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            session.add(row)
        session.commit()
    response = client.post("/api/services", json=make_entry(id="trop-tard"),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_fifty_concurrent_api_creations_of_five_ids_give_five_201_and_409s(app, users):
    """Through the API, as two servers sharing one database would receive them."""
    token = _token(app)
    barrier = threading.Barrier(50, timeout=30)
    statuses: dict[str, list[int]] = {service_id: [] for service_id in IDS}
    lock = threading.Lock()

    def post(service_id: str, writer: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/services", json=make_entry(id=service_id, name=f"{service_id} par {writer}"),
                               headers={"Authorization": f"Bearer {token}"})
        with lock:
            statuses[service_id].append(response.status_code)

    threads = [threading.Thread(target=post, args=(service_id, writer)) for service_id in IDS for writer in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for service_id in IDS:
        assert sorted(statuses[service_id]) == [201] + [409] * 9, (service_id, statuses[service_id])


def test_a_name_with_a_nul_character_in_a_patch_is_a_400(app, client, users):
    token = _token(app)
    etag = client.get("/api/services/ccas-allonnes").headers["ETag"]
    response = client.patch("/api/services/ccas-allonnes", json={"name": "CCAS\x00 d'Allonnes"},
                            headers={"Authorization": f"Bearer {token}", "If-Match": etag})
    assert response.status_code == 400
    assert "\x00" not in client.get("/api/services/ccas-allonnes").get_json()["name"]
