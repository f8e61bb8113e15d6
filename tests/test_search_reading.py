"""The search page and API say what they understood, what they set aside, and when to call."""

from __future__ import annotations

import pytest

from tests.conftest import parse_html


def _page(client, **params):
    response = client.get("/annuaire", query_string=params)
    assert response.status_code == 200
    return parse_html(response)


@pytest.mark.parametrize(("q", "code", "numbers"), [
    ("elle a des bleus", "violences_intrafamiliales", ("17", "112")),
    ("courrier qui déborde", "isolement_repli", ("17", "18")),
])
def test_the_search_page_says_when_to_call(shared_client, q, code, numbers):
    page = _page(shared_client, q=q, commune="72181")
    advice = page.select_one(f'.triage-advice[data-code="{code}"]')
    assert advice is not None
    assert all(n in advice.get_text() for n in numbers) and "P0" not in advice.get_text()


def test_a_danger_read_in_a_search_shows_the_same_block_as_an_orientation(shared_client):
    page = _page(shared_client, q="il menace sa femme avec un couteau", commune="72181")
    block = page.select_one("section.urgency")
    assert block["data-urgency"] == "P0"
    numbers = [li.strong.get_text() for li in block.select("ul.numbers li")]
    assert numbers[:2] == ["17", "3919"]
    api = shared_client.get("/api/services", query_string={"q": "il menace sa femme avec un couteau"}).get_json()
    assert api["urgency"] == "P0" and [n["number"] for n in api["emergency_numbers"]][:2] == ["17", "3919"]


def test_no_danger_block_for_an_ordinary_search(shared_client):
    page = _page(shared_client, q="maison relais", commune="72181")
    assert page.select_one("section.urgency") is None
    assert "urgency" not in shared_client.get("/api/services", query_string={"q": "maison relais"}).get_json()


def test_the_search_page_lists_what_it_set_aside_and_why(shared_client):
    page = _page(shared_client, q="il fume pas il boit pas mais il paie plus son loyer", commune="72181")
    understood = [li["data-code"] for li in page.select(".understood__item")]
    assert understood == ["impayes_loyer"]
    ignored = [li.get_text(" ", strip=True) for li in page.select(".understood__ignored li")]
    assert ignored == ["« il boit pas » — négation"]


def test_a_lay_query_lists_the_right_few(shared_client):
    body = shared_client.get("/api/services", query_string={"q": "il boit", "commune": "72181"}).get_json()
    types = [r["types"][0] for r in body["results"]]
    assert body["total"] == len(body["results"]) <= 6
    assert types[0] == "csapa" and "centre_antipoison" not in types
    assert body["results"][0]["id"] != "medecin-traitant"  # a generic entry is never first


def test_a_generic_entry_is_not_shown_for_an_unrelated_query(shared_client):
    body = shared_client.get("/api/services", query_string={"q": "maison relais", "commune": "72181"}).get_json()
    assert "medecin-traitant" not in [r["id"] for r in body["results"]]
