"""Safe when unsure: a description is never refused, what is not understood is said, a
question is asked when a danger is possible, dangers are read from combinations of ordinary
signs with the right first number (issue « Safe when unsure »)."""

from pathlib import Path

import pytest
import yaml

from bench.checks import check_expectations
from tests.factories import orient

CASES = Path(__file__).parent / "cases"
SAFETY_CASES = yaml.safe_load((CASES / "safety_public.yaml").read_text(encoding="utf-8"))


def numbers(answer) -> list[str]:
    return [n["number"] for n in answer["emergency_numbers"]]


def question(answer, question_id):
    return next((q for q in answer["questions"] if q["id"] == question_id), None)


@pytest.mark.parametrize("case", SAFETY_CASES, ids=lambda c: c["id"])
def test_public_safety_case(shared_client, case):
    answer = orient(shared_client, **case["request"])
    assert check_expectations(answer, case["expect"]) == []


# -- danger read from a combination of ordinary signs (paraphrases of the failures) --
@pytest.mark.parametrize(("description", "first"), [
    ("la gamine du 5e est montée sur une chaise, elle se penche par-dessus la rambarde", "17"),
    ("la vieille dame du rez-de-chaussée est dehors en chemise de nuit depuis une heure et il gèle", "15"),
    ("il est rentré, il me tape, je peux pas parler", "114"),
    ("elle a avalé tous ses cachets et ne répond plus du tout", "15"),
    ("il m'a laissé une enveloppe pour son fils au cas où et m'a dit merci pour tout, adieu", "3114"),
    ("un type m'attend en bas avec une barre de fer, il hurle qu'il va me faire la peau", "17"),
    ("le gamin de 9 ans dit que son beau-père serre le cou de sa mère", "17"),
    ("ça sent le gaz dans la cage d'escalier", "18"),
    ("on ne la voit plus depuis une semaine, le courrier déborde et ça sent mauvais", "18"),
])
def test_danger_without_alarm_word_is_p0_with_the_right_first_number(shared_client, description, first):
    answer = orient(shared_client, commune="72181", role="gardien", description=description)
    assert answer["urgency"] == "P0"
    assert numbers(answer)[0] == first


def test_a_farewell_buried_in_a_long_report_is_p0(shared_client):
    report = ("Visite à domicile ce jour. Monsieur nous reçoit dans un logement correctement entretenu. "
              "Les démarches auprès de la CAF sont en cours, le dossier FSL a été déposé le mois dernier. "
              "Il évoque ses difficultés avec son fils, qu'il ne voit plus. En fin d'entretien, il nous montre une "
              "lettre qu'il a écrite « pour après » et précise qu'il a mis de côté ses somnifères. "
              "Prochain rendez-vous fixé dans quinze jours.")
    answer = orient(shared_client, commune="72181", role="travailleur_social", description=report)
    assert answer["urgency"] == "P0"
    assert "3114" in numbers(answer)[:2]


def test_gas_gets_the_gas_advice(shared_client):
    answer = orient(shared_client, commune="72181", role="gardien", description="odeur de gaz dans la cage d'escalier")
    assert numbers(answer)[0] == "18"
    assert any("interrupteur" in note["text"] for note in answer["advice"])


def test_suicidal_words_without_act_put_3114_first(shared_client):
    answer = orient(shared_client, commune="72181", role="gardien", description="elle m'a dit qu'elle voulait en finir")
    assert answer["urgency"] != "P0"
    assert numbers(answer)[0] == "3114"


@pytest.mark.parametrize("description", [
    "elle se tue au boulot pour payer ses dettes",
    "toujours pendue à sa fenêtre à surveiller le parking",
    "il a fait une TS il y a 10 ans, maintenant ça va bien",
    "il est mort de rire quand je lui parle de l'huissier",
])
def test_idioms_and_past_are_not_suicide(shared_client, description):
    answer = orient(shared_client, commune="72181", role="gardien", description=description)
    read = {p["code"] for p in answer["detected_problems"]}
    assert answer["urgency"] != "P0"
    assert not read & {"idees_suicidaires", "danger_immediat"}


# -- never a refusal --------------------------------------------------------------------------
@pytest.mark.parametrize("description", [
    "je sais pas trop comment dire, la dame du 5 m'inquiète",
    "bonjour",
    "il a rendu les clés",
    "zzz qsdf",
])
def test_a_description_alone_is_always_answered(shared_client, description):
    answer = orient(shared_client, commune="72003", role="gardien", description=description)
    assert answer["suggestions"], "first contacts are suggested"
    assert answer["suggestions"][0]["type"] == "service_social_bailleur"
    assert question(answer, "danger_now") is not None
    assert [n for n in numbers(answer) if n in ("15", "17", "18", "112")]


def test_only_an_empty_request_is_refused(shared_client):
    response = shared_client.post("/api/orientations", json={"commune": "72181", "description": "  "})
    assert response.status_code == 400
    assert response.get_json()["field"] == "problems"


def test_words_not_understood_are_said(shared_client):
    answer = orient(shared_client, commune="72181", role="gardien", description="il boit et crie la nuit")
    assert "addiction_alcool" in {p["code"] for p in answer["detected_problems"]}
    assert answer["unread"] == ["crie la nuit"]


def test_first_contacts_of_a_social_worker_are_not_the_landlord(shared_client):
    answer = orient(shared_client, commune="72181", role="travailleur_social", description="situation compliquée")
    assert answer["understood"] is False
    assert answer["suggestions"][0]["type"] == "ccas"
    assert answer["rules_applied"] == ["G0"]


# -- questions and answers ----------------------------------------------------------------------
def test_answering_yes_to_danger_now_gives_the_p0_answer(shared_client):
    body = {"commune": "72180", "role": "gardien", "description": "la dame du 5 m'inquiète beaucoup"}
    first = orient(shared_client, **body)
    assert first["urgency"] != "P0"
    assert [o["value"] for o in question(first, "danger_now")["options"]] == ["oui", "non", "ne_sait_pas"]
    second = orient(shared_client, **body, answers={"danger_now": "oui"})
    assert second["urgency"] == "P0"
    assert numbers(second)[0] == "112"
    assert question(second, "danger_now") is None


def test_yes_for_a_child_puts_17_and_119_first(shared_client):
    answer = orient(shared_client, commune="72181", role="gardien", description="je m'inquiète",
                    answers={"danger_now": "oui", "who": "enfant"})
    assert numbers(answer)[:2] == ["17", "119"]
    assert "enfant_en_danger" in {p["code"] for p in answer["problems"]}


def test_a_half_read_situation_asks_and_yes_uses_its_numbers(shared_client):
    body = {"commune": "72181", "role": "gardien", "description": "les enfants du 4 sont souvent seuls"}
    first = orient(shared_client, **body)
    assert first["urgency"] != "P0"
    assert question(first, "danger_now") is not None
    second = orient(shared_client, **body, answers={"danger_now": "oui"})
    assert numbers(second)[:2] == ["17", "119"]


def test_answering_no_removes_the_question_and_keeps_the_answer(shared_client):
    body = {"commune": "72181", "role": "gardien", "description": "la dame du 5 m'inquiète"}
    answer = orient(shared_client, **body, answers={"danger_now": "non"})
    assert answer["urgency"] != "P0"
    assert question(answer, "danger_now") is None


def test_what_was_seen_is_added_as_problems(shared_client):
    answer = orient(shared_client, commune="72181", role="gardien", description="la dame du 5 m'inquiète",
                    answers={"seen": ["incurie"]})
    assert "incurie" in {p["code"] for p in answer["problems"]}
    assert question(answer, "seen") is None


def test_a_problem_read_can_be_removed_and_the_orientation_changes(shared_client):
    body = {"commune": "72181", "role": "travailleur_social",
            "description": "il boit beaucoup et ne paie plus son loyer depuis trois mois"}
    first = orient(shared_client, **body)
    assert {"addiction_alcool", "impayes_loyer"} <= {p["code"] for p in first["problems"]}
    second = orient(shared_client, **body, dismissed=["addiction_alcool"])
    assert "addiction_alcool" not in {p["code"] for p in second["problems"]}
    assert "csapa" in {s["type"] for s in first["suggestions"]}
    assert "csapa" not in {s["type"] for s in second["suggestions"]}


def test_unknown_answers_are_400_naming_the_field(shared_client):
    response = shared_client.post("/api/orientations", json={
        "commune": "72181", "description": "x", "answers": {"danger_now": "peut-être"}})
    assert response.status_code == 400
    assert response.get_json()["field"] == "answers.danger_now"


def test_the_model_adds_what_the_lexicon_missed_and_says_so(shared_client):
    answer = orient(shared_client, commune="72181", role="travailleur_social",
                    description="le petit du 2e joue tout seul dans la cour")
    inferred = [p for p in answer["detected_problems"] if p["inferred"]]
    assert [p["code"] for p in inferred] == ["enfant_en_danger"]
    assert inferred[0]["matched"] == []


def test_the_model_never_brings_back_what_the_context_rules_set_aside(shared_client):
    answer = orient(shared_client, commune="72181", role="gardien",
                    description="la voisine tape sur le plafond avec un balai dès que les enfants courent")
    assert "enfant_en_danger" not in {p["code"] for p in answer["detected_problems"]}


def _corpus_sample(count: int = 100) -> list[dict]:
    """Every n-th text of the labelled corpus (both parts: nothing is tuned here)."""
    from bench.corpus import load_corpus

    corpus = load_corpus()
    texts = corpus["tune"] + corpus["holdout"]
    step = max(1, len(texts) // count)
    return texts[::step][:count]


def test_a_hundred_corpus_texts_alone_are_all_answered(shared_client):
    communes = ["72181", "72003", "72095", "72154", "72264", "72180"]
    refused = []
    for number, item in enumerate(_corpus_sample()):
        response = shared_client.post("/api/orientations", json={
            "commune": communes[number % len(communes)], "role": item["role"], "description": item["text"]})
        answer = response.get_json()
        if response.status_code != 200 or not (answer["suggestions"] or answer["questions"]):
            refused.append(item["id"])
    assert refused == []


# -- a search nothing is understood from ----------------------------------------------------------
@pytest.mark.parametrize("q", ["il boit pas", "il a rendu les clés", "il cherche de l'aide pour ses papiers"])
def test_a_search_nothing_is_read_from_lists_no_unrelated_service(shared_client, q):
    answer = shared_client.get("/api/services", query_string={"q": q, "commune": "72181"}).get_json()
    assert answer["understood"] is False
    assert answer["results"] == []
    assert [f["type"] for f in answer["first_contacts"]][0] == "service_social_bailleur"


def test_a_search_nothing_is_read_from_still_finds_a_name(shared_client):
    answer = shared_client.get("/api/services", query_string={"q": "Tarmac", "commune": "72181"}).get_json()
    assert answer["results"] and all("Tarmac" in r["name"] for r in answer["results"])


def test_the_search_page_says_nothing_was_understood_and_asks(shared_client):
    from tests.conftest import parse_html

    page = parse_html(shared_client.get("/annuaire", query_string={"q": "la dame du 5 m'inquiète",
                                                                   "commune": "72181"}))
    notice = page.select_one("#rien-compris")
    assert notice is not None
    assert [li["data-type"] for li in notice.select(".first-contacts li")][0] == "service_social_bailleur"
    assert page.select_one(".question[data-question='danger_now']") is not None
    assert page.select_one("#danger-oui")["href"].endswith("danger=oui")


def test_structures_unrelated_to_a_gas_leak_fold_under_the_danger_box(shared_client):
    from tests.conftest import parse_html

    page = parse_html(shared_client.get("/annuaire", query_string={"q": "odeur de gaz dans la cage d'escalier",
                                                                   "commune": "72181"}))
    assert page.select_one("section.urgency")["data-urgency"] == "P0"
    assert page.select_one("details.results-fold ol.result-list") is not None
    assert page.select_one(".triage-advice[data-code='gas']") is not None


def test_nothing_understood_is_an_urgency_to_ask_not_routine(shared_client):
    from tests.conftest import parse_html

    answer = orient(shared_client, commune="72180", role="gardien", description="la dame du 5 m'inquiète")
    assert answer["urgency"] == "unknown"
    page = parse_html(shared_client.post("/orientation", data={"commune": "72180", "role": "gardien",
                                                                "description": "la dame du 5 m'inquiète"}))
    assert page.select_one("#urgence-titre").get_text(strip=True) == "Urgence à préciser"
