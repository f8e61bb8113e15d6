"""Offline gazetteer: lookups by INSEE code, name and postcode; distances."""

import pytest


@pytest.mark.parametrize(("text", "insee"), [
    ("72181", "72181"),
    ("Le Mans", "72181"),
    ("le mans", "72181"),
    ("Sable sur Sarthe", "72264"),
    ("SABLÉ-SUR-SARTHE", "72264"),
    ("La Fleche", "72154"),
    ("72700", "72003"),
    ("72600", "72180"),
    ("72600", "72180"),
    ("Sablé-sur-Sarthe (72300)", "72264"),
    ("Le Mans (72000, 72100)", "72181"),
])
def test_resolve_finds_commune(reference, text, insee):
    found = reference.gazetteer.resolve(text)
    assert found and found[0].insee == insee


def test_code_that_is_both_insee_and_postcode_lists_insee_first(reference):
    found = [c.insee for c in reference.gazetteer.resolve("72190")]
    assert found[:2] == ["72190", "72095"]


def test_resolve_unknown_returns_nothing(reference):
    assert reference.gazetteer.resolve("Atlantide") == []
    assert reference.gazetteer.resolve("99999") == []


def test_sarthe_communes_all_have_coordinates(reference):
    codes = reference.gazetteer.communes_of_departement("72")
    assert len(codes) > 300
    missing = [c for c in codes if not reference.gazetteer.get(c).has_coordinates]
    assert missing == []


@pytest.mark.parametrize("departement", ["72", "78", "13", "31"])
def test_seed_departements_are_present(reference, departement):
    assert len(reference.gazetteer.communes_of_departement(departement)) > 100


def test_autocomplete_by_prefix_puts_exact_name_first(reference):
    names = [c.name for c in reference.gazetteer.search("sablé", departement="72")]
    assert names[0] == "Sablé-sur-Sarthe"


def test_autocomplete_by_postcode(reference):
    assert "72181" in [c.insee for c in reference.gazetteer.search("72000")]


def test_distance_between_le_mans_and_sable(reference):
    distance = reference.gazetteer.distance_km("72181", "72264")
    assert 40 < distance < 50


def test_distance_from_a_commune_to_a_place(reference):
    from directory.present import distance_from

    le_mans, sable = reference.gazetteer.get("72181"), reference.gazetteer.get("72264")
    assert 40 < distance_from(le_mans, (sable.lat, sable.lon)) < 50
    assert distance_from(le_mans, (le_mans.lat, le_mans.lon)) == 0.0
    assert distance_from(None, (sable.lat, sable.lon)) is None
    assert distance_from(le_mans, None) is None
