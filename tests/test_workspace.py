"""Coordinators' workspace: accounts and permissions, security, editing with history and
optimistic locking, freshness, coverage gaps, import and export."""

import re

import pytest
from sqlmodel import Session, select

from directory.loader import check_text
from directory.storage import get_service, row_to_data
from tests.conftest import parse_html
from tests.factories import PASSWORD, login, make_entry, make_yaml
from workspace.accounts import check_password, create_token
from workspace.models import User

SERVICE = "ccas-allonnes"


def _row(state, service_id=SERVICE):
    with Session(state.engine) as session:
        return get_service(session, service_id)


# -- accounts and permissions -------------------------------------------------------
def test_passwords_are_hashed_with_argon2(app, users, state):
    with Session(state.engine) as session:
        user = session.exec(select(User).where(User.email == "coord@example.org")).one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert check_password(user.password_hash, PASSWORD)
    assert not check_password(user.password_hash, PASSWORD + "!")


@pytest.mark.parametrize(("email", "password"), [("coord@example.org", "mauvais mot de passe"),
                                                 ("inconnu@example.org", PASSWORD)])
def test_login_failure_does_not_say_which_part_was_wrong(client, users, email, password):
    response = login(client, email, password)
    assert response.status_code == 401
    assert parse_html(response).select_one('[role="alert"]').get_text(strip=True) == "Identifiants incorrects."


COORDINATION_PAGES = ["/coordination/", f"/coordination/services/{SERVICE}/modifier",
                      "/coordination/services/nouveau", f"/coordination/services/{SERVICE}/historique",
                      "/coordination/couverture", "/coordination/import", "/coordination/export",
                      "/coordination/export/annuaire.yaml", "/coordination/export/annuaire.csv"]


@pytest.mark.parametrize("path", COORDINATION_PAGES)
def test_anonymous_readers_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("path", COORDINATION_PAGES)
def test_coordinators_reach_the_workspace(coordinator, path):
    assert coordinator.get(path).status_code == 200


@pytest.mark.parametrize(("email", "status"), [("coord@example.org", 403), ("admin@example.org", 200)])
def test_accounts_page_is_for_admins(client, users, email, status):
    login(client, email)
    assert client.get("/coordination/comptes").status_code == status


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/services"), ("put", f"/api/services/{SERVICE}"),
    ("patch", f"/api/services/{SERVICE}"), ("delete", f"/api/services/{SERVICE}"),
])
def test_api_writes_need_a_coordinator(client, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401 and response.is_json


def test_api_write_with_token(app, client, users, state):
    with Session(state.engine) as session:
        user = session.exec(select(User).where(User.email == "coord@example.org")).one()
        token = create_token(session, user, "test")
        session.commit()
    etag = client.get(f"/api/services/{SERVICE}").headers["ETag"]
    response = client.patch(f"/api/services/{SERVICE}", json={"zone_label": "Allonnes (commune)"},
                            headers={"Authorization": f"Bearer {token}", "If-Match": etag})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["zone_label"] == "Allonnes (commune)"
    bad = client.patch(f"/api/services/{SERVICE}", json={},
                       headers={"Authorization": "Bearer faux", "If-Match": etag})
    assert bad.status_code == 401


def test_api_create_validates_with_the_shared_validator(coordinator):
    bad = coordinator.post("/api/services", json=make_entry(id="nouveau-ccas", types=["cmpp"]))
    assert bad.status_code == 400 and bad.get_json()["field"] == "types[0]"
    good = coordinator.post("/api/services", json=make_entry(id="nouveau-ccas"))
    assert good.status_code == 201 and good.headers["ETag"] == '"1"'
    again = coordinator.post("/api/services", json=make_entry(id="nouveau-ccas"))
    assert again.status_code == 409


def test_put_without_if_match_is_428(coordinator, app, state):
    body = row_to_data(_row(state))
    assert coordinator.put(f"/api/services/{SERVICE}", json=body).status_code == 428


def test_delete_closes_and_keeps_history(coordinator, app, state):
    etag = coordinator.get(f"/api/services/{SERVICE}").headers["ETag"]
    response = coordinator.delete(f"/api/services/{SERVICE}", headers={"If-Match": etag})
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    assert _row(state).status == "closed"
    page = parse_html(coordinator.get(f"/coordination/services/{SERVICE}/historique"))
    assert [li["data-version"] for li in page.select("li.history-item")] == ["2", "1"]


# -- security ---------------------------------------------------------------------------
def test_forms_without_csrf_token_are_refused(csrf_client):
    response = csrf_client.post("/connexion", data={"email": "coord@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert parse_html(response).select_one("h1").get_text(" ", strip=True).startswith("Requête invalide")


def test_session_api_writes_need_the_csrf_header(csrf_client):
    page = parse_html(csrf_client.get("/connexion"))
    token = page.select_one('input[name="csrf_token"]')["value"]
    assert csrf_client.post("/connexion", data={"email": "coord@example.org", "password": PASSWORD,
                                                "csrf_token": token}).status_code == 302
    refused = csrf_client.patch(f"/api/services/{SERVICE}", json={}, headers={"If-Match": '"1"'})
    assert refused.status_code == 400 and refused.get_json()["field"] == "csrf_token"
    # The session is new at login: the token of the login page no longer counts.
    stale = csrf_client.patch(f"/api/services/{SERVICE}", json={"zone_label": "Allonnes"},
                              headers={"If-Match": '"1"', "X-CSRFToken": token})
    assert stale.status_code == 400 and stale.get_json()["field"] == "csrf_token"
    fresh = parse_html(csrf_client.get("/coordination/")).select_one('input[name="csrf_token"]')["value"]
    accepted = csrf_client.patch(f"/api/services/{SERVICE}", json={"zone_label": "Allonnes"},
                                 headers={"If-Match": '"1"', "X-CSRFToken": fresh})
    assert accepted.status_code == 200
    # The orientation computation stays open to API clients.
    assert csrf_client.post("/api/orientations", json={"commune": "72003", "problems": ["incurie"]}).status_code == 200


def test_login_is_rate_limited(client, users):
    statuses = [login(client, "coord@example.org", "faux").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_security_headers(client):
    headers = client.get("/carte").headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http://tiles.invalid" in policy  # the configured tile host only
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_session_cookie_flags_in_production(tmp_path):
    from app import create_app
    from workspace.privacy import generate_key

    application = create_app({"ENV": "production", "SECRET_KEY": "s" * 40, "TRUSTED_HOSTS": "localhost",
                               "INSTANCE_DIR": str(tmp_path), "INDEX_IN_MEMORY": True, "DATA_KEY": generate_key()})
    assert application.config["SESSION_COOKIE_SECURE"] is True
    assert application.config["SESSION_COOKIE_HTTPONLY"] is True
    assert application.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    application.extensions["maillage"].engine.dispose()


# -- editing, history, optimistic locking --------------------------------------------------
def _form(page):
    """The submitted values of an edit form, as a browser would send them."""
    data = []
    for field in page.select("form.edit-form [name]"):
        name = field["name"]
        if field.name == "textarea":
            data.append((name, field.get_text()))
        elif field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            data.append((name, chosen["value"]))
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data.append((name, field["value"]))
        else:
            data.append((name, field.get("value", "")))
    return data


def _replace(data, name, value):
    return [(k, value if k == name else v) for k, v in data]


def _post_form(client, path, data):
    from werkzeug.datastructures import MultiDict

    return client.post(path, data=MultiDict(data))


def test_edit_form_saves_through_the_validator(coordinator, app, state):
    page = parse_html(coordinator.get(f"/coordination/services/{SERVICE}/modifier"))
    data = _replace(_form(page), "wait.days_max", "45")
    data = _replace(data, "wait.stated_at", "2026-11-01")
    response = _post_form(coordinator, f"/coordination/services/{SERVICE}/modifier", data)
    assert response.status_code == 302
    assert _row(state).wait["days_max"] == 45


def test_edit_errors_are_shown_next_to_the_field(coordinator, app, state):
    page = parse_html(coordinator.get(f"/coordination/services/{SERVICE}/modifier"))
    data = _replace(_form(page), "site.commune", "99999")
    response = _post_form(coordinator, f"/coordination/services/{SERVICE}/modifier", data)
    assert response.status_code == 400
    field = parse_html(response).select_one('[data-field="site.commune"] .field-error')
    assert "commune inconnue" in field.get_text()
    assert _row(state).version == 1


def test_two_coordinators_editing_the_same_service_lose_nothing(app, client, users, state):
    second = app.test_client()
    login(client)
    login(second, "admin@example.org")
    first_form = _form(parse_html(client.get(f"/coordination/services/{SERVICE}/modifier")))
    second_form = _form(parse_html(second.get(f"/coordination/services/{SERVICE}/modifier")))
    saved = _post_form(client, f"/coordination/services/{SERVICE}/modifier",
                       _replace(first_form, "zone_label", "Allonnes (premier)"))
    assert saved.status_code == 302
    stale = _post_form(second, f"/coordination/services/{SERVICE}/modifier",
                       _replace(second_form, "notes", "Note du second"))
    assert stale.status_code == 409
    page = parse_html(stale)
    diff = [li.get_text(" ", strip=True) for li in page.select(".conflict-diff li")]
    assert any("Allonnes (premier)" in line for line in diff)
    assert page.select_one('textarea[name="notes"]').get_text() == "Note du second"
    assert page.select_one('input[name="version"]')["value"] == "2"
    assert _row(state).zone_label == "Allonnes (premier)"  # the first save stands
    again = _post_form(second, f"/coordination/services/{SERVICE}/modifier", _form(page))
    assert again.status_code == 302
    assert _row(state).notes == "Note du second" and _row(state).version == 3


def test_concurrent_api_writes_get_409_with_the_changes(coordinator, app, state):
    etag = coordinator.get(f"/api/services/{SERVICE}").headers["ETag"]
    first = coordinator.patch(f"/api/services/{SERVICE}", json={"zone_label": "A"}, headers={"If-Match": etag})
    assert first.status_code == 200
    second = coordinator.patch(f"/api/services/{SERVICE}", json={"zone_label": "B"}, headers={"If-Match": etag})
    assert second.status_code == 409
    body = second.get_json()
    assert body["current_version"] == 2 and {"field": "zone_label", "old": "A", "new": "B"} in body["changes"]
    assert _row(state).zone_label == "A"


def test_history_records_who_when_what_and_restores(coordinator, app, state):
    etag = coordinator.get(f"/api/services/{SERVICE}").headers["ETag"]
    original = _row(state).name
    coordinator.patch(f"/api/services/{SERVICE}", json={"name": "CCAS renommé"}, headers={"If-Match": etag})
    page = parse_html(coordinator.get(f"/coordination/services/{SERVICE}/historique"))
    latest = page.select_one("li.history-item")
    assert "coord@example.org" in latest.get_text()
    change = latest.select_one('li[data-field="name"]').get_text(" ", strip=True)
    assert original in change and "CCAS renommé" in change
    asked = coordinator.post(f"/coordination/services/{SERVICE}/restaurer/1", data={"version": "2"})
    assert asked.status_code == 200 and _row(state).version == 2  # one click restores nothing
    confirm = parse_html(asked).select_one("form input[name='confirmed'][value='1']")
    assert confirm is not None
    restored = coordinator.post(f"/coordination/services/{SERVICE}/restaurer/1",
                                data={"version": "2", "confirmed": "1"}, follow_redirects=True)
    assert _row(state).name == original and _row(state).version == 3
    assert "Version 1 restaurée" in parse_html(restored).select_one(".flash").get_text()


def test_verified_today_updates_the_public_sheet(coordinator, app, state):
    import datetime as dt

    before = parse_html(coordinator.application.test_client().get(f"/services/{SERVICE}"))
    assert before.select_one(".service-sheet header .notice--warn") is not None  # « Informations à confirmer… »
    response = coordinator.post(f"/coordination/services/{SERVICE}/verifier", data={"version": "1"})
    assert response.status_code == 302
    row = _row(state)
    assert row.last_verified_at == dt.date.today() and row.verified_by == "coord@example.org"
    assert row.status == "active"
    public = parse_html(coordinator.application.test_client().get(f"/services/{SERVICE}"))
    assert public.select_one(".verification time")["datetime"] == dt.date.today().isoformat()
    assert public.select_one(".service-sheet header .notice--warn") is None


def test_close_and_reopen(coordinator, app, state):
    """Reopening gives back the status before the closure (« Citée en 2014 » stays so)."""
    assert _row(state).status == "seed_2014"
    asked = coordinator.post(f"/coordination/services/{SERVICE}/fermer", data={"version": "1"})
    assert asked.status_code == 200 and _row(state).status == "seed_2014"  # asked first
    assert parse_html(asked).select_one("h1").get_text() == "Fermer cette structure ?"
    closed = coordinator.post(f"/coordination/services/{SERVICE}/fermer", data={"version": "1", "confirmed": "1"},
                              follow_redirects=True)
    assert _row(state).status == "closed"
    assert "Structure fermée" in parse_html(closed).select_one(".flash").get_text()
    coordinator.post(f"/coordination/services/{SERVICE}/rouvrir", data={"version": "2"})
    assert _row(state).status == "seed_2014"


def test_reopening_a_service_closed_from_the_start_makes_it_to_verify(app, state):
    from workspace.editing import _status_before_closing

    assert _status_before_closing(state.engine, "aucune-version") == "to_verify"


# -- freshness and coverage --------------------------------------------------------------
def test_freshness_dashboard_counts(coordinator):
    page = parse_html(coordinator.get("/coordination/"))
    counts = {li["data-count"]: int(li.strong.get_text()) for li in page.select(".freshness-counts li")}
    assert counts["stale"] > 0 and counts["placeholders"] > 0 and counts["to_verify"] > 0
    assert page.select("#par-gestionnaire tbody tr")


def test_coverage_table_and_orientation_gaps(coordinator):
    # No centre social serves Arnage: the orientation reports that gap.
    coordinator.post("/api/orientations", json={"commune": "72008", "problems": ["isolement_repli"]})
    page = parse_html(coordinator.get("/coordination/couverture"))
    sable = page.select_one('tr[data-epci="247200090"]')
    assert sable.select_one('td[data-type="ccas"]')["data-status"] == "partial"
    assert sable.select_one('td[data-type="csapa"]')["data-status"] in {"covered", "distant"}
    rows = page.select(".gap-table tbody tr")
    assert rows and all(len(r.select("td")) == 4 for r in rows)
    assert "centre_social" in {r.get("data-type") for r in rows}


# -- import and export ------------------------------------------------------------------
def _upload(client, text, name="lot.yaml"):
    import io

    return client.post("/coordination/import", data={"file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def test_import_preview_then_atomic_apply(coordinator, app, state):
    current = row_to_data(_row(state))
    changed = {**current, "zone_label": "Allonnes (import)"}
    text = make_yaml(changed, make_entry(id="ccas-importe"))
    page = parse_html(_upload(coordinator, text))
    counts = {li["data-count"]: li.get_text() for li in page.select(".import-preview li[data-count]")}
    assert counts["added"].endswith("1") and counts["changed"].endswith("1")
    assert _row(state).zone_label != "Allonnes (import)"
    token = page.select_one('input[name="token"]')["value"]
    applied = coordinator.post("/coordination/import/appliquer", data={"token": token, "name": "lot.yaml"})
    assert parse_html(applied).select_one("[data-applied]") is not None
    assert _row(state).zone_label == "Allonnes (import)" and _row(state, "ccas-importe") is not None


def test_invalid_import_changes_nothing_and_lists_errors_by_line(coordinator, app, state):
    text = make_yaml(make_entry(id="bonne-entree"), make_entry(id="mauvaise", types=["cmpp"]))
    response = _upload(coordinator, text)
    assert response.status_code == 400
    rows = parse_html(response).select(".import-errors tbody tr")
    assert len(rows) == 1 and rows[0]["data-line"].isdigit()
    assert _row(state, "bonne-entree") is None


def test_csv_import(coordinator, app):
    from directory.transfer import entries_to_csv

    text = entries_to_csv([make_entry(id="ccas-csv")])
    page = parse_html(_upload(coordinator, text, "lot.csv"))
    assert page.select_one('.import-preview li[data-count="added"]').get_text().endswith("1")


@pytest.mark.parametrize("path", ["/coordination/export/annuaire.yaml", "/coordination/export/annuaire.csv"])
def test_exports_reload_identically(coordinator, app, reference, path, state):
    from directory.transfer import check_csv

    text = coordinator.get(path).get_data(as_text=True)
    result = check_csv(text, reference, "x.csv") if path.endswith(".csv") else check_text(text, reference)
    assert result.ok
    with Session(state.engine) as session:
        for entry in result.entries:
            assert entry.to_data() == row_to_data(get_service(session, entry.id))


def test_data_inclusion_export_endpoint_and_cli(client, runner):
    from directory.datainclusion import validate_export

    payload = client.get("/api/export/data-inclusion").get_json()
    assert payload["services"] and validate_export(payload) == []
    result = runner.invoke(args=["export", "--format", "data-inclusion"])
    assert result.exit_code == 0 and '"structures"' in result.output


def test_create_user_cli(runner, app):
    result = runner.invoke(args=["create-user", "nouveau@example.org", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and "nouveau@example.org" in result.output
    short = runner.invoke(args=["create-user", "court@example.org"], input="court\ncourt\n")
    assert short.exit_code == 1 and "trop court" in short.output
    for weak in ("aaaaaaaaaaaa", "azertyuiop12", "motdepasse123"):
        refused = runner.invoke(args=["create-user", "faible@example.org"], input=f"{weak}\n{weak}\n")
        assert refused.exit_code == 1 and "trop facile à deviner" in refused.output
    # Never on the command line, where `ps` would show it.
    assert runner.invoke(args=["create-user", "x@example.org", "--password", PASSWORD]).exit_code == 2
    token = runner.invoke(args=["create-token", "nouveau@example.org"])
    assert token.exit_code == 0 and re.fullmatch(r"[\w-]{40,}\n", token.output)


def test_zone_is_edited_with_commune_names_and_named_zones(coordinator, app, state):
    page = parse_html(coordinator.get(f"/coordination/services/{SERVICE}/modifier"))
    assert page.select_one('#zone-add-named option[value^="zone:"]') is not None
    data = _replace(_form(page), "zone", "72003\nSablé-sur-Sarthe (72300)\nzone:secteur_cmp_sable")
    response = _post_form(coordinator, f"/coordination/services/{SERVICE}/modifier", data)
    assert response.status_code == 302
    assert _row(state).zone == ["72003", "72264", "zone:secteur_cmp_sable"]


def test_unknown_zone_line_is_reported_on_the_zone_field(coordinator, app):
    page = parse_html(coordinator.get(f"/coordination/services/{SERVICE}/modifier"))
    response = _post_form(coordinator, f"/coordination/services/{SERVICE}/modifier",
                          _replace(_form(page), "zone", "Atlantide"))
    assert response.status_code == 400
    assert parse_html(response).select_one('[data-field="zone"] .field-error') is not None


def test_logout_ends_the_session(coordinator):
    assert coordinator.post("/deconnexion").status_code == 302
    assert coordinator.get("/coordination/").status_code == 302


def _gap_total(app) -> int:
    from workspace.gaps import gap_counts

    with Session(app.extensions["maillage"].engine) as session:
        return sum(gap.count for gap in gap_counts(session))


def test_an_orientation_shown_again_is_counted_once(app, coordinator):
    client = coordinator
    body = {"commune": "72008", "problems": ["isolement_repli", "addiction_alcool"]}
    client.post("/api/orientations", json=body)
    once = _gap_total(app)
    assert once > 0, "the case must have a gap, else the test proves nothing"
    client.post("/api/orientations", json=body)  # a reload
    client.get("/orientation/fiche", query_string=body)  # its printable sheet
    assert _gap_total(app) == once
    client.post("/api/orientations", json={**body, "problems": ["isolement_repli"]})  # another orientation
    assert _gap_total(app) > once


def test_coverage_headers_are_the_types_names(coordinator):
    page = parse_html(coordinator.get("/coordination/couverture"))
    headers = [th.get_text() for th in page.select(".coverage-table thead th a")]
    assert headers and not any("_" in h for h in headers)
    assert any("é" in h for h in headers)  # « Service social départemental », not « departemental »


def test_the_csv_help_is_a_page_linked_from_import_and_export(coordinator):
    for start in ("/coordination/import", "/coordination/export"):
        link = parse_html(coordinator.get(start)).select_one("a[href='/coordination/aide/csv']")
        assert link is not None, start
    page = parse_html(coordinator.get("/coordination/aide/csv"))
    assert page.select_one(".help-page h1") is not None and page.select(".help-page table, .help-page code")
    assert coordinator.get("/coordination/aide/inconnue").status_code == 404


def test_the_csv_help_is_for_coordinators(client):
    assert client.get("/coordination/aide/csv").status_code in (302, 401, 403)


def test_form_errors_name_the_fields_and_link_to_them(coordinator):
    page = parse_html(coordinator.post("/coordination/services/nouveau", data={}))
    summary = page.select(".notice--error li[data-field]")
    assert summary
    for item in summary:
        link = item.select_one("a")
        assert link is not None and link["href"].startswith("#f-")
        assert "." not in link.get_text() and "_" not in link.get_text()  # a label, not « wait.stated_at »
    identifier = page.select_one("li[data-field='id']")
    assert identifier is not None and "obligatoire" in identifier.get_text()
    assert "doit être un texte" not in page.get_text()


@pytest.mark.parametrize("service_id", ["ccas-allonnes", "montjoie-csapa", "epsm-empp", "departement-fsl"])
def test_a_save_that_touches_only_the_description_records_only_the_description(coordinator, app, service_id, state):
    import datetime as dt

    loaded_at = _row(state, service_id).updated_at
    page = parse_html(coordinator.get(f"/coordination/services/{service_id}/modifier"))
    data = _replace(_form(page), "description", "Une description revue.")
    response = _post_form(coordinator, f"/coordination/services/{service_id}/modifier", data)
    assert response.status_code == 302, parse_html(response).select(".field-error")
    history = parse_html(coordinator.get(f"/coordination/services/{service_id}/historique"))
    latest = history.select_one("li.history-item")
    assert [li["data-field"] for li in latest.select(".changes li")] == ["description"]
    # The initial version is dated at the load, not at this first edit.
    initial = history.select("li.history-item")[-1]
    assert initial["data-version"] == "1"
    shown = dt.datetime.strptime(initial.p.get_text().rsplit("·", 1)[1].strip(), "%d/%m/%Y %H:%M")
    assert abs(shown - loaded_at.replace(second=0, microsecond=0, tzinfo=None)) < dt.timedelta(minutes=1)


def test_history_names_problems_not_codes(coordinator, app, state):
    page = parse_html(coordinator.get(f"/coordination/services/{SERVICE}/modifier"))
    data = [(k, v) for k, v in _form(page) if not (k == "problems" and v == "impayes_loyer")]
    data.append(("problems", "surendettement"))
    _post_form(coordinator, f"/coordination/services/{SERVICE}/modifier", data)
    history = parse_html(coordinator.get(f"/coordination/services/{SERVICE}/historique"))
    change = history.select_one("li.history-item li[data-field='problems']").get_text()
    taxonomy = state.reference.taxonomy
    assert change == (f"Problèmes traités : ajouté {taxonomy.problem_label('surendettement')} ; "
                      f"retiré {taxonomy.problem_label('impayes_loyer')}")


def test_anonymous_orientations_never_steer_the_gaps_table(app, client):
    for problems in (["isolement_repli"], ["addiction_alcool"], ["incurie", "impayes_loyer"]):
        assert client.post("/api/orientations", json={"commune": "75056", "problems": problems}).status_code == 200
    assert _gap_total(app) == 0


@pytest.mark.parametrize("extra", [{"age": "82"}, {"nb_enfants_mineurs": "2"}, {"mesure_protection": "tutelle"}])
def test_the_orientation_address_carries_codes_only(client, extra):
    response = client.get("/orientation", query_string={"commune": "72003", "problems": "incurie", **extra})
    assert response.status_code == 400
    assert parse_html(response).select_one(f'[data-field="{next(iter(extra))}"]') is not None


def test_the_csv_export_names_its_charset_once(coordinator):
    response = coordinator.get("/coordination/export/annuaire.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
