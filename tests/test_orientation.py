"""Orientation engine through the API: vignettes, semantics, validation, privacy."""

import logging
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.checks import check_expectations, types_of
from tests.conftest import parse_html
from tests.factories import orient

CASES = Path(__file__).parent / "cases"


def _load(name):
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", _load("vignettes_public.yaml") + _load("vignettes_own.yaml"),
                         ids=lambda c: c["id"])
def test_vignette(client, case):
    answer = orient(client, **case["request"])
    assert check_expectations(answer, case["expect"]) == []


def test_answer_shape(client):
    answer = orient(client, commune="72003", problems=["impayes_loyer"])
    assert set(answer) >= {"commune", "detected_problems", "urgency", "emergency_numbers",
                           "helplines", "suggestions", "gaps"}
    assert answer["commune"]["insee"] == "72003" and answer["commune"]["lat"]
    first = answer["suggestions"][0]
    assert set(first) >= {"rank", "type", "type_label", "rules", "why", "who_acts", "eligibility",
                          "services", "bridges"}
    assert first["why"] and all(isinstance(s, str) for s in first["why"])
    assert first["eligibility"]["status"] in {"likely", "unknown", "unlikely"}
    for service in first["services"]:
        assert set(service) >= {"id", "name", "covers_commune", "distance_km", "wait", "phone",
                                "how_to_refer"}


def test_commune_by_name_or_postcode(client):
    by_name = orient(client, commune="Mamers", problems=["handicap"])
    by_code = orient(client, commune="72600", problems=["handicap"])
    assert by_name["commune"]["insee"] == by_code["commune"]["insee"] == "72180"


def test_samsah_without_notification_is_never_first_and_mdph_comes_before(client):
    answer = orient(client, commune="72181", problems=["handicap", "rupture_de_soins"],
                    household={"notifications_mdph": []})
    ranked = types_of(answer)
    assert ranked[0] not in {"samsah", "savs"}
    if "samsah" in ranked:
        samsah = next(s for s in answer["suggestions"] if s["type"] == "samsah")
        assert samsah["eligibility"]["status"] == "unlikely"
        assert any("CDAPH" in m for m in samsah["eligibility"]["missing"])
        assert ranked.index("mdph") < ranked.index("samsah")


def test_notification_makes_samsah_likely(client):
    answer = orient(client, commune="72264", problems=["handicap"],
                    household={"notifications_mdph": ["orientation_samsah"]})
    samsah = next(s for s in answer["suggestions"] if s["type"] == "samsah")
    assert samsah["eligibility"] == {"status": "likely", "missing": []}


def test_referent_already_in_place_comes_first(client):
    answer = orient(client, commune="72181", problems=["troubles_psychiques_suspectes"],
                    household={"suivis_en_cours": ["cmp"], "contact_etabli": "oui"})
    first = answer["suggestions"][0]
    assert first["type"] == "cmp" and "G2" in first["rules"]


def test_refused_contact_puts_aller_vers_first(client):
    refused = orient(client, commune="72095", problems=["troubles_psychiques_suspectes"],
                     household={"contact_etabli": "non"})
    accepted = orient(client, commune="72095", problems=["troubles_psychiques_suspectes"],
                      household={"contact_etabli": "oui"})
    aller_vers = {"plateforme_maintien", "equipe_mobile", "mediation", "empp"}
    assert set(types_of(refused, 2)) & aller_vers
    assert not set(types_of(accepted, 1)) & aller_vers


def test_gardien_relays_internally_except_national_lines(client):
    answer = orient(client, commune="72003", role="gardien", problems=["incurie"])
    assert answer["suggestions"][0]["type"] == "service_social_bailleur"
    for s in answer["suggestions"]:
        if s["type"] not in {"ligne_nationale", "crip", "urgences", "forces_de_l_ordre",
                             "service_social_bailleur"}:
            assert s["who_acts"].startswith("Vous signalez")


def test_several_problems_merge_into_one_list_with_combined_reasons(client):
    answer = orient(client, commune="72181", problems=["impayes_loyer", "surendettement"],
                    household={"contact_etabli": "oui"})
    ranked = types_of(answer)
    assert len(ranked) == len(set(ranked))
    merged = [s for s in answer["suggestions"] if len(s["rules"]) > 1]
    assert merged and all(len(s["why"]) >= 2 for s in merged)


def test_sectorised_services_are_those_of_the_commune(client):
    answer = orient(client, commune="72154", problems=["rupture_de_droits"],
                    household={"contact_etabli": "oui"})
    ccas = next(s for s in answer["suggestions"] if s["type"] == "ccas")
    assert [svc["id"] for svc in ccas["services"]] == ["ccas-la-fleche"]


def test_no_service_for_the_territory_is_a_gap_not_a_distant_one(client):
    answer = orient(client, commune="72264", problems=["impayes_loyer"],
                    household={"contact_etabli": "oui"})
    by_type = {s["type"]: s for s in answer["suggestions"]}
    gaps = {g["type"] for g in answer["gaps"]}
    for code, suggestion in by_type.items():
        covering = [svc for svc in suggestion["services"] if svc["covers_commune"]]
        assert bool(covering) == (code not in gaps)
    assert all("aucune structure référencée pour ce territoire" in g["why"].lower() for g in answer["gaps"])


def test_long_waits_bring_bridges(client):
    answer = orient(client, commune="72264", problems=["handicap"],
                    household={"notifications_mdph": ["orientation_samsah"]})
    samsah = next(s for s in answer["suggestions"] if s["type"] == "samsah")
    assert {b["type"] for b in samsah["bridges"]} & {"cmp", "avsl", "equipe_mobile"}


@pytest.mark.parametrize(("description", "first"), [
    ("il la menace avec un couteau", "17"),
    ("il ne respire plus", "15"),
    ("odeur de gaz dans l'escalier", "18"),
])
def test_p0_puts_the_right_number_first(client, description, first):
    answer = orient(client, commune="72181", role="gardien", description=description)
    assert answer["urgency"] == "P0"
    assert answer["emergency_numbers"][0]["number"] == first


def test_no_p0_without_danger(client):
    answer = orient(client, commune="72181", problems=["impayes_loyer"])
    assert answer["urgency"] != "P0"
    assert [n["number"] for n in answer["emergency_numbers"]][:3] == ["15", "17", "18"]


# -- validation ------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "field"), [
    ({}, "commune"),
    ({"commune": "Atlantide", "problems": ["impayes_loyer"]}, "commune"),
    ({"commune": 72181, "problems": ["impayes_loyer"]}, "commune"),
    ({"commune": "72181", "problems": ["fatigue"]}, "problems[0]"),
    ({"commune": "72181", "problems": "impayes_loyer"}, "problems"),
    ({"commune": "72181"}, "problems"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "role": "maire"}, "role"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "colour": "bleu"}, "colour"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "household": {"age": "82"}}, "household.age"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "household": {"age": -1}}, "household.age"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "household": {"revenu": 1}}, "household.revenu"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "household": {"bailleur": "sh"}},
     "household.bailleur"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "household": {"prestations": ["rsaa"]}},
     "household.prestations[0]"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "household": {"suivis_en_cours": ["psy"]}},
     "household.suivis_en_cours[0]"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "household": {"demande_mdph_en_cours": "oui"}},
     "household.demande_mdph_en_cours"),
    ({"commune": "72181", "problems": ["impayes_loyer"], "description": "x" * 2001}, "description"),
])
def test_invalid_requests_are_400_naming_the_field(client, body, field):
    response = client.post("/api/orientations", json=body)
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["field"] == field and payload["error"]


@pytest.mark.parametrize("data", ["pas du json", "[1, 2]", "null", ""])
def test_non_object_bodies_are_400(client, data):
    response = client.post("/api/orientations", data=data, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["field"]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)
_bodies = st.fixed_dictionaries({}, optional={
    "commune": st.sampled_from(["72181", "72003", "Mamers", "72600", "", "zz"]) | st.text(max_size=20),
    "problems": st.lists(st.sampled_from(["impayes_loyer", "handicap", "incurie", "danger_immediat",
                                          "violences_intrafamiliales", "x"]), max_size=4) | _json_values,
    "description": st.text(max_size=200) | _json_values,
    "role": st.sampled_from(["gardien", "travailleur_social", "coordinateur", "x"]),
    "household": st.fixed_dictionaries({}, optional={
        "age": st.integers(-5, 130) | _json_values,
        "nb_enfants_mineurs": st.integers(-1, 40),
        "prestations": st.lists(st.sampled_from(["rsa", "aah", "x"]), max_size=3),
        "notifications_mdph": st.lists(st.sampled_from(["orientation_samsah", "orientation_savs", "y"]),
                                       max_size=2),
        "suivis_en_cours": st.lists(st.sampled_from(["cmp", "samsah", "mjpm", "z"]), max_size=2),
        "contact_etabli": st.sampled_from(["oui", "partiel", "non", "peut-être"]),
        "bailleur": st.sampled_from(["sarthe_habitat", "parc_prive", "autre"]),
    }) | _json_values,
}) | _json_values


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies)
def test_fuzzed_requests_never_get_a_server_error(client, body):
    response = client.post("/api/orientations", json=body)
    assert response.status_code in (200, 400)
    assert response.is_json


# -- pages, CLI, privacy -----------------------------------------------------------------
def test_orientation_page_get_with_codes_is_bookmarkable(client):
    response = client.get("/orientation", query_string={"commune": "72003", "problems": ["impayes_loyer"]})
    assert response.status_code == 200
    page = parse_html(response)
    assert page.select_one(".urgency")["data-urgency"] in {"P1", "P2", "P3"}
    ranks = [int(li["data-rank"]) for li in page.select("li.suggestion")]
    assert ranks == list(range(1, len(ranks) + 1)) and ranks


def test_orientation_page_groups_problems_as_checkboxes(client):
    page = parse_html(client.get("/orientation"))
    groups = page.select("fieldset.problem-group")
    assert len(groups) >= 5
    codes = {box["value"] for box in page.select('input[type=checkbox][name=problems]')}
    assert len(codes) == 27
    for field in page.select("form input:not([type=hidden]):not([type=checkbox]):not([type=radio]), "
                             "form select, form textarea"):
        assert page.select_one(f'label[for="{field["id"]}"]') is not None


def test_description_is_posted_never_in_the_url(client):
    refused = client.get("/orientation", query_string={"commune": "72181", "description": "il boit"})
    assert refused.status_code == 400
    page = parse_html(client.post("/orientation", data={"commune": "72181", "description": "il boit"}))
    assert page.select_one('li.suggestion[data-type="csapa"]') is not None
    print_form = page.select_one("form.print-form")
    assert print_form["method"] == "post"


def test_page_shows_form_errors_in_french(client):
    response = client.post("/orientation", data={"commune": "Atlantide", "problems": ["incurie"],
                                                  "age": "quatre"})
    assert response.status_code == 400
    fields = {li["data-field"] for li in parse_html(response).select('[role=alert] li')}
    assert fields == {"household.age"}


def test_print_sheet_is_a_standalone_page_without_personal_data(client):
    response = client.post("/orientation/fiche", data={
        "commune": "72003", "problems": ["impayes_loyer"], "description": "Mme Dupont ne paie plus"})
    page = parse_html(response)
    assert response.status_code == 200
    assert page.select_one("body.sheet") is not None
    assert "Dupont" not in page.get_text()
    assert page.select_one(".site-header") is None


def test_cli_orient_prints_the_ranking(runner):
    result = runner.invoke(args=["orient", "--commune", "72154", "--problem", "impayes_loyer"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("La Flèche · urgence")
    assert "1. " in result.output


def test_cli_orient_reports_bad_input(runner):
    result = runner.invoke(args=["orient", "--commune", "Atlantide", "--problem", "incurie"])
    assert result.exit_code == 1 and "commune" in result.output


def test_requests_and_descriptions_never_reach_logs_or_storage(app, client, caplog, state):
    from sqlmodel import Session

    from directory.storage import count_services

    secret = "Madame Zéphyrine Vautrin boit"
    engine = state.engine
    with Session(engine) as session:
        before = count_services(session)
    with caplog.at_level(logging.DEBUG):
        client.post("/api/orientations", json={"commune": "72181", "description": secret})
        client.post("/orientation", data={"commune": "72181", "description": secret})
    assert "Zéphyrine" not in caplog.text and "Vautrin" not in caplog.text
    with Session(engine) as session:
        assert count_services(session) == before
