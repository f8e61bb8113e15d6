"""Details of the three journeys: French formatting (« 1er décembre », decimal commas),
home cards that lead somewhere."""

from __future__ import annotations

import datetime as dt
import re

from tests.conftest import parse_html
from web.templating import french_date, french_number


def test_the_first_of_the_month_is_written_1er():
    assert french_date(dt.date(2026, 12, 1)) == "1er décembre 2026"
    assert french_date("2026-11-22") == "22 novembre 2026"
    assert french_date(None) == "date inconnue"


def test_numbers_take_a_decimal_comma():
    assert (french_number(40.1), french_number(40.0), french_number(3), french_number(None)) == ("40,1", "40", "3", "")


def test_search_cards_show_distances_with_a_decimal_comma(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "cmp", "commune": "72264"}))
    distances = [m.group(0) for card in page.select(".results li, .results article")
                 for m in re.finditer(r"\d+(?:[.,]\d+)? km", card.get_text())]
    assert distances, "no distance shown: the test would prove nothing"
    assert not [d for d in distances if "." in d]
    assert any("," in d for d in distances)


def test_the_home_cards_lead_to_each_users_journey(shared_client):
    page = parse_html(shared_client.get("/"))
    links = {card["id"]: card["href"] for card in page.select(".cards a.card")}
    assert links == {"card-gardien": "/annuaire", "card-travailleur-social": "/orientation",
                     "card-coordinateur": "/coordination/"}
    for href in links.values():
        # The coordinator's desk asks to log in first: a redirect, never an error.
        assert shared_client.get(href).status_code in (200, 302)


def test_no_emergency_chip_ends_with_a_dangling_dash(shared_client):
    page = parse_html(shared_client.get("/"))
    chips = page.select(".emergency a.line")
    assert chips, "no emergency number in the header: the test would prove nothing"
    for chip in chips:
        text = " ".join(chip.get_text(" ").split())
        assert not text.endswith("—"), text


def test_a_page_past_the_last_result_says_so_and_leads_back(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "csapa", "offset": 500}))
    notice = page.find(id="past-the-end")
    assert notice is not None and "première page" in notice.get_text()
    assert "offset" not in notice.a["href"] and "q=csapa" in notice.a["href"]
    assert not page.select(".result-card")


def _orientation_page(client, **form):
    response = client.post("/orientation", data={"commune": "72181", "role": "gardien", **form})
    assert response.status_code == 200
    return parse_html(response)


def test_a_non_urgent_answer_captions_the_emergency_numbers_as_such(shared_client):
    page = _orientation_page(shared_client, problems=["impayes_loyer"])
    block = page.select_one("section.urgency")
    assert block["data-urgency"] != "P0"
    numbers = block.select_one("ul.numbers")
    caption = numbers.find_previous_sibling()
    assert caption.name == "h3" and caption.get_text(strip=True) == "En cas de danger immédiat"


def test_call_first_speaks_of_one_number_or_of_several(shared_client):
    page = _orientation_page(shared_client, description="il menace sa femme avec un couteau")
    block = page.select_one("section.urgency")
    assert block["data-urgency"] == "P0"
    count = len(block.select("ul.numbers li"))
    text = block.select_one(".call-first").get_text()
    assert ("celui des numéros" in text) == (count > 1) and ("le numéro ci-dessus" in text) == (count == 1)


def _helpline_numbers(client, **body) -> set[str]:
    response = client.post("/api/orientations", json={"commune": "72181", **body})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    return {line["number"] for line in answer["helplines"] + answer["emergency_numbers"]}


def test_child_protection_lines_only_when_children_are_known(shared_client):
    gardien = {"role": "gardien", "description": "courrier qui déborde, volets fermés, odeur"}
    without = _helpline_numbers(shared_client, **gardien)
    assert {"119", "02 53 04 42 39"}.isdisjoint(without)
    assert {"119", "02 53 04 42 39"}.isdisjoint(_helpline_numbers(shared_client, problems=["incurie"]))
    read = _helpline_numbers(shared_client, problems=["incurie"], description="deux enfants vivent dans le logement")
    counted = _helpline_numbers(shared_client, problems=["incurie"], household={"nb_enfants_mineurs": 2})
    assert {"119", "02 53 04 42 39"} <= read and {"119", "02 53 04 42 39"} <= counted


def test_an_orientation_has_a_bookmarkable_address_without_the_description(shared_client):
    from urllib.parse import parse_qs, urlsplit

    page = _orientation_page(shared_client, role="travailleur_social", problems=["impayes_loyer"],
                             description="Mme X ne boit plus mais son fils de 19 ans fume du cannabis", age="52")
    link = page.find(id="bookmark")
    query = parse_qs(urlsplit(link["href"]).query)
    assert set(query) == {"commune", "role", "problems"}  # no description, no age
    assert "impayes_loyer" in query["problems"] and len(query["problems"]) >= 2  # read problems as codes
    again = parse_html(shared_client.get(link["href"]))
    assert again.select("section.urgency") and not again.select(".notice--error")
