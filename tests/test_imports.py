"""Imports from the national registers into the review queue (data·inclusion here; FINESS
in tests/test_imports_finess.py): files built from the published schemas."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from data_inclusion.schema import v1
from sqlmodel import Session, select

from directory.datainclusion.mapping import PROBLEM_THEMATIQUES, TYPE_RESEAUX
from directory.imports.datainclusion import read_data_inclusion
from directory.imports.records import french_phone, register_mapping
from directory.models import Service
from tests.factories import pending_proposals
from workspace.editing import history
from workspace.models import StoredProposal
from workspace.review import decide, import_records

DATE = "2026-11-15"


def structure(**overrides) -> dict:
    """A data·inclusion structure, valid against the official v1 model."""
    data = {"source": "dora", "id": "s-1", "nom": "CCAS d'Allonnes", "date_maj": DATE, "siret": "21720003400014",
            "commune": "Allonnes", "code_postal": "72700", "code_insee": "72003", "adresse": "Place de la mairie",
            "telephone": "02 43 80 00 01", "reseaux_porteurs": ["ccas-cias"]}
    data.update(overrides)
    return v1.Structure.model_validate(data).model_dump(mode="json", exclude_none=True)


def service(**overrides) -> dict:
    """A data·inclusion service, valid against the official v1 model."""
    data = {"source": "dora", "structure_id": "s-1", "id": "svc-1", "nom": "CCAS d'Allonnes",
            "description": "Accueil social, aides facultatives et domiciliation des habitants d'Allonnes.",
            "date_maj": DATE, "code_insee": "72003",
            "thematiques": ["logement-hebergement--reduire-les-impayes-de-loyer"],
            "telephone": "0243800001"}
    data.update(overrides)
    return v1.Service.model_validate(data).model_dump(mode="json", exclude_none=True)


def write(tmp_path, structures, services, name="di.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"structures": structures, "services": services}), encoding="utf-8")
    return path


def run(state, path, departement="72"):
    records = read_data_inclusion(path, register_mapping()["data_inclusion"])
    return import_records(state.engine, state.reference, records, f"test {path.name}", departement)


def _row(state, service_id) -> Service:
    with Session(state.engine) as session:
        return session.get(Service, service_id)


# -- the mapping is data, and the reverse of the export's --------------------------------
def test_the_mapping_is_the_reverse_of_the_exports_where_one_exists():
    mapping = register_mapping()["data_inclusion"]
    by_reseau = defaultdict(set)
    for code, reseau in TYPE_RESEAUX.items():
        by_reseau[reseau.value].add(code)
    assert mapping["reseaux_types"] == {r: next(iter(t)) for r, t in by_reseau.items() if len(t) == 1}
    by_theme = defaultdict(list)
    for problem, themes in PROBLEM_THEMATIQUES.items():
        for theme in themes:
            by_theme[theme.value].append(problem)
    assert {k: sorted(v) for k, v in mapping["thematiques_problems"].items()} == \
        {k: sorted(v) for k, v in by_theme.items()}


@pytest.mark.parametrize(("raw", "expected"), [
    ("+33243800001", "02 43 80 00 01"), ("02.43.80.00.01", "02 43 80 00 01"), ("0243800001", "02 43 80 00 01"),
    ("115", None), ("+442079460000", None), ("", None),
])
def test_register_phones_are_written_the_french_way_or_left_out(raw, expected):
    assert french_phone(raw) == expected


# -- proposals ---------------------------------------------------------------------------
def test_a_known_service_gets_field_proposals_never_network_fields(app, tmp_path, state):
    before = _row(state, "ccas-allonnes")
    summary = run(state, write(tmp_path, [structure()], [service(description="Texte du registre.")]))
    assert summary.updates == 1 and summary.new == 0 and summary.matched_by == {"nom et commune": 1}
    (proposal,) = pending_proposals(state)
    assert proposal.service_id == "ccas-allonnes" and proposal.match.startswith("nom et commune")
    # A placeholder number gives way to the register's; the network's description stays.
    assert proposal.changes["contacts.phone"]["proposed"] == {
        "number": "02 43 80 00 01", "placeholder": False, "source": "data·inclusion (dora)"}
    assert "description" not in proposal.changes
    assert not {p for p in proposal.changes if p.split(".")[0] in ("zone", "eligibility", "wait", "referral", "notes")}
    assert _row(state, "ccas-allonnes").contacts == before.contacts  # nothing applied yet


def test_malformed_records_duplicates_and_other_departements(app, tmp_path, state):
    bad_service = service(id="svc-2")
    bad_service["code_insee"] = "7200"  # not 5 characters
    nameless = structure(id="s-3")
    del nameless["nom"]
    elsewhere = service(id="svc-4", code_insee="49007", structure_id="s-9", nom="CCAS d'Angers")
    path = write(tmp_path, [structure(), nameless], [service(), service(), bad_service, elsewhere])
    summary = run(state, path)
    where = {issue.where for issue in summary.issues}
    assert where == {"structures[1]", "services[2]"}
    assert all("schéma data·inclusion" in issue.message for issue in summary.issues)
    assert summary.duplicates == 1 and summary.other_departement == 1
    assert summary.updates == 1 and len(pending_proposals(state)) == 1


def test_a_second_import_of_the_same_file_proposes_nothing_new(app, tmp_path, state):
    path = write(tmp_path, [structure()], [service()])
    first = run(state, path)
    second = run(state, path)
    assert first.updates == 1 and second.updates == 0 and second.already_proposed == 1
    assert len(pending_proposals(state)) == 1


def test_accept_one_field_reject_another_goes_to_the_history(app, tmp_path, state):
    run(state, write(tmp_path, [structure(site_web="https://allonnes.fr/ccas")], [service()]))
    (proposal,) = pending_proposals(state)
    assert {"contacts.phone", "contacts.website", "identifiers.siret", "identifiers.data_inclusion"} <= set(
        proposal.changes)
    decision = decide(state.engine, None, state.reference, proposal.id, ["contacts.phone"], "coord@example.org")
    assert decision.status == "partial" and "contacts.website" in decision.rejected
    row = _row(state, "ccas-allonnes")
    assert row.contacts["phone"]["number"] == "02 43 80 00 01" and row.contacts["website"] is None
    with Session(state.engine) as session:
        latest = history(session, "ccas-allonnes")[0]
        stored = session.get(StoredProposal, proposal.id)
    assert latest.action == "proposition" and latest.user_email == "coord@example.org"
    assert [c.field for c in latest.changes] == ["contacts.phone.number", "contacts.phone.placeholder",
                                                  "contacts.phone.source"]
    assert stored.status == "partial" and stored.decisions["contacts.website"] == "rejected"
    # Re-importing proposes neither the accepted nor the refused fields again.
    assert run(state, write(tmp_path, [structure(site_web="https://allonnes.fr/ccas")], [service()])).updates == 0


def test_the_phone_says_where_it_comes_from(app, client, tmp_path, state):
    run(state, write(tmp_path, [structure()], [service()]))
    (proposal,) = pending_proposals(state)
    decide(state.engine, None, state.reference, proposal.id, ["contacts.phone"], "coord@example.org")
    detail = client.get("/api/services/ccas-allonnes").get_json()
    phone = next(p for p in detail["provenance"] if p["field"] == "contacts.phone.number")
    assert phone["text"] == "Téléphone : data·inclusion (dora), novembre 2026" and phone["date"] == DATE


def test_a_phone_accepted_then_replaced_by_hand_names_the_edit(app, client, tmp_path, state):
    """Provenance follows the data: the register no longer gets the credit for a number the
    network typed afterwards."""
    import datetime as dt

    from directory.schema import validate_entry
    from directory.storage import row_to_data
    from workspace.editing import save_entry

    run(state, write(tmp_path, [structure()], [service()]))
    (proposal,) = pending_proposals(state)
    decide(state.engine, None, state.reference, proposal.id, ["contacts.phone"], "coord@example.org")
    row = _row(state, "ccas-allonnes")
    data = row_to_data(row)
    data["contacts"]["phone"] = {"number": "02 43 80 99 99", "placeholder": False, "source": "appel au CCAS"}
    entry, errors = validate_entry(data, state.reference)
    assert errors == []
    save_entry(state.engine, None, state.reference, entry, "coord@example.org", row.version)
    detail = client.get("/api/services/ccas-allonnes").get_json()
    phone = next(p for p in detail["provenance"] if p["field"] == "contacts.phone.number")
    assert phone["source"] == "saisie du réseau" and phone["date"] == dt.date.today().isoformat()


def test_accepted_hours_carry_the_records_date(app, client, tmp_path, state):
    run(state, write(tmp_path, [structure()], [service(horaires_accueil="Mo-Fr 09:00-12:00")]))
    (proposal,) = pending_proposals(state)
    decide(state.engine, None, state.reference, proposal.id, None, "coord@example.org")
    detail = client.get("/api/services/ccas-allonnes").get_json()
    hours = next(p for p in detail["provenance"] if p["field"] == "hours")
    assert hours["date"] == DATE and hours["source"] == "data·inclusion (dora)"


def test_the_public_label_never_comes_from_the_file(app, tmp_path, state):
    hostile = "Préfecture — numéro officiel vérifié"
    run(state, write(tmp_path, [structure(source=hostile)], [service(source=hostile)]))
    (proposal,) = pending_proposals(state)
    labels = {proposal.source_label, *(c.get("proposed", {}).get("source", "") for c in proposal.changes.values()
                                       if isinstance(c.get("proposed"), dict))}
    assert hostile not in " ".join(labels) and proposal.source_label == "data·inclusion"


def test_a_town_hall_says_its_facts_come_from_the_annuaire(shared_client):
    detail = shared_client.get("/api/services/mairie-72039-bonnetable").get_json()
    texts = {p["field"]: p["text"] for p in detail["provenance"]}
    assert texts["contacts.phone.number"].startswith("Téléphone : Annuaire de l'administration")
    assert "octobre 2026" in texts["contacts.phone.number"]


def test_a_new_service_becomes_an_entry_to_verify_once_accepted(app, tmp_path, state):
    new = structure(id="s-5", nom="Point d'accueil solidarité", reseaux_porteurs=["ccas-cias"], code_insee="72039",
                    commune="Bonnétable", code_postal="72110", siret="21720039800011", telephone="0243293099")
    summary = run(state, write(tmp_path, [new], []))
    assert summary.new == 1
    (proposal,) = pending_proposals(state)
    assert proposal.kind == "new" and proposal.entry["status"] == "to_verify"
    assert proposal.entry["types"] == ["ccas"] and proposal.entry["zone"] == ["72039"]
    decide(state.engine, None, state.reference, proposal.id, None, "coord@example.org")
    row = _row(state, proposal.service_id)
    assert row.status == "to_verify" and row.identifiers["data_inclusion"] == "dora:structure:s-5"
    assert run(state, write(tmp_path, [new], [])).unchanged == 1


def test_a_structure_without_a_known_type_is_reported_not_guessed(app, tmp_path, state):
    odd = structure(id="s-6", nom="Association inconnue", reseaux_porteurs=None, code_insee="72039")
    summary = run(state, write(tmp_path, [odd], []))
    assert summary.new == 0 and "type de service inconnu" in summary.issues[0].message


def test_a_malformed_file_is_one_clear_issue(app, tmp_path, state):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    summary = run(state, path)
    assert summary.read == 0 and summary.issues[0].where == "fichier"
    with Session(state.engine) as session:
        assert session.exec(select(StoredProposal)).first() is None


# -- register numbers on an entry --------------------------------------------------------
@pytest.mark.parametrize(("field", "value", "message"), [
    ("finess", "72001234", "numéro FINESS invalide"), ("finess", "72A001234", "numéro FINESS invalide"),
    ("siret", "1234", "SIRET invalide"), ("data_inclusion", "sans-deux-points", "identifiant data·inclusion"),
])
def test_register_numbers_are_checked_by_the_one_validator(reference, field, value, message):
    from directory.schema import validate_entry
    from tests.factories import make_entry

    _entry, errors = validate_entry(make_entry(**{f"identifiers__{field}": value}), reference)
    assert [(e.field, message in e.message) for e in errors] == [(f"identifiers.{field}", True)]
    entry, errors = validate_entry(make_entry(identifiers__finess="2a0012345", identifiers__siret="217 200 034 00014"),
                                   reference)
    assert not errors and entry.identifiers.finess == "2A0012345" and entry.identifiers.siret == "21720003400014"


def test_an_older_database_gets_the_identifiers_column(tmp_path, reference):
    from sqlalchemy import inspect, text

    from directory.storage import create_schema, make_engine, row_to_data

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    create_schema(engine)
    with engine.begin() as connection:  # the table as an earlier release made it
        connection.execute(text("ALTER TABLE service DROP COLUMN identifiers"))
    assert "identifiers" not in {c["name"] for c in inspect(engine).get_columns("service")}
    create_schema(engine)
    assert "identifiers" in {c["name"] for c in inspect(engine).get_columns("service")}
    from directory.schema import validate_entry
    from directory.storage import upsert_entries
    from tests.factories import make_entry

    entry, _ = validate_entry(make_entry(), reference)
    upsert_entries(engine, [entry], reference)
    with Session(engine) as session:
        assert row_to_data(session.get(Service, "ccas-test"))["identifiers"]["finess"] is None
    engine.dispose()
