"""Honest, readable explanations: no unknown fact asserted, each sentence once per answer,
« Qui agit » in natural French, the danger's own line kept next to the emergency number."""

from __future__ import annotations

import pytest

from tests.factories import orient


def _sentences(answer: dict) -> list[str]:
    return [sentence for s in answer["suggestions"] for sentence in s["why"]]


def test_a_reason_never_asserts_a_contact_that_was_not_given(shared_client):
    unknown = orient(shared_client, commune="72154", problems=["impayes_loyer"])
    assert not any(s.startswith("Impayés avec un contact établi") for s in _sentences(unknown))
    assert any("(à vérifier)" in s for s in _sentences(unknown))
    known = orient(shared_client, commune="72154", problems=["impayes_loyer"], household={"contact_etabli": "oui"})
    assert any(s.startswith("Impayés avec un contact établi") for s in _sentences(known))


@pytest.mark.parametrize("problems", [["impayes_loyer"], ["impayes_loyer", "surendettement", "incurie"],
                                      ["violences_intrafamiliales"]])
def test_each_sentence_appears_once_per_answer(shared_client, problems):
    sentences = [s for s in _sentences(orient(shared_client, commune="72181", problems=problems))
                 if not s.startswith("Même raison que")]
    assert len(sentences) == len(set(sentences))


def test_a_repeated_reason_refers_to_the_card_that_gives_it(shared_client):
    answer = orient(shared_client, commune="72181", problems=["impayes_loyer"])
    references = [(s["rank"], why) for s in answer["suggestions"] for why in s["why"] if why.startswith("Même raison")]
    assert references
    for rank, why in references:
        first = int(why.split("n° ")[1].split(" ")[0])
        assert first < rank


@pytest.mark.parametrize("role", ["gardien", "travailleur_social"])
def test_who_acts_is_a_french_sentence_without_a_pasted_label(shared_client, role):
    answer = orient(shared_client, commune="72181", role=role,
                    problems=["addiction_alcool", "impayes_loyer", "handicap", "sans_solution_logement"])
    for suggestion in answer["suggestions"]:
        text = suggestion["who_acts"]
        assert text[0].isupper() and text.endswith(".")
        assert suggestion["type_label"] not in text and " à : " not in text


def test_violence_in_the_home_keeps_3919_right_after_17(shared_client):
    answer = orient(shared_client, commune="72181", role="gardien",
                    description="il est en train de frapper sa femme, elle hurle")
    numbers = [n["number"] for n in answer["emergency_numbers"]]
    assert answer["urgency"] == "P0" and numbers[:2] == ["17", "3919"]


def test_violence_with_children_mentioned_adds_the_crip(shared_client):
    answer = orient(shared_client, commune="72181", role="travailleur_social",
                    description="son mari la frappe devant les enfants")
    assert "crip" in [s["type"] for s in answer["suggestions"]]
    assert "enfant_en_danger" in [p["code"] for p in answer["detected_problems"]]


def test_a_suicide_threat_keeps_3114_right_after_15(shared_client):
    answer = orient(shared_client, commune="72264", role="gardien",
                    description="il m'a dit qu'il allait se jeter sous un train ce soir")
    assert [n["number"] for n in answer["emergency_numbers"]][:2] == ["15", "3114"]


def test_no_child_line_without_a_child(shared_client):
    answer = orient(shared_client, commune="72003", role="gardien",
                    description="courrier qui déborde, volets fermés, odeur")
    numbers = [n["number"] for n in answer["emergency_numbers"] + answer["helplines"]]
    assert "119" not in numbers and "crip" not in [s["type"] for s in answer["suggestions"]]


def test_the_answer_says_what_was_understood_and_what_was_set_aside(shared_client):
    answer = orient(shared_client, commune="72181", role="gardien",
                    description="il fume pas il boit pas mais il paie plus son loyer")
    assert [p["code"] for p in answer["detected_problems"]] == ["impayes_loyer"]
    assert {"code": "addiction_alcool", "words": "il boit pas", "category": "negated",
            "reason": "négation"} in answer["ignored"]


def test_the_orientation_page_shows_what_was_understood_and_set_aside(shared_client):
    from tests.conftest import parse_html

    response = shared_client.post("/orientation", data={"commune": "72181", "role": "gardien",
                                                        "description": "il boit pas mais il paie plus son loyer"})
    page = parse_html(response)
    assert [li["data-code"] for li in page.select(".understood__item")] == ["impayes_loyer"]
    assert [li["data-category"] for li in page.select(".understood__ignored li")] == ["negated"]
    assert "P0" not in page.select_one("section.urgency").get_text()
