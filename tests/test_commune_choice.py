"""A commune is never guessed silently: homonyms are offered with their département,
an unknown name gets the closest names, a commune outside the directory's territory is
said to be so."""

import pytest

from directory.commune_choice import choose_commune
from directory.invalid import InvalidInput
from tests.conftest import parse_html

SARTHE = frozenset({"72"})


def test_homonyms_are_offered_with_their_departement(reference):
    with pytest.raises(InvalidInput) as raised:
        choose_commune(reference.gazetteer, "Saint-Georges", SARTHE, lambda: {"72": 80})
    problem = raised.value
    assert problem.field == "commune" and "plusieurs communes" in problem.message
    assert len(problem.options) > 3
    assert all(o.name == "Saint-Georges" for o in problem.options)
    assert {o.label for o in problem.options} >= {"Saint-Georges (15)", "Saint-Georges (47)"}


def test_the_directorys_own_homonym_is_taken_and_the_others_named(reference):
    choice = choose_commune(reference.gazetteer, "Allonnes", SARTHE, lambda: {"72": 80, "49": 1})
    assert choice.commune.insee == "72003"
    assert {o.departement for o in choice.homonyms} == {"28", "49"}


def test_homonyms_in_departements_of_equal_weight_are_asked(reference):
    with pytest.raises(InvalidInput):
        choose_commune(reference.gazetteer, "Allonnes", frozenset({"72", "28"}), lambda: {"72": 900, "28": 800})


def test_an_unknown_name_gets_the_closest_names_territory_first(reference):
    with pytest.raises(InvalidInput) as raised:
        choose_commune(reference.gazetteer, "le mnas", SARTHE)
    problem = raised.value
    assert "inconnue" in problem.message and problem.options[0].insee == "72181"
    assert "« Le Mans (72) »" in problem.message


def test_a_name_far_from_every_commune_gets_no_suggestion(reference):
    with pytest.raises(InvalidInput) as raised:
        choose_commune(reference.gazetteer, "xqzwvk", SARTHE)
    assert raised.value.options == () and "code INSEE" in raised.value.message


def test_a_postcode_of_several_communes_takes_the_main_one_and_names_the_others(reference):
    choice = choose_commune(reference.gazetteer, "72700", SARTHE)
    assert choice.commune.name == "Allonnes" and choice.shared == "postcode"
    assert choice.homonyms and all(o.departement == "72" for o in choice.homonyms)


def test_search_api_offers_the_homonyms(shared_client):
    response = shared_client.get("/api/services", query_string={"q": "ccas", "commune": "Saint-Georges"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == "commune"
    options = body["options"]
    assert {"insee", "name", "departement", "label"} <= set(options[0]) and len(options) > 3


def test_search_api_says_a_commune_is_outside_the_territory(shared_client):
    body = shared_client.get("/api/services", query_string={"q": "csapa", "commune": "Paris"}).get_json()
    assert body["commune"]["insee"] == "75056" and body["commune"]["in_territory"] is False
    inside = shared_client.get("/api/services", query_string={"q": "csapa", "commune": "Le Mans"}).get_json()
    assert inside["commune"]["in_territory"] is True


def test_search_page_links_each_homonym(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "ccas", "commune": "Saint-Georges"}))
    links = page.select(".commune-options a[data-insee]")
    assert len(links) > 3 and all("(" in a.get_text() for a in links)
    chosen = shared_client.get(links[0]["href"])
    assert chosen.status_code == 200
    assert parse_html(chosen).select_one("#resultats") is not None


def test_search_page_suggests_close_names(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "ccas", "commune": "le mnas"}))
    assert page.select_one(".commune-options a[data-insee='72181']") is not None


def test_search_page_notices_a_commune_outside_the_territory(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "csapa", "commune": "Paris"}))
    assert "hors du territoire" in page.select_one("#outside-territory").get_text()
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "csapa", "commune": "Le Mans"}))
    assert page.select_one("#outside-territory") is None


def test_search_page_names_the_other_homonyms(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "ccas", "commune": "Allonnes"}))
    assert page.select_one("h2#resultats") is not None
    assert {a["data-insee"][:2] for a in page.select("#homonyms a[data-insee]")} == {"28", "49"}


def test_orientation_form_offers_the_close_names_as_buttons(shared_client):
    form = {"commune": "le mnas", "problems": ["impayes_loyer"], "role": "travailleur_social"}
    page = parse_html(shared_client.post("/orientation", data=form))
    button = page.select_one("button[name='commune_choice'][value='72181']")
    assert button is not None and button.get_text() == "Le Mans (72)"
    chosen = shared_client.post("/orientation", data={**form, "commune_choice": "72181"})
    assert chosen.status_code == 200
    assert "Le Mans" in parse_html(chosen).select_one("#compris").get_text()


def test_orientation_says_when_the_commune_is_outside_the_territory(shared_client):
    page = parse_html(shared_client.get("/orientation", query_string={"commune": "Paris",
                                                                       "problems": "addiction_alcool"}))
    assert page.select_one("#outside-territory") is not None
    body = shared_client.post("/api/orientations", json={"commune": "Paris", "problems": ["addiction_alcool"]})
    assert body.get_json()["commune"]["in_territory"] is False


def test_orientation_api_offers_the_homonyms(shared_client):
    response = shared_client.post("/api/orientations", json={"commune": "Saint-Georges", "problems": ["incurie"]})
    assert response.status_code == 400
    assert len(response.get_json()["errors"][0]["options"]) > 3


def test_the_search_form_keeps_what_was_typed_when_the_commune_is_to_choose(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "il boit", "commune": "Saint-Georges"}))
    assert page.select_one("input[name='q']")["value"] == "il boit"
    assert page.select_one("input[name='commune']")["value"] == "Saint-Georges"


def test_commune_names_keep_their_capitals_in_messages(shared_client):
    page = parse_html(shared_client.post("/orientation", data={"commune": "le mnas", "problems": ["incurie"]}))
    message = page.select_one("#commune-error").get_text()
    assert message.startswith("Commune inconnue") and "Le Mans (72)" in message
