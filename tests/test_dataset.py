"""Invariants of the bundled data: codes known, communes resolvable, zones present,
placeholders flagged and never dialled."""

import re
from collections import Counter

import pytest
import yaml

from directory.loader import check_file
from directory.schema import PLACEHOLDER_PHONE
from web.settings import DATA_DIR

SECTORISED_TYPES = {"cmp", "ccas", "service_social_departemental", "plateforme_maintien"}


@pytest.fixture(scope="module")
def bundled(reference):
    result = check_file(DATA_DIR / "partners.yaml", reference)
    assert result.ok, "\n".join(str(i) for i in result.issues)
    return result.entries


def test_taxonomy_has_every_reference_code(reference):
    taxonomy = reference.taxonomy
    assert len(taxonomy.domains) == 6
    # The reference's 54 types, and « mairie » for the town halls (data/town_halls.yaml).
    assert len(taxonomy.service_types) == 55
    assert len(taxonomy.problems) == 27
    for code in ("impayes_loyer", "troubles_psychiques_suspectes", "sans_solution_logement"):
        assert code in taxonomy.problems
    for code in ("cmp", "samsah", "pension_de_famille", "crip", "ligne_nationale"):
        assert code in taxonomy.service_types


def test_directory_size_and_diversity(bundled):
    assert len(bundled) >= 55
    assert len({t for e in bundled for t in e.types}) >= 35


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"source": ""}, "source", "vide"),
    ({"last_verified_at": None}, "last_verified_at", "obligatoire"),
    ({"status": None}, "status", "valeur non permise"),
    ({"contacts__phone": {"number": "02 43 00 00 12", "placeholder": False, "source": "x"}}, "contacts.phone",
     "placeholder doit valoir true"),
    ({"contacts__phone": {"number": "02 43 80 00 01", "placeholder": False}}, "contacts.phone", "citer sa source"),
])
def test_the_validator_refuses_an_entry_without_source_date_status_or_with_an_unflagged_number(
        reference, overrides, field, words):
    """The bundled data passes the validator (the ``bundled`` fixture); this is what makes
    that mean something: no source, no verification date, no status, a placeholder number
    not flagged or a real one without its source are refused."""
    from directory.schema import validate_entry
    from tests.factories import make_entry

    _entry, errors = validate_entry(make_entry(**overrides), reference)
    assert [(e.field, words in e.message) for e in errors] == [(field, True)]


def test_sectorised_services_carry_their_communes(bundled):
    sectorised = [e for e in bundled if SECTORISED_TYPES & set(e.types)]
    assert len(sectorised) >= 15
    for entry in sectorised:
        # A sector is a list of communes (or a named zone/EPCI), never the whole département.
        assert not any(t.startswith("departement:") for t in entry.zone), entry.id


@pytest.mark.parametrize("insee", ["72181", "72003", "72095", "72154", "72264", "72180"])
def test_each_seed_commune_is_covered_by_exactly_one_cmp(bundled, reference, insee):
    from directory.zones import commune_key, expand_zone

    cmps = [e for e in bundled if "cmp" in e.types
            and commune_key(insee) in expand_zone(e.zone, reference.gazetteer, reference.zones)]
    assert len(cmps) == 1, [e.id for e in cmps]


def test_cmp_sectors_cover_the_whole_departement(bundled, reference):
    from directory.zones import covered_communes, expand_zone

    covered = Counter()
    for entry in bundled:
        if "cmp" in entry.types:
            keys = expand_zone(entry.zone, reference.gazetteer, reference.zones)
            covered.update(covered_communes(keys, reference.gazetteer))
    sarthe = set(reference.gazetteer.communes_of_departement("72"))
    assert sarthe <= set(covered)


def test_the_bundled_data_has_real_numbers_and_flagged_placeholders(bundled):
    """Both kinds are present (so that the rules above are exercised by the data)."""
    phones = [e.contacts.phone for e in bundled if e.contacts.phone]
    assert any(not p.placeholder for p in phones), "at least the verified CRIP line is real"
    assert any(p.placeholder and PLACEHOLDER_PHONE.match(p.number) for p in phones)


def test_no_placeholder_is_rendered_as_tel_link(client, bundled):
    from tests.conftest import parse_html

    for entry in bundled:
        page = parse_html(client.get(f"/services/{entry.id}"))
        links = [a["href"] for a in page.select('a[href^="tel:"]')]
        dialled = {re.sub(r"\D", "", href) for href in links}
        phone = entry.contacts.phone
        if phone and phone.placeholder:
            assert re.sub(r"\D", "", phone.number) not in dialled, entry.id
            assert page.select_one('[data-placeholder="true"]') is not None, entry.id


def test_named_zones_are_consistent(reference):
    raw = yaml.safe_load((DATA_DIR / "zones.yaml").read_text(encoding="utf-8"))
    codes = [z["code"] for z in raw["zones"]]
    assert len(codes) == len(set(codes))
    assert reference.zones
