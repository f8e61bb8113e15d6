"""Export in the data·inclusion format: validity against the package's own models, honesty
rules (no placeholder number, no confidential address, no illustrative entry), and the
coverage of the mapping tables."""

from __future__ import annotations

import copy
import json
import re

import pytest
from data_inclusion.schema.v1 import Thematique
from sqlmodel import Session

from directory.datainclusion import (
    EXPORTED_STATUSES,
    PROBLEM_THEMATIQUES,
    PROBLEMS_WITHOUT_THEMATIQUE,
    TYPE_THEMATIQUES,
    export_phone,
    export_warnings,
    operator_name,
    public_text,
    to_data_inclusion,
    validate_export,
    zone_eligibilite,
)
from directory.loader import check_file
from directory.paths import PROJECT_ROOT
from directory.schema import PLACEHOLDER_PHONE
from directory.storage import all_services, row_to_data
from web.settings import DATA_DIR

DOC = PROJECT_ROOT / "docs" / "DATA-INCLUSION.md"
# A placeholder number in any spelling: "02 43 00 00 12", "0243000012", "+33243000012".
PLACEHOLDER_ANYWHERE = re.compile(r"(?:\+33 ?|0)2 ?43 ?00 ?00 ?\d\d")


@pytest.fixture(scope="module")
def entries(reference):
    result = check_file(DATA_DIR / "partners.yaml", reference)
    assert result.ok, "\n".join(str(issue) for issue in result.issues)
    return [entry.to_data() for entry in result.entries]


@pytest.fixture(scope="module")
def payload(entries, reference):
    return to_data_inclusion(entries, reference)


@pytest.fixture(scope="module")
def full_payload(entries, reference):
    """Every entry, illustrative ones included, with page links."""
    return to_data_inclusion(entries, reference, statuses=None, base_url="https://maillage.example.org/")


def _entry(entries, entry_id):
    return copy.deepcopy(next(e for e in entries if e["id"] == entry_id))


# --------------------------------------------------------------------------- validity


def test_bundled_export_is_valid(payload):
    assert validate_export(payload) == []
    assert export_warnings(payload) == []
    assert payload["services"] and payload["structures"]


def test_export_of_every_status_is_valid(full_payload):
    assert validate_export(full_payload) == []
    assert export_warnings(full_payload) == []


def test_export_is_json_ready_and_stable(payload, entries, reference):
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    assert json.loads(text) == payload
    again = to_data_inclusion(list(reversed(entries)), reference)
    assert json.dumps(again, ensure_ascii=False, sort_keys=True) == text


def test_one_service_per_exported_entry_with_our_id(payload, entries):
    exported = sorted(e["id"] for e in entries if e["status"] in EXPORTED_STATUSES)
    assert [s["id"] for s in payload["services"]] == exported
    assert {s["source"] for s in payload["services"] + payload["structures"]} == {"maillage"}


def test_illustrative_and_closed_entries_are_left_out_by_default(payload, full_payload, entries):
    ids = {s["id"] for s in payload["services"]}
    left_out = {e["id"] for e in entries if e["status"] in ("illustrative", "closed")}
    assert left_out, "the bundled file has illustrative entries"
    assert not ids & left_out
    assert left_out <= {s["id"] for s in full_payload["services"]}


def test_every_service_references_an_exported_structure(payload, full_payload):
    for data in (payload, full_payload):
        structure_ids = [s["id"] for s in data["structures"]]
        assert len(structure_ids) == len(set(structure_ids))
        used = {s["structure_id"] for s in data["services"]}
        assert used == set(structure_ids)


def test_entries_of_one_operator_share_one_structure(payload):
    by_id = {s["id"]: s for s in payload["services"]}
    assert by_id["montjoie-csapa"]["structure_id"] == by_id["montjoie-caarud"]["structure_id"] == "association-montjoie"
    # "Sarthe Habitat (office public de l'habitat)" and "Sarthe Habitat" are one structure.
    assert by_id["sarthe-habitat"]["structure_id"] == by_id["sarthe-habitat-accompagnement-social"]["structure_id"]
    # An uncertain operator ("à vérifier [?]") gets a structure of its own.
    assert by_id["siao-sarthe"]["structure_id"] == "siao-sarthe--structure"


def test_validation_reports_errors(payload):
    broken = copy.deepcopy(payload)
    broken["services"][0]["structure_id"] = "nowhere"
    broken["services"][1]["courriel"] = "not an email"
    broken["services"][2]["code_postal"] = "7200"
    broken["structures"][0]["nom"] = "ab"
    errors = validate_export(broken)
    assert any("structure absente" in e and "nowhere" in e for e in errors)
    assert any(f"« {broken['services'][1]['id']} » : courriel" in e for e in errors)
    assert any(f"« {broken['services'][2]['id']} » : code_postal" in e for e in errors)
    assert any(e.startswith("structures[0]") and ": nom :" in e for e in errors)


def test_validation_reports_duplicates_and_warnings(payload):
    broken = copy.deepcopy(payload)
    broken["services"].append(copy.deepcopy(broken["services"][0]))
    assert any("identifiant en double" in e for e in validate_export(broken))
    broken = copy.deepcopy(payload)
    broken["services"][0]["nom"] = "Un nom qui finit par un point."
    assert validate_export(broken) == []
    assert len(export_warnings(broken)) == 1


# --------------------------------------------------------------------------- honesty rules


def test_no_placeholder_phone_is_exported(full_payload, entries):
    text = json.dumps(full_payload, ensure_ascii=False)
    assert not PLACEHOLDER_ANYWHERE.search(text)
    real = {export_phone(e["contacts"]["phone"]) for e in entries
            if e["contacts"]["phone"] and not e["contacts"]["phone"]["placeholder"]}
    exported = {s["telephone"] for s in full_payload["services"]} - {None}
    assert exported == real
    assert all(s["telephone"] is None for s in full_payload["structures"])


def test_export_phone():
    assert export_phone({"number": "02 43 00 00 12", "placeholder": True}) is None
    # Defensive: a placeholder number is never published, even if wrongly flagged.
    assert export_phone({"number": "02 43 00 00 12", "placeholder": False, "source": "x"}) is None
    assert export_phone({"number": "02 43 41 53 00", "placeholder": False}) == "+33243415300"
    assert export_phone({"number": "0 805 16 00 75", "placeholder": False}) == "+33805160075"
    assert export_phone({"number": "3919", "placeholder": False}) == "3919"
    assert export_phone({"number": "02 43 41 53 00"}) is None  # placeholder unknown: not published
    assert export_phone(None) is None
    assert PLACEHOLDER_PHONE.match("02 43 00 00 12")


def test_placeholder_numbers_quoted_in_texts_are_masked(entries, reference):
    entry = _entry(entries, "sarthe-habitat")
    entry["description"] = "Appeler le 02 43 00 00 01 (numéro de l'agence)."
    service = to_data_inclusion([entry], reference)["services"][0]
    assert "02 43 00 00" not in service["description"]
    assert "(numéro non communiqué)" in service["description"]


def test_no_confidential_address_is_exported(entries, reference, full_payload):
    confidential = [e for e in entries if e["site"]["address_confidential"]]
    assert confidential, "the bundled file has a confidential site"
    by_id = {s["id"]: s for s in full_payload["services"]}
    for entry in confidential:
        service = by_id[entry["id"]]
        assert service["adresse"] is None and service["latitude"] is None
        assert service["code_insee"] == entry["site"]["commune"]

    entry = _entry(entries, confidential[0]["id"])
    entry["site"].update(address="12 rue du Secret, 72000 Le Mans", lat=48.0061, lon=0.1996)
    payload = to_data_inclusion([entry], reference)
    assert validate_export(payload) == []
    text = json.dumps(payload, ensure_ascii=False)
    assert "Secret" not in text and "48.0061" not in text and "0.1996" not in text
    service = payload["services"][0]
    assert (service["code_insee"], service["commune"]) == ("72181", "Le Mans")
    assert service["adresse"] is None and service["longitude"] is None

    entry["site"]["address_confidential"] = False
    service = to_data_inclusion([entry], reference)["services"][0]
    assert service["adresse"] == "12 rue du Secret"
    assert (service["code_postal"], service["latitude"]) == ("72000", 48.0061)


def test_structures_carry_no_address(full_payload):
    for structure in full_payload["structures"]:
        assert structure["adresse"] is None and structure["latitude"] is None


def test_public_text_spells_out_doubt_flags():
    assert public_text("Siège au Mans [?] ; ouvert [K]. Source [V:R16].") == \
        "Siège au Mans (à confirmer) ; ouvert (à confirmer). Source."
    assert public_text(None) is None


# --------------------------------------------------------------------------- mapping


def test_mapping_covers_every_problem_code_used(entries, reference):
    used = {code for entry in entries for code in entry["problems"]}
    assert used <= set(PROBLEM_THEMATIQUES)
    assert set(reference.taxonomy.problems) == set(PROBLEM_THEMATIQUES)
    unmapped = {code for code, themes in PROBLEM_THEMATIQUES.items() if not themes}
    # A code without thématique is a documented decision, never an oversight.
    assert unmapped == set(PROBLEMS_WITHOUT_THEMATIQUE)
    doc = DOC.read_text(encoding="utf-8")
    for code in reference.taxonomy.problems:
        assert f"`{code}`" in doc, f"{code} missing from docs/DATA-INCLUSION.md"


def test_mapping_covers_every_service_type(reference):
    assert set(reference.taxonomy.service_types) == set(TYPE_THEMATIQUES)
    doc = DOC.read_text(encoding="utf-8")
    for code in reference.taxonomy.service_types:
        assert f"`{code}`" in doc, f"{code} missing from docs/DATA-INCLUSION.md"
    for themes in list(TYPE_THEMATIQUES.values()) + list(PROBLEM_THEMATIQUES.values()):
        assert all(isinstance(theme, Thematique) for theme in themes)


def test_every_exported_service_has_a_thematique_but_few(payload):
    without = [s["id"] for s in payload["services"] if not s["thematiques"]]
    assert without == ["ddets-sarthe"]  # État services: no equivalent thématique


def test_frais_publics_and_modes(payload):
    by_id = {s["id"]: s for s in payload["services"]}
    assert (by_id["montjoie-csapa"]["frais"], by_id["montjoie-csapa"]["frais_precisions"]) == ("gratuit", None)
    assert by_id["montjoie-maison-relais"]["frais"] == "payant"
    assert by_id["montjoie-maison-relais"]["frais_precisions"]
    assert by_id["sarthe-habitat"]["frais"] is None  # cost unknown
    assert by_id["mission-locale-sarthe-loir-sable"]["publics"] == ["jeunes"]
    # A CCAS that also shelters is not reserved to urgent situations.
    assert by_id["ccas-mamers"]["publics"] is None
    assert by_id["adil-sos-loyers-impayes"]["modes_accueil"] == ["a-distance"]
    assert by_id["montjoie-csapa"]["modes_accueil"] == ["en-presentiel"]
    assert by_id["departement-ase-crip"]["horaires_accueil"] == "Mo-Fr 09:00-12:00,14:00-18:00; PH off"
    assert by_id["departement-ase-crip"]["modes_mobilisation"] == ["envoyer-un-courriel", "telephoner"]
    assert "logement-hebergement--reduire-les-impayes-de-loyer" in by_id["sarthe-habitat"]["thematiques"]


def test_zone_eligibilite(reference):
    assert zone_eligibilite(["departement:72"], reference) == ["72"]
    assert zone_eligibilite(["72181", "72003", "72181"], reference) == ["72181", "72003"]
    assert zone_eligibilite(["epci:247200132"], reference) == ["247200132"]
    # A named zone that is exactly one EPCI is exported as its SIREN, otherwise as communes.
    assert zone_eligibilite(["zone:cc_pays_flechois"], reference) == ["247200348"]
    sabolien = zone_eligibilite(["zone:cc_pays_sabolien"], reference)
    assert sabolien == sorted(reference.zones["cc_pays_sabolien"].communes)
    # An illustrative sector is never exported as a real eligibility area.
    assert zone_eligibilite(["zone:secteur_cmp_sable"], reference) is None


def test_lien_source_points_to_the_service_page(full_payload, payload):
    service = next(s for s in full_payload["services"] if s["id"] == "montjoie-csapa")
    assert service["lien_source"] == "https://maillage.example.org/services/montjoie-csapa"
    assert all(s["lien_source"] is None for s in payload["services"])


def test_operator_name():
    assert operator_name("Sarthe Habitat (office public de l'habitat)") == "Sarthe Habitat"
    assert operator_name("État (préfecture de la Sarthe) [K]") == "État (préfecture de la Sarthe)"
    assert operator_name("Association gestionnaire à vérifier [?]") is None
    assert operator_name("CCAS d'Allonnes (pilote) ; ADGESTI mandatée") is None
    assert operator_name(None) is None


# --------------------------------------------------------------------------- inputs


def test_accepts_entries_and_stored_rows(app, entries, reference, payload, state):
    with Session(state.engine) as session:
        # The partners' entries (the town halls of town_halls.yaml are in the database too).
        wanted = {entry["id"] for entry in entries}
        rows = [row for row in all_services(session) if row.id in wanted]
        from_rows = to_data_inclusion(rows, reference)
        from_row_data = to_data_inclusion([row_to_data(row) for row in rows], reference)
    assert from_rows == from_row_data == payload
    result = check_file(DATA_DIR / "partners.yaml", reference)
    assert to_data_inclusion(result.entries, reference) == payload
