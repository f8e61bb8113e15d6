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

from collections.abc import Callable
from dataclasses import dataclass, field

from directory.gazetteer import Commune
from directory.invalid import InvalidInput
from directory.reference import ReferenceData
from reading.reader import Reading, reader_for
from recommender.eligibility import Eligibility, assess
from recommender.questions import apply_answers, questions_for
from recommender.request import OrientationRequest
from recommender.rules import UNKNOWN, HouseholdCondition, Rule, RuleSet
from recommender.triage import danger_natures, emergency_numbers, triage_block
from recommender.wording import who_acts

FIRST_CONTACTS_RULE = "G0"

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
        """The orientation answer of ``POST /api/orientations`` (nothing is stored).

        A description is never refused: what was read is answered; what was not is said
        (``unread``); when Maillage is unsure it asks (``questions``); when nothing precise
        was understood, the first contacts of the role are suggested. Only a request with
        neither a description nor a ticked problem is refused."""
        taxonomy = self.reference.taxonomy
        reading = self.reader.read(request.description) if request.description else Reading()
        dismissed = set(request.dismissed)
        problems = [p for p in dict.fromkeys([*request.problems, *reading.problem_codes]) if p not in dismissed]
        problems, confirmed = apply_answers(problems, request.answers, reading)
        if not problems and not request.description:
            raise InvalidInput.on("problems", "indiquer au moins une difficulté : cochée ou décrite en quelques mots")
        natures = [] if "danger_immediat" in dismissed else [finding.code for finding in reading.dangers]
        danger = bool(danger_natures(problems, natures)) or bool(confirmed)
        context = Context(set(problems), danger, request.role, _household_facts(request, reading),
                          reading.signal_codes)
        matched = [rule for rule in self.rules.rules if rule_matches(rule, context)]
        candidates = self._rank(matched, context) if problems else self._first_contacts(request.role)
        block = triage_block(self.reference, problems, natures, [n for rule in matched for n in rule.numbers],
                             children=_children_known(context), confirmed=confirmed)
        suggestions, gaps = self._suggestions(candidates, request, context)
        return {
            "commune": {"insee": request.commune.insee, "name": request.commune.name,
                        "lat": request.commune.lat, "lon": request.commune.lon},
            "understood": bool(problems),
            "detected_problems": [{"code": f.code, "label": taxonomy.problems[f.code].label,
                                   "matched": list(f.evidence), "worry": f.worry, "inferred": f.inferred}
                                  for f in reading.problems],
            "ignored": [item.as_dict() for item in reading.ignored],
            "unread": list(reading.unread),
            "signals": [{"code": f.code, "label": self.reader.signal_label(f.code), "matched": list(f.evidence)}
                        for f in reading.signals],
            "problems": [{"code": p, "label": taxonomy.problems[p].label} for p in problems],
            "dismissed": [p for p in request.dismissed if p in taxonomy.problems],
            "danger_signals": [{"nature": f.code, "matched": list(f.evidence)} for f in reading.dangers
                               if f.code in natures],
            "questions": questions_for(reading, problems, block["urgency"] == "P0", request.answers, taxonomy),
            "answers": request.answers.model_dump(exclude_defaults=True),
            **block,
            "suggestions": suggestions,
            "gaps": gaps,
            "rules_applied": [rule.id for rule in matched] or ([FIRST_CONTACTS_RULE] if not problems else []),
        }

    def _first_contacts(self, role: str) -> list[Candidate]:
        """Nothing precise understood: the role's first contacts, with the reason (G5 for
        caretakers: the landlord's social staff first)."""
        first = self.rules.first_contacts
        candidates = []
        for position, code in enumerate(first.for_role(role)):
            candidate = Candidate(code, 100 - POSITION_STEP * position)
            candidate.add_reason(FIRST_CONTACTS_RULE, first.why)
            if role == "gardien" and code == "service_social_bailleur":
                candidate.add_reason("G5", self.rules.global_rules["G5"])
            candidates.append(candidate)
        return candidates

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
