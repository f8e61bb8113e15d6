"""Triage: how urgent a situation is, and which numbers to call first (REFERENCE §4.1, §6).

Shared by the orientation and the search answers. The first numbers come from the danger
read: a situation of ``data/situations.yaml`` carries its own (a child at a window: 17,
112, 119), an alarm word its nature's (fire: 18); a danger the person confirmed by
answering « Oui » to « Quelqu'un est-il en danger maintenant ? » the numbers of what was
possible. Suicidal words without a danger now put the 3114 first.
"""

from __future__ import annotations

import re

from directory.reference import ReferenceData
from reading.reader import reader_for

TRIAGE_ORDER = ("P0", "P1", "P2", "P3")
# Violence: the 3919 (victims, relatives, professionals) right after the 17, never instead.
NUMBERS_BY_NATURE = {"medical": ("15",), "violence": ("17", "3919"), "fire": ("18",),
                     "levee_de_doute": ("17", "18"), "child": ("17", "119"), "any": ("112",),
                     "cannot_speak": ("114",)}
NATURE_OF_PROBLEM = {"idees_suicidaires": "medical", "violences_intrafamiliales": "violence",
                     "enfant_en_danger": "child", "troubles_voisinage": "violence",
                     "agressivite_envers_personnel": "violence", "incurie": "fire",
                     "addiction_drogues": "medical", "addiction_alcool": "medical"}
# The line of each safety problem, given right after the emergency number (R03, R05, R08, R09).
SPECIFIC_LINES = {"violences_intrafamiliales": "3919", "idees_suicidaires": "3114",
                  "enfant_en_danger": "119", "maltraitance_personne_vulnerable": "3977"}


UNKNOWN_URGENCY = "unknown"  # nothing understood: not « routine follow-up », to be asked


def _urgency(problems: set[str], danger: bool, reference: ReferenceData) -> str:
    if danger:
        return "P0"
    if not problems:
        return UNKNOWN_URGENCY
    return min((reference.taxonomy.problems[p].triage for p in problems), key=TRIAGE_ORDER.index)


def _line_view(reference: ReferenceData, number: str) -> dict | None:
    line = reference.taxonomy.line(number)
    if line is None:
        return None
    return {"number": line.number, "label": line.label, "when": line.when,
            "dial": line.dial if line.callable else None, "sms": line.sms}


def numbers_of(reference: ReferenceData, nature: str) -> tuple[str, ...]:
    """The first numbers of a danger: a situation's own, or its nature's (112 otherwise)."""
    situation = reader_for(reference.taxonomy).situation_by_id.get(nature)
    return situation.numbers if situation else NUMBERS_BY_NATURE.get(nature, ("112",))


def emergency_numbers(reference: ReferenceData, natures: list[str], extra: list[str],
                      problems: list[str] = (), first: tuple[str, ...] = ()) -> list[dict]:
    """The emergency block, with the number fitting the danger first (G1), then the line of
    each safety problem read (violence → 3919, suicide → 3114…), then the other numbers.
    Suicidal words without a danger now: the 3114 first (national prevention line)."""
    ordered: list[str] = list(first)
    for nature in natures:
        ordered += numbers_of(reference, nature)
    if natures or first:
        ordered += [SPECIFIC_LINES[p] for p in problems if p in SPECIFIC_LINES]
    elif "idees_suicidaires" in problems:
        ordered.append(SPECIFIC_LINES["idees_suicidaires"])
    ordered += [n for n in extra if (line := reference.taxonomy.line(n)) and line.block == "urgences"]
    ordered += [line.number for line in reference.taxonomy.lines_in_block("urgences")]
    views = [_line_view(reference, n) for n in dict.fromkeys(ordered)]
    return [v for v in views if v]


def helplines(reference: ReferenceData, problems: set[str], rule_numbers: list[str],
              emergency: list[dict], children: bool = False) -> list[dict]:
    """National and departmental lines relevant to the situation (not the emergency block);
    a line about children only when children are known to be there."""
    shown = {n["number"] for n in emergency}
    children_lines = {line.number for line in reference.taxonomy.phone_lines if line.children_only_for}
    numbers = [n for n in rule_numbers if children or n not in children_lines or "enfant_en_danger" in problems]
    for line in reference.taxonomy.phone_lines:
        if line.shown_for(problems, children):
            numbers.append(line.number)
    views = [_line_view(reference, n) for n in dict.fromkeys(numbers) if n not in shown]
    return [v for v in views if v]


_EMERGENCY_NUMBER = re.compile(r"\b(?:15|17|18|112|114)\b")
_LEVELS = (("P0 si", "appeler tout de suite si"), ("P0 en cas de", "appeler tout de suite en cas de"),
           ("P1 si", "à traiter dans la journée si"))


def triage_advice(reference: ReferenceData, problems: list[str]) -> list[dict]:
    """When to call the emergency numbers, for each problem whose card says so, in plain
    French (« Appeler tout de suite si violences en cours… : 17 ou 112 »)."""
    advice = []
    for code in sorted(problems, key=lambda c: TRIAGE_ORDER.index(reference.taxonomy.problems[c].triage)):
        note = reference.taxonomy.problems[code].triage_note
        if not note or not _EMERGENCY_NUMBER.search(note):
            continue
        for jargon, plain in _LEVELS:
            note = note.replace(jargon, plain)
        advice.append({"code": code, "text": note[0].upper() + note[1:]})
    return advice


def danger_natures(problems: list[str], natures: list[str]) -> list[str]:
    """The natures of the danger of a situation ([] when there is none): those read in the
    text, else the one of the problem that makes it a danger (G1)."""
    if natures or "danger_immediat" not in problems:
        return list(natures)
    return [NATURE_OF_PROBLEM.get(p) for p in problems if p in NATURE_OF_PROBLEM][:1] or ["any"]


def situation_advice(reference: ReferenceData, natures: list[str]) -> list[dict]:
    """What to do at once for each situation read (gas: leave, no switch, no flame…)."""
    situations = reader_for(reference.taxonomy).situation_by_id
    return [{"code": n, "text": situations[n].advice} for n in dict.fromkeys(natures)
            if n in situations and situations[n].advice]


def triage_block(reference: ReferenceData, problems: list[str], natures: list[str],
                 rule_numbers: list[str] = (), children: bool = False,
                 confirmed: tuple[str, ...] = ()) -> dict:
    """The danger block of an answer: urgency, numbers (the danger's own first), lines and
    advice; shared by the orientation and the search pages. ``children``: children are
    known to live in the household or to be exposed; ``confirmed``: the first numbers of a
    danger the person confirmed (an answer « Oui »)."""
    natures = danger_natures(problems, natures) if not confirmed else list(natures)
    danger = bool(natures) or bool(confirmed)
    emergency = emergency_numbers(reference, natures, list(rule_numbers) if danger else [], problems, confirmed)
    return {"urgency": _urgency(set(problems), danger, reference), "emergency_numbers": emergency,
            "helplines": helplines(reference, set(problems), list(rule_numbers), emergency, children),
            "advice": situation_advice(reference, natures) + triage_advice(reference, problems)}


def search_triage(reference: ReferenceData, answer: dict, danger_confirmed: bool = False) -> dict | None:
    """The danger block of a search answer: with a danger read (or confirmed by the person's
    « Oui »), the same block as the orientation page; otherwise the advice on when to
    call, if the problems have one."""
    problems = [p["code"] for p in answer.get("detected_problems", []) if not p.get("worry")]
    natures = [d["nature"] for d in answer.get("danger_signals", [])]
    if danger_confirmed and not natures:
        possible = answer.get("possible_dangers") or []
        first = numbers_of(reference, possible[0]) if possible else ("112",)
        return triage_block(reference, ["danger_immediat", *problems], [], confirmed=tuple(first))
    if not problems and not natures:
        return None
    block = triage_block(reference, problems, natures)
    return block if block["urgency"] == "P0" or block["advice"] else None
