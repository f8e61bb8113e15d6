"""The orientation engine (REFERENCE.md §5): ranked, explained suggestions.

Order of processing: safety first (P0 signals put the right emergency number on top),
problem rules matched and merged into one ranked list with combined reasons, global
rules (referent first, gardien relays internally, aller-vers when contact is refused,
eligibility gates that mark and never hide, bridges for long waits), then the services
of the territory for each suggested type, and the gaps where none serves the commune.

Plain Python: the caller passes a ``find_services`` function that returns, for a type
and a commune, the services to show (see ``recommender.territory``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from directory.gazetteer import Commune
from directory.reference import ReferenceData
from directory.schema import FieldError
from reading.reader import Reading, reader_for
from recommender.eligibility import Eligibility, assess
from recommender.request import InvalidRequest, OrientationRequest
from recommender.rules import UNKNOWN, HouseholdCondition, Rule, RuleSet
from recommender.wording import who_acts

TRIAGE_ORDER = ("P0", "P1", "P2", "P3")
NUMBERS_BY_NATURE = {"medical": ("15",), "violence": ("17",), "fire": ("18",),
                     "levee_de_doute": ("17", "18"), "child": ("17", "119"), "any": ("112",),
                     "cannot_speak": ("114",)}
NATURE_OF_PROBLEM = {"idees_suicidaires": "medical", "violences_intrafamiliales": "violence",
                     "enfant_en_danger": "child", "troubles_voisinage": "violence",
                     "agressivite_envers_personnel": "violence", "incurie": "fire",
                     "addiction_drogues": "medical", "addiction_alcool": "medical"}
# The line of each safety problem, given right after the emergency number (R03, R05, R08, R09).
SPECIFIC_LINES = {"violences_intrafamiliales": "3919", "idees_suicidaires": "3114",
                  "enfant_en_danger": "119", "maltraitance_personne_vulnerable": "3977"}
# Referents relevant to any situation (G2), besides the types the problems point to.
GENERAL_REFERENTS = {"mjpm", "masp", "service_social_departemental", "spip"}
GATED_TYPES = {"savs", "samsah"}
# The referent of each legal or social protection measure (REFERENCE §7, G2).
PROTECTION_REFERENTS = {"sauvegarde_justice": "mjpm", "curatelle_simple": "mjpm", "curatelle_renforcee": "mjpm",
                        "tutelle": "mjpm", "habilitation_familiale": "mjpm", "maj": "mjpm",
                        "masp_simple": "masp", "masp_renforcee": "masp"}
POSITION_STEP = 5
MERGE_BONUS = 3
MAX_SUGGESTIONS = 12


@dataclass
class Candidate:
    """A suggested service type being ranked."""

    type: str
    score: float
    rules: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)

    def add_reason(self, rule_id: str, sentence: str | None) -> None:
        if rule_id not in self.rules:
            self.rules.append(rule_id)
        if sentence and sentence not in self.why:
            self.why.append(sentence)


@dataclass
class Context:
    """What the rules are evaluated against."""

    problems: set[str]
    danger: bool
    role: str
    household: dict
    signals: set[str] = field(default_factory=set)


def _household_facts(request: OrientationRequest, reading: Reading) -> dict:
    facts = request.household.model_dump()
    # A household that refuses contact (problem ticked) has contact "non" unless told otherwise.
    if facts.get("contact_etabli") is None and "refus_de_contact" in request.problems:
        facts["contact_etabli"] = "non"
    # Facts written in the description (children at home, « sous curatelle », « 19 ans »)
    # count when the form left them unknown.
    for key, value in reading.facts.items():
        if facts.get(key) is None:
            facts[key] = value
    return facts


CHILDREN_SIGNALS = frozenset({"children_at_home", "children_exposed"})


def _children_known(context: Context) -> bool:
    """Children are known to be there: counted in the household, or read in the text."""
    return bool(context.household.get("nb_enfants_mineurs")) or bool(context.signals & CHILDREN_SIGNALS)


def _in(values: list[str], actual) -> bool:
    return (UNKNOWN in values) if actual is None else actual in values


def household_matches(condition: HouseholdCondition, facts: dict) -> bool:
    """True when every listed household condition holds (unknown facts fail the test)."""
    checks = []
    if condition.contact_etabli is not None:
        checks.append(_in(condition.contact_etabli, facts.get("contact_etabli")))
    if condition.bailleur is not None:
        checks.append(_in(condition.bailleur, facts.get("bailleur")))
    age = facts.get("age")
    if condition.age_min is not None:
        checks.append(age is not None and age >= condition.age_min)
    if condition.age_max is not None:
        checks.append(age is not None and age <= condition.age_max)
    if condition.nb_enfants_mineurs_min is not None:
        children = facts.get("nb_enfants_mineurs")
        checks.append(children is not None and children >= condition.nb_enfants_mineurs_min)
    for key, fact, wanted in (("notifications_any", "notifications_mdph", True),
                              ("notifications_none", "notifications_mdph", False),
                              ("prestations_any", "prestations", True),
                              ("suivis_any", "suivis_en_cours", True),
                              ("suivis_none", "suivis_en_cours", False),
                              ("mesure_protection_any", "mesure_protection", True)):
        values = getattr(condition, key)
        if values is None:
            continue
        actual = facts.get(fact)
        if actual is None:
            checks.append(UNKNOWN in values)
            continue
        actual = {actual} if isinstance(actual, str) else set(actual)
        checks.append(bool(actual & set(values)) == wanted)
    if condition.demande_mdph_en_cours is not None:
        checks.append(facts.get("demande_mdph_en_cours") is condition.demande_mdph_en_cours)
    return all(checks)


def relies_on_unknown(condition: HouseholdCondition, facts: dict) -> bool:
    """True when a condition holds only because a fact it lists as ``inconnu`` was not given."""
    for key, fact in (("contact_etabli", "contact_etabli"), ("bailleur", "bailleur"),
                      ("notifications_any", "notifications_mdph"), ("notifications_none", "notifications_mdph"),
                      ("prestations_any", "prestations"), ("suivis_any", "suivis_en_cours"),
                      ("suivis_none", "suivis_en_cours"), ("mesure_protection_any", "mesure_protection")):
        values = getattr(condition, key)
        if values is not None and UNKNOWN in values and facts.get(fact) is None:
            return True
    return False


def reason_of(rule: Rule, context: Context) -> str:
    """The sentence a rule gives as its reason, without asserting an unknown fact."""
    if rule.description_unknown and relies_on_unknown(rule.when.household, context.household):
        return rule.description_unknown
    return rule.description


def rule_matches(rule: Rule, context: Context) -> bool:
    """True when a rule's trigger holds for this situation."""
    when = rule.when
    if not context.problems & set(when.problems_any):
        return False
    if not set(when.problems_all) <= context.problems or context.problems & set(when.problems_none):
        return False
    if when.danger is not None and when.danger != context.danger:
        return False
    if when.roles and context.role not in when.roles:
        return False
    if when.signals_any and not context.signals & set(when.signals_any):
        return False
    return household_matches(when.household, context.household)


def _urgency(problems: set[str], danger: bool, reference: ReferenceData) -> str:
    if danger:
        return "P0"
    levels = [reference.taxonomy.problems[p].triage for p in problems] or ["P3"]
    return min(levels, key=TRIAGE_ORDER.index)


def _line_view(reference: ReferenceData, number: str) -> dict | None:
    line = reference.taxonomy.line(number)
    if line is None:
        return None
    return {"number": line.number, "label": line.label, "when": line.when,
            "dial": line.dial if line.callable else None, "sms": line.sms}


def emergency_numbers(reference: ReferenceData, natures: list[str], extra: list[str],
                      problems: list[str] = ()) -> list[dict]:
    """The emergency block, with the number fitting the danger first (G1), then the line of
    each safety problem read (violence → 3919, suicide → 3114…), then the other numbers."""
    ordered: list[str] = []
    for nature in natures:
        ordered += NUMBERS_BY_NATURE.get(nature, ("112",))
    if natures:
        ordered += [SPECIFIC_LINES[p] for p in problems if p in SPECIFIC_LINES]
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


def triage_block(reference: ReferenceData, problems: list[str], natures: list[str],
                 rule_numbers: list[str] = (), children: bool = False) -> dict:
    """The danger block of an answer: urgency, numbers (the danger's own first), lines and
    advice; shared by the orientation and the search pages. ``children``: children are
    known to live in the household or to be exposed."""
    natures = danger_natures(problems, natures)
    emergency = emergency_numbers(reference, natures, list(rule_numbers) if natures else [], problems)
    return {"urgency": _urgency(set(problems), bool(natures), reference), "emergency_numbers": emergency,
            "helplines": helplines(reference, set(problems), list(rule_numbers), emergency, children),
            "advice": triage_advice(reference, problems)}


def search_triage(reference: ReferenceData, answer: dict) -> dict | None:
    """The danger block of a search answer: with a danger read, the same block as the
    orientation page; otherwise the advice on when to call, if the problems have one."""
    problems = [p["code"] for p in answer.get("detected_problems", []) if not p.get("worry")]
    natures = [d["nature"] for d in answer.get("danger_signals", [])]
    if not problems and not natures:
        return None
    block = triage_block(reference, problems, natures)
    return block if block["urgency"] == "P0" or block["advice"] else None


class Engine:
    """Computes orientations from rules, reference data and a service finder."""

    def __init__(self, reference: ReferenceData, rules: RuleSet,
                 find_services: Callable[[str, Commune], list[dict]]):
        self.reference = reference
        self.rules = rules
        self.find_services = find_services
        self.reader = reader_for(reference.taxonomy)

    def rank_types(self, problems: list[str], signals: set[str] = frozenset(), facts: dict | None = None,
                   role: str = "travailleur_social") -> list[str]:
        """The service types the rules suggest for these problems, best first (no danger;
        of the household, only the ``facts`` read in the text): what a search lists."""
        context = Context(set(problems), False, role, dict(facts or {}), set(signals))
        matched = [rule for rule in self.rules.rules if rule_matches(rule, context)]
        return [candidate.type for candidate in self._rank(matched, context)]

    def orient(self, request: OrientationRequest) -> dict:
        """The orientation answer of ``POST /api/orientations`` (nothing is stored)."""
        taxonomy = self.reference.taxonomy
        reading = self.reader.read(request.description) if request.description else Reading()
        problems = list(dict.fromkeys([*request.problems, *reading.problem_codes]))
        if not problems:
            raise InvalidRequest([FieldError("problems", "indiquer au moins une difficulté : "
                                             "cochée ou décrite avec des mots reconnus")])
        natures = [finding.code for finding in reading.dangers]
        context = Context(set(problems), bool(danger_natures(problems, natures)), request.role,
                          _household_facts(request, reading), reading.signal_codes)
        matched = [rule for rule in self.rules.rules if rule_matches(rule, context)]
        candidates = self._rank(matched, context)
        block = triage_block(self.reference, problems, natures, [n for rule in matched for n in rule.numbers],
                             children=_children_known(context))
        suggestions, gaps = self._suggestions(candidates, request, context)
        return {
            "commune": {"insee": request.commune.insee, "name": request.commune.name,
                        "lat": request.commune.lat, "lon": request.commune.lon},
            "detected_problems": [{"code": f.code, "label": taxonomy.problems[f.code].label,
                                   "matched": list(f.evidence), "worry": f.worry} for f in reading.problems],
            "ignored": [item.as_dict() for item in reading.ignored],
            "signals": [{"code": f.code, "label": self.reader.signal_label(f.code), "matched": list(f.evidence)}
                        for f in reading.signals],
            "problems": [{"code": p, "label": taxonomy.problems[p].label} for p in problems],
            "danger_signals": [{"nature": f.code, "matched": list(f.evidence)} for f in reading.dangers],
            **block,
            "suggestions": suggestions,
            "gaps": gaps,
            "rules_applied": [rule.id for rule in matched],
        }

    # -- ranking ---------------------------------------------------------------------
    def _rank(self, matched: list[Rule], context: Context) -> list[Candidate]:
        candidates: dict[str, Candidate] = {}
        for rule in matched:
            for position, proposal in enumerate(rule.propose):
                score = rule.weight - POSITION_STEP * position
                candidate = candidates.get(proposal.type)
                if candidate is None:
                    candidate = candidates[proposal.type] = Candidate(proposal.type, score)
                else:
                    candidate.score = max(candidate.score, score) + MERGE_BONUS
                candidate.add_reason(rule.id, reason_of(rule, context))
                candidate.add_reason(rule.id, proposal.why)
        self._apply_global_rules(candidates, context)
        return sorted(candidates.values(), key=lambda c: -c.score)

    def _apply_global_rules(self, candidates: dict[str, Candidate], context: Context) -> None:
        texts = self.rules.global_rules
        top = max((c.score for c in candidates.values()), default=50)
        contact = context.household.get("contact_etabli")
        # G8: aller-vers third party first when contact is refused; droit commun when in contact.
        if contact == "non":
            for code in self.rules.aller_vers_types:
                if code in candidates:
                    candidates[code].score += 30
                    candidates[code].add_reason("G8", texts["G8"])
        elif contact == "oui":
            for code in self.rules.droit_commun_types:
                if code in candidates:
                    candidates[code].score += 10
        # G2: a legal protection in place: its mandataire (curateur, tuteur, MASP) comes first.
        protection = PROTECTION_REFERENTS.get(context.household.get("mesure_protection"))
        if protection:
            candidate = candidates.setdefault(protection, Candidate(protection, 0))
            candidate.score = top + 45
            candidate.add_reason("G2", texts["G2"])
        # G2: a referent already in place is contacted first.
        relevant = set(GENERAL_REFERENTS)
        for problem in context.problems:
            relevant |= set(self.reference.taxonomy.problems[problem].service_types)
        for code in context.household.get("suivis_en_cours") or []:
            if code in relevant:
                candidate = candidates.setdefault(code, Candidate(code, 0))
                candidate.score = top + 40
                candidate.add_reason("G2", texts["G2"])
        # G5: caretakers relay internally to the landlord's social staff first.
        if context.role == "gardien" and context.household.get("bailleur") not in (
                "parc_prive", "heberge", "sans_logement"):
            candidate = candidates.setdefault("service_social_bailleur", Candidate("service_social_bailleur", 0))
            candidate.score = top + 60
            candidate.add_reason("G5", texts["G5"])

    # -- output ----------------------------------------------------------------------
    def _suggestions(self, ranked: list[Candidate], request: OrientationRequest,
                     context: Context) -> tuple[list[dict], list[dict]]:
        taxonomy = self.reference.taxonomy
        texts = self.rules.global_rules
        entries = []
        for candidate in ranked[:MAX_SUGGESTIONS]:
            services = self.find_services(candidate.type, request.commune)
            ages = [s.get("age_range", (None, None)) for s in services if s.get("covers_commune")]
            age_range = _widest(ages)
            eligibility = assess(candidate.type, request.household, taxonomy, age_range)
            entries.append((candidate, eligibility, services))
        entries = self._gate(entries, request, texts)
        suggestions, gaps = [], []
        said: dict[str, int] = {}  # each sentence once per answer: later cards refer back to it
        for rank, (candidate, eligibility, services) in enumerate(entries, 1):
            service_type = taxonomy.service_types[candidate.type]
            covering = [s for s in services if s.get("covers_commune")]
            if not covering:
                gaps.append({"type": candidate.type, "type_label": service_type.label,
                             "why": f"Aucune structure référencée pour ce territoire ({service_type.label}, "
                                    f"{request.commune.name}) : à identifier avec le coordinateur du réseau."})
            suggestions.append({
                "rank": rank,
                "type": candidate.type,
                "type_label": service_type.label,
                "rules": candidate.rules,
                "why": _once(candidate.why, said, rank),
                "who_acts": who_acts(candidate.type, request.role, taxonomy),
                "eligibility": eligibility.as_dict(),
                "wait": service_type.typical_wait or None,
                "services": [{k: v for k, v in s.items() if k != "age_range"} for s in services],
                "bridges": self._bridges(candidate.type, services, texts),
            })
        return suggestions, gaps

    def _gate(self, entries, request: OrientationRequest, texts: dict) -> list:
        """G6: SAVS/SAMSAH never first without a CDAPH notification; MDPH comes first."""
        if not entries:
            return entries
        first, eligibility, _ = entries[0]
        if first.type in GATED_TYPES and eligibility.status != "likely":
            mdph = next((e for e in entries if e[0].type == "mdph"), None)
            if mdph is None:
                candidate = Candidate("mdph", first.score + 1)
                candidate.add_reason("G6", texts["G6"])
                mdph = (candidate, assess("mdph", request.household, self.reference.taxonomy),
                        self.find_services("mdph", request.commune))
            else:
                entries.remove(mdph)
                mdph[0].add_reason("G6", texts["G6"])
            entries.insert(0, mdph)
        for candidate, eligibility, _ in entries:
            if candidate.type in GATED_TYPES and eligibility.status != "likely":
                candidate.add_reason("G6", texts["G6"])
        return entries

    def _bridges(self, type_code: str, services: list[dict], texts: dict) -> list[dict]:
        """G7: what to do while waiting for a long-wait service."""
        service_type = self.reference.taxonomy.service_types[type_code]
        long_wait = service_type.long_wait or any(
            ((s.get("wait") or {}).get("days_max") or 0) > 60 for s in services)
        if not long_wait or type_code not in self.rules.bridges:
            return []
        return [{"type": b.type, "type_label": self.reference.taxonomy.type_label(b.type), "why": b.why}
                for b in self.rules.bridges[type_code] if b.type != type_code]


def _once(sentences: list[str], said: dict[str, int], rank: int) -> list[str]:
    """A card's reasons, each sentence given in full once per answer; a sentence already
    given on an earlier card becomes a short reference to it."""
    reasons = []
    for sentence in sentences:
        if sentence in said:
            reference = f"Même raison que la suggestion n° {said[sentence]} ci-dessus."
            if reference not in reasons:
                reasons.append(reference)
        else:
            said[sentence] = rank
            reasons.append(sentence)
    return reasons


def _widest(ranges: list[tuple[int | None, int | None]]) -> tuple[int | None, int | None]:
    """The loosest age range over the services of a type (None = no limit)."""
    if not ranges:
        return None, None
    lows = [r[0] for r in ranges]
    highs = [r[1] for r in ranges]
    low = None if any(v is None for v in lows) else min(lows)
    high = None if any(v is None for v in highs) else max(highs)
    return low, high


__all__ = ["Engine", "Eligibility", "household_matches", "rule_matches", "emergency_numbers"]
