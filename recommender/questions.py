"""Questions asked when Maillage is unsure, and what the answers change.

A missed danger costs a life, a question costs a second: when a danger is possible but not
certain (a weak sign, a worry, a situation half read, nothing understood at all), the
answer asks « Quelqu'un est-il en danger maintenant ? » with one-tap answers; when nothing
precise was understood it also asks who is concerned and what was seen. The answers come
back in the request (``answers``) and re-run the orientation. At most three questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from directory.taxonomy import Taxonomy
from reading.reader import Reading
from recommender.request import Answers

MAX_QUESTIONS = 3
# Problems that can hide a danger now (REFERENCE §4.1: « P0 if imminent / ongoing / grave »).
DANGER_CAN_HIDE = frozenset({"idees_suicidaires", "violences_intrafamiliales", "enfant_en_danger",
                             "maltraitance_personne_vulnerable", "isolement_repli", "troubles_psychiques_suspectes",
                             "perte_autonomie_age", "agressivite_envers_personnel", "addiction_drogues",
                             "sortie_hospitalisation"})
# What a caretaker most often sees (REFERENCE §4.3, S3), offered as chips when nothing is read.
COMMON_SIGHTS = ("isolement_repli", "troubles_psychiques_suspectes", "incurie", "violences_intrafamiliales",
                 "addiction_alcool", "impayes_loyer", "troubles_voisinage", "perte_autonomie_age")
# Who is concerned → the problem it makes relevant (a child: child protection lines).
WHO_PROBLEMS = {"enfant": "enfant_en_danger", "personne_agee": "perte_autonomie_age"}
# The first numbers when « Oui, en danger » is answered without a situation read.
WHO_NUMBERS = {"enfant": ("17", "119"), "personne_agee": ("15",)}
ANY_DANGER_NUMBERS = ("112",)
MAX_CHIPS = 6


@dataclass
class Doubt:
    """Why a danger is possible but not certain (empty: no doubt)."""

    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.reasons)


def danger_doubt(reading: Reading, problems: list[str], p0: bool) -> Doubt:
    """Whether to ask if someone is in danger now, and why (for the API)."""
    if p0:
        return Doubt()
    doubt = Doubt()
    for finding in reading.possible_dangers:
        quoted = "« " + " », « ".join(finding.evidence) + " »"
        doubt.reasons.append(f"signe possible : {finding.situation.label.lower()} ({quoted})")
    if reading.danger_possible:
        doubt.reasons.append("la description ressemble à des situations de danger")
    if any(f.worry for f in reading.problems):
        doubt.reasons.append("une crainte est exprimée")
    if set(problems) & DANGER_CAN_HIDE:
        doubt.reasons.append("une difficulté qui peut cacher un danger")
    if any(item.category == "near_miss" for item in reading.ignored):
        doubt.reasons.append("un mot proche d'un mot d'alerte")
    if not problems:
        doubt.reasons.append("rien de précis n'a été compris")
    return doubt


def questions_for(reading: Reading, problems: list[str], p0: bool, answers: Answers,
                  taxonomy: Taxonomy) -> list[dict]:
    """The questions of an answer (API ``questions``), most important first."""
    asked: list[dict] = []
    doubt = danger_doubt(reading, problems, p0)
    if doubt and answers.danger_now is None:
        asked.append({
            "id": "danger_now", "text": "Quelqu'un est-il en danger maintenant ?", "multiple": False,
            "why": "; ".join(doubt.reasons),
            "options": [{"value": "oui", "label": "Oui"}, {"value": "non", "label": "Non"},
                        {"value": "ne_sait_pas", "label": "Je ne sais pas"}]})
    nothing_read = not problems
    if nothing_read and answers.who is None:
        asked.append({
            "id": "who", "text": "Qui est concerné ?", "multiple": False, "why": "pour proposer les bons relais",
            "options": [{"value": "adulte", "label": "Un adulte"}, {"value": "enfant", "label": "Un enfant"},
                        {"value": "personne_agee", "label": "Une personne âgée"},
                        {"value": "proche", "label": "Un proche de la personne"}]})
    if (nothing_read or len(problems) == 1 and _only_weak(reading)) and not answers.seen:
        chips = _likely_sights(reading, problems)
        asked.append({
            "id": "seen", "text": "Qu'avez-vous constaté ?", "multiple": True,
            "why": "cochez ce qui correspond : les suggestions seront précisées",
            "options": [{"value": code, "label": taxonomy.problems[code].label} for code in chips]})
    return asked[:MAX_QUESTIONS]


def _only_weak(reading: Reading) -> bool:
    return any(item.category == "weak" for item in reading.ignored)


def _likely_sights(reading: Reading, problems: list[str]) -> list[str]:
    """Problems set aside as a single vague sign first (the person may confirm them), then
    what caretakers most often see."""
    weak = [item.code for item in reading.ignored if item.category == "weak"]
    chips = [code for code in dict.fromkeys([*weak, *COMMON_SIGHTS]) if code not in problems]
    return chips[:MAX_CHIPS]


def apply_answers(problems: list[str], answers: Answers, reading: Reading) -> tuple[list[str], tuple[str, ...]]:
    """The problems once the answers are taken into account, and the first numbers of a
    danger the person confirmed (empty when none was confirmed)."""
    problems = list(problems)
    for code in answers.seen:
        if code not in problems:
            problems.append(code)
    implied = WHO_PROBLEMS.get(answers.who or "")
    if implied and implied not in problems:
        problems.append(implied)
    if answers.danger_now != "oui":
        return problems, ()
    if "danger_immediat" not in problems:
        problems.insert(0, "danger_immediat")
    possible = [f.situation for f in reading.possible_dangers]
    for situation in possible:
        problems += [code for code in situation.problems if code not in problems]
    numbers = (possible[0].numbers if possible else WHO_NUMBERS.get(answers.who or "", ANY_DANGER_NUMBERS))
    return problems, tuple(numbers)


def search_questions(reader, text: str, answer: dict) -> tuple[list[dict], list[str]]:
    """The danger question of a search (the words re-read: nothing is kept between two
    requests) and the situations it is about, for the « Oui » link."""
    if not text:
        return [], []
    reading = reader.read(text)
    problems = [p["code"] for p in answer.get("detected_problems", [])]
    p0 = bool(answer.get("danger_signals"))
    asked = [q for q in questions_for(reading, problems, p0, Answers(), reader.taxonomy)
             if q["id"] == "danger_now"]
    return asked, [f.situation.id for f in reading.possible_dangers]
