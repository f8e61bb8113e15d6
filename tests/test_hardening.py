"""Hardening: each hole found by trying the application as an attacker or a careless
client (issue « Hardening »), one regression test per item."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from directory.loader import check_text
from directory.storage import get_service, row_to_data
from directory.transfer import check_csv, entries_to_csv
from tests.conftest import parse_html
from tests.factories import PASSWORD, login, make_entry, make_yaml
from web.maps import builders as maps
from web.settings import ConfigurationError, finalize
from workspace import accounts
from workspace.models import User

SERVICE = "ccas-allonnes"
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
HOSTILE = "CCAS ${document.title='X'} `+(document.title='Y')+` </script>"


# -- 1. stored XSS: no user text in JavaScript source; inline scripts need the nonce -------------
def _orientation_result(name: str) -> dict:
    service = {"id": "x", "name": name, "lat": 48.0, "lon": 0.2, "domain": "sante",
               "wait": {"summary": "2 semaines"}, "phone": {"number": "02 43 00 00 01", "dial": None}}
    return {"commune": {"name": name, "lat": 48.0, "lon": 0.2},
            "suggestions": [{"rank": 1, "type_label": name, "services": [service]}]}


def test_map_scripts_never_hold_user_text_as_javascript_source(reference):
    tiles = maps.TileSettings("", "")
    parts = [maps.orientation_map(_orientation_result(HOSTILE), tiles, lambda sid: f"/services/{sid}"),
             maps.service_map({"name": HOSTILE, "coordinates": (48.0, 0.2)}, "sante",
                              [reference.gazetteer.get("72003")], tiles),
             maps.cartography_map({}, {}, [{"name": HOSTILE, "lat": 48.0, "lon": 0.2, "status": "covered"}], tiles)]
    for part in parts:
        script = str(part.script)
        # The name travels only inside double-quoted JSON strings, with < > & ' escaped...
        assert "</script" not in script and "\\u003c/script\\u003e" in script
        # ...and outside those strings there is no template literal at all.
        code = JSON_STRING.sub('""', script)
        assert "`" not in code and "CCAS" not in code


def test_inline_scripts_carry_the_request_nonce_and_the_policy_has_no_unsafe_inline(client):
    response = client.get("/orientation?commune=72003&problems=impayes_loyer")
    policy = response.headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    nonce = script_src.split("'nonce-")[1].split("'")[0]
    inline = [tag for tag in parse_html(response).find_all("script") if not tag.get("src")]
    assert inline and all(tag.get("nonce") == nonce for tag in inline)
    assert client.get("/orientation?commune=72003&problems=impayes_loyer").headers[
        "Content-Security-Policy"] != policy  # a fresh nonce per response


# -- 2. size limits -------------------------------------------------------------------------------
def test_a_huge_anonymous_body_is_refused_with_413_in_french(client):
    body = b'{"commune": "72003", "problems": [' + b'"incurie",' * 2_000_000 + b'"incurie"]}'
    response = client.post("/api/orientations", data=body, content_type="application/json")
    assert response.status_code == 413
    payload = response.get_json()
    assert payload["field"] == "(corps)" and payload["error"].startswith("Envoi trop volumineux")
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(("key", "size"), [("problems", 41), ("household.prestations", 21),
                                           ("household.suivis_en_cours", 21)])
def test_orientation_lists_are_bounded(client, key, size):
    body = {"commune": "72003"}
    if key.startswith("household."):
        body["household"] = {key.split(".")[1]: ["cmp"] * size}
    else:
        body[key] = ["incurie"] * size
    response = client.post("/api/orientations", json=body)
    assert response.status_code == 400
    assert response.get_json()["field"] == key


def test_the_number_of_errors_returned_is_capped(client):
    response = client.post("/api/orientations", json={"commune": "72003", "problems": ["inconnu"] * 40})
    payload = response.get_json()
    assert response.status_code == 400
    assert len(payload["errors"]) == 20 and payload["errors_omitted"] == 20


# -- 3. deeply nested JSON -----------------------------------------------------------------------
NESTED = "[" * 100_000 + "]" * 100_000


def test_deeply_nested_orientation_body_is_a_400(client):
    response = client.post("/api/orientations", data=NESTED, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["field"] == "(corps)"
    assert client.get("/healthz").status_code == 200


def test_deeply_nested_service_body_is_a_400(coordinator):
    response = coordinator.post("/api/services", data=NESTED, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["field"] == "(corps)"


# -- 4. sessions end with logout, deactivation, and time --------------------------------------------
def _replay(app, cookie: str):
    """A new client (another browser) presenting a captured session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _captured_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_replayed_after_logout_no_longer_opens_the_workspace(app, coordinator):
    cookie = _captured_cookie(coordinator)
    assert _replay(app, cookie).get("/coordination/").status_code == 200
    coordinator.post("/deconnexion")
    assert _replay(app, cookie).get("/coordination/").status_code == 302


def test_logout_ends_the_other_sessions_of_the_user_too(app, client, users):
    other = app.test_client()
    assert login(client).status_code == 302 and login(other).status_code == 302
    client.post("/deconnexion")
    assert other.get("/coordination/").status_code == 302


def test_a_cookie_of_a_deactivated_user_no_longer_opens_the_workspace(app, coordinator, runner):
    cookie = _captured_cookie(coordinator)
    result = runner.invoke(args=["deactivate-user", "coord@example.org"])
    assert result.exit_code == 0, result.output
    assert _replay(app, cookie).get("/coordination/").status_code == 302
    assert login(app.test_client()).status_code == 401
    runner.invoke(args=["reactivate-user", "coord@example.org"])
    assert _replay(app, cookie).get("/coordination/").status_code == 302  # reactivation opens nothing old
    assert login(app.test_client()).status_code == 302


def test_admin_page_deactivates_an_account(app, client, users):
    coordinator = app.test_client()
    assert login(coordinator).status_code == 302
    assert login(client, "admin@example.org").status_code == 302
    page = client.post("/coordination/comptes", data={"action": "deactivate", "email": "coord@example.org"})
    assert page.status_code == 200
    row = parse_html(page).select_one('tr[data-email="coord@example.org"]')
    assert [td.get_text(strip=True) for td in row.find_all("td")][2] == "non"
    assert coordinator.get("/coordination/").status_code == 302


def test_a_session_ends_after_its_lifetime(app, coordinator):
    with coordinator.session_transaction() as session:
        session["login_at"] -= int(app.config["SESSION_HOURS"] * 3600) + 1
    assert coordinator.get("/coordination/").status_code == 302
    assert app.permanent_session_lifetime.total_seconds() == app.config["SESSION_HOURS"] * 3600


def _token_for(app, email="coord@example.org", label="test") -> str:
    with Session(app.extensions["maillage"].engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        token = accounts.create_token(session, user, label)
        session.commit()
    return token


def _patch_with_token(client, token: str):
    etag = client.get(f"/api/services/{SERVICE}").headers["ETag"]
    return client.patch(f"/api/services/{SERVICE}", json={"zone_label": "Allonnes"},
                        headers={"Authorization": f"Bearer {token}", "If-Match": etag})


def test_revoke_token_command_refuses_the_token_at_once(app, client, users, runner):
    token = _token_for(app)
    assert _patch_with_token(client, token).status_code == 200
    result = runner.invoke(args=["revoke-token", "coord@example.org"])
    assert result.exit_code == 0 and result.output.startswith("1 jeton(s) révoqué(s)")
    assert _patch_with_token(client, token).status_code == 401


def test_admin_page_lists_and_revokes_tokens(app, client, users):
    token = _token_for(app, label="export nocturne")
    assert login(client, "admin@example.org").status_code == 302
    page = parse_html(client.get("/coordination/comptes"))
    assert [td.get_text(strip=True) for td in page.select("table.tokens td")][:2] == ["coord@example.org",
                                                                                      "export nocturne"]
    client.post("/coordination/comptes", data={"action": "revoke", "email": "coord@example.org",
                                               "label": "export nocturne"})
    assert _patch_with_token(app.test_client(), token).status_code == 401


def test_an_older_database_gets_the_session_generation_column(tmp_path):
    from sqlalchemy import inspect, text

    from directory.storage import create_schema, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE app_user (id INTEGER PRIMARY KEY, email VARCHAR(254) NOT NULL, "
                                "password_hash VARCHAR NOT NULL, role VARCHAR(20) NOT NULL, active BOOLEAN "
                                "NOT NULL, created_at DATETIME NOT NULL)"))
        connection.execute(text("INSERT INTO app_user VALUES (1, 'a@example.org', 'h', 'admin', 1, "
                                "'2026-01-01 00:00:00')"))
    create_schema(engine)
    assert "session_generation" in {c["name"] for c in inspect(engine).get_columns("app_user")}
    with Session(engine) as session:
        assert session.get(User, 1).session_generation == 0
    engine.dispose()


# -- 5. CSV formula injection through list columns ------------------------------------------------
def test_list_cells_are_escaped_against_formulas_and_read_back(reference):
    entry = make_entry(referral__documents=["=HYPERLINK(\"http://exemple.invalid\")", "pièce d'identité"])
    text = entries_to_csv([entry])
    header, row = text.splitlines()[:2]
    column = header.split(";").index("referral.documents")
    assert row.split(";")[column].startswith("'=HYPERLINK(") or row.split(";")[column].startswith("\"'=HYPERLINK(")
    result = check_csv(text, reference, "export.csv")
    assert result.ok, result.issues
    assert result.entries[0].to_data()["referral"]["documents"][0] == "=HYPERLINK(\"http://exemple.invalid\")"


# -- 6. YAML aliases and the size of an import ---------------------------------------------------
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nservices: [*b]\n"


def test_yaml_anchors_and_aliases_are_refused_before_expansion(reference):
    result = check_text(ALIAS_BOMB, reference, "bombe.yaml")
    assert not result.ok and result.entries == []
    assert result.issues[0].line == 1 and "alias" in result.issues[0].message


def test_import_page_refuses_an_alias_file(coordinator):
    from io import BytesIO

    response = coordinator.post("/coordination/import", data={"file": (BytesIO(ALIAS_BOMB.encode()), "bombe.yaml")},
                                content_type="multipart/form-data")
    assert response.status_code == 400
    assert [tr["data-line"] for tr in parse_html(response).select("table.import-errors tbody tr")] == ["1"]


def test_import_caps_entries_and_shown_errors(coordinator, monkeypatch):
    from io import BytesIO

    from web.views import transfer

    bad = [make_entry(id=f"bad-{n}", types=["inconnu"]) for n in range(150)]
    response = coordinator.post("/coordination/import", data={"file": (BytesIO(make_yaml(*bad).encode()), "x.yaml")},
                                content_type="multipart/form-data")
    page = parse_html(response)
    assert len(page.select("table.import-errors tbody tr")) == transfer.SHOWN_ISSUES
    assert page.select_one(".import-errors-more")["data-omitted"] == "50"
    monkeypatch.setattr(transfer, "MAX_IMPORT_ENTRIES", 10)
    many = [make_entry(id=f"ok-{n}") for n in range(11)]
    response = coordinator.post("/coordination/import", data={"file": (BytesIO(make_yaml(*many).encode()), "x.yaml")},
                                content_type="multipart/form-data")
    rows = parse_html(response).select("table.import-errors tbody tr")
    assert response.status_code == 400 and len(rows) == 1
    assert "trop d'entrées (11)" in rows[0].get_text()


# -- 7. API contract ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/services"), ("put", f"/api/services/{SERVICE}"),
    ("patch", f"/api/services/{SERVICE}"), ("delete", f"/api/services/{SERVICE}"),
])
def test_anonymous_writes_get_401_even_with_csrf_on(csrf_client, method, path):
    response = getattr(csrf_client, method)(path, json={})
    assert response.status_code == 401 and response.get_json()["status"] == 401


@pytest.mark.parametrize("method", ["put", "post", "delete", "patch"])
def test_unsupported_methods_get_405_even_with_csrf_on(csrf_client, method):
    response = getattr(csrf_client, method)("/healthz")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_delete_without_if_match_is_428_and_changes_nothing(coordinator, app, state):
    assert coordinator.delete(f"/api/services/{SERVICE}").status_code == 428
    with Session(state.engine) as session:
        assert get_service(session, SERVICE).status != "closed"


def test_if_match_zero_does_not_bypass_the_version_check(coordinator, app, state):
    assert coordinator.delete(f"/api/services/{SERVICE}", headers={"If-Match": '"0"'}).status_code == 409
    with Session(state.engine) as session:
        assert get_service(session, SERVICE).status != "closed"
    body = coordinator.get(f"/api/services/{SERVICE}").get_json()
    assert coordinator.put(f"/api/services/{SERVICE}", json={"id": SERVICE}, headers={"If-Match": '"0"'}
                           ).status_code in (400, 409)
    assert body["version"] == 1


# -- 8. smaller ones -------------------------------------------------------------------------------
def test_concurrent_identical_account_creations_give_one_account_and_french_refusals(app, monkeypatch, state):
    engine = state.engine
    barrier = threading.Barrier(4, timeout=20)
    real_hash = accounts.hash_password

    def hash_together(password):
        barrier.wait()  # every request has passed the "already exists" check
        return real_hash(password)

    monkeypatch.setattr(accounts, "hash_password", hash_together)
    outcomes = []

    def create():
        with Session(engine) as session:
            try:
                accounts.create_user(session, "meme@example.org", PASSWORD, "coordinateur")
                session.commit()
                outcomes.append("created")
            except accounts.AccountError as error:
                outcomes.append(str(error))
            except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
                outcomes.append(repr(error))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["created"] + ["un compte existe déjà pour meme@example.org"] * 3


def test_database_errors_never_show_the_statement_parameters(app, state):
    engine = state.engine
    with Session(engine) as session:
        session.add(User(email="dup@example.org", password_hash="secret-hash-value", role="admin"))
        session.commit()
    with Session(engine) as session, pytest.raises(IntegrityError) as caught:
        session.add(User(email="dup@example.org", password_hash="secret-hash-value", role="admin"))
        session.commit()
    message = str(caught.value)
    # The statement's values are never echoed (PostgreSQL's own DETAIL line may still name
    # the duplicated key; the application maps the violation and never logs it).
    assert "secret-hash-value" not in message and "hide_parameters=True" in message


@pytest.mark.parametrize("target", ["/coordination/\x00", "/coordination/\r\nSet-Cookie: x=1", "/\\evil.example",
                                    "https://evil.example/", "//evil.example"])
def test_login_next_with_control_characters_or_another_host_goes_to_the_dashboard(client, users, target):
    response = client.post("/connexion", query_string={"next": target},
                           data={"email": "coord@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/coordination/"





def test_the_printable_sheet_refuses_a_description_in_the_address(client):
    response = client.get("/orientation/fiche", query_string={"commune": "72003", "description": "il boit"})
    assert response.status_code == 400
    assert parse_html(response).select_one('[data-field="description"]') is not None


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("get", "/orientation?commune=72003&problems=incurie", {}),
    ("get", "/orientation/fiche?commune=72003&problems=incurie", {}),
    ("post", "/orientation", {"data": {"commune": "72003", "description": "il boit"}}),
    ("post", "/api/orientations", {"json": {"commune": "72003", "problems": ["incurie"]}}),
])
def test_orientation_answers_are_never_cached(client, method, path, kwargs):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_public_service_json_hides_internal_fields_that_coordinators_see(app, client, users, state):
    public = client.get(f"/api/services/{SERVICE}").get_json()
    assert "verified_by" not in public and "notes" not in public
    assert login(client).status_code == 302
    internal = client.get(f"/api/services/{SERVICE}").get_json()
    assert {"verified_by", "notes"} <= internal.keys()
    with Session(state.engine) as session:
        assert internal["notes"] == row_to_data(get_service(session, SERVICE))["notes"]


def test_public_service_sheet_hides_verification_notes(app, client, state):
    with Session(state.engine) as session:
        notes = get_service(session, "sarthe-habitat").notes
    assert notes
    page = parse_html(client.get("/services/sarthe-habitat"))
    assert notes not in page.get_text(" ")


@pytest.mark.parametrize("secret", ["x", "s" * 31])
def test_a_short_secret_key_is_refused_in_production(secret, tmp_path):
    with pytest.raises(ConfigurationError, match="trop courte"):
        finalize({"ENV": "production", "SECRET_KEY": secret, "INSTANCE_DIR": str(tmp_path),
                  "TRUSTED_HOSTS": "maillage.example.org"})
    from workspace.privacy import generate_key

    assert finalize({"ENV": "production", "SECRET_KEY": "s" * 32, "INSTANCE_DIR": str(tmp_path),
                     "TRUSTED_HOSTS": "maillage.example.org", "DATA_KEY": generate_key()})


def test_trusted_hosts_refuse_another_host_header(app_config):
    from app import create_app

    application = create_app({**app_config, "TRUSTED_HOSTS": "maillage.example.org"})
    try:
        client = application.test_client()
        assert client.get("/coordination/", headers={"Host": "evil.example"}).status_code == 400
        good = client.get("/coordination/", headers={"Host": "maillage.example.org"})
        assert good.status_code == 302 and "evil" not in good.headers["Location"]
    finally:
        application.extensions["maillage"].engine.dispose()


def test_proxies_setting_reads_forwarded_headers_only_when_set(app_config):
    from app import create_app

    application = create_app({**app_config, "PROXIES": "1"})
    try:
        seen = {}

        @application.get("/_probe")
        def _probe():
            from flask import request

            seen.update(remote=request.remote_addr, scheme=request.scheme)
            return "ok"

        application.test_client().get("/_probe", headers={"X-Forwarded-For": "203.0.113.9",
                                                          "X-Forwarded-Proto": "https"})
        assert seen == {"remote": "203.0.113.9", "scheme": "https"}
    finally:
        application.extensions["maillage"].engine.dispose()


def test_failed_logins_from_other_addresses_never_lock_the_owner_out(client, users):
    """60 failed logins for one account from 10 addresses: each is refused, and the owner
    signs in from their own address (a flat per-account limit let anyone lock them out)."""
    statuses = [login(client, "coord@example.org", "faux", environ_base={"REMOTE_ADDR": f"198.51.100.{n % 10}"}
                      ).status_code for n in range(60)]
    assert set(statuses) <= {401, 429} and statuses[:10] == [401] * 10
    owner = login(client, "coord@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert owner.status_code == 302
