"""The reader of lay text, shared by the search and the orientation engine.

``Reader.read(text)`` returns a :class:`Reading`: the problems understood, each with its
evidence (the user's words), the matches set aside and why (« ignoré : "il boit pas" —
négation »), the danger signals (strict words only, never a typo), the service types
named, and named signals (children at home, dealing in common areas).

Choices written down:
- a *weak* lay word (« bizarre », « bruyant », « perdu ») is a sign only with a second
  sign of the same problem; alone it is set aside (« un seul signe, trop vague »);
- a fear or hypothesis is set aside, except for a person's safety (suicide, violence,
  child, vulnerable adult): « j'ai peur qu'il la frappe » is kept as a worry (it never
  raises a P0, which needs a present danger);
- stigmatising words count for detection but are never quoted back (REFERENCE G10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from directory.taxonomy import Taxonomy
from reading.combined import add_model_findings, set_aside
from reading.context import (
    CATEGORY_LABELS,
    FALSE_ALARM,
    HYPOTHETICAL,
    OTHER_PERSON,
    ContextRules,
    Modifier,
    TextContext,
    load_context_rules,
)
from reading.findings import Finding, Ignored, Reading
from reading.model import ProblemModel, bundled_model
from reading.phrases import FILLERS, Phrase, PreparedText
from reading.situations import Situation, SituationFinding, load_situations, read_situations
from reading.tokens import tokenize
from reading.typos import bounded_distance
from reading.unread import unread
from reading.vocabulary import SAFETY_PROBLEMS, build_vocabulary

# Problems whose sign names another person by nature (the aggressor): « son frère la
# frappe » is violence against her, not « another person's » problem.
VICTIM_PROBLEMS = SAFETY_PROBLEMS - {"idees_suicidaires"}
# « jeune homme de 19 ans », « elle a 81 ans » (not « depuis 5 ans »).
AGE = re.compile(r"(?:^|[,(]|\bde|\ba|\bà|\bâgée?|\bagée?)\s*(\d{2,3})\s*ans\b", re.IGNORECASE)
NOT_AN_AGE = re.compile(r"(?:\by|depuis|pendant|dans|pour|en)$", re.IGNORECASE)
ELDERLY_AGE = 65
DANGER = "danger_immediat"
WEAK_REASON = "un seul signe, trop vague pour conclure"

NEAR_MISS = "near_miss"


@dataclass
class _Match:
    phrase: Phrase
    first: int
    last: int
    modifiers: list[Modifier]


class Reader:
    """Reads lay text with the compiled vocabulary of a taxonomy and the context rules."""

    def __init__(self, taxonomy: Taxonomy, rules: ContextRules, situations: tuple[Situation, ...] | None = None,
                 model: ProblemModel | None | bool = True):
        self.taxonomy = taxonomy
        self.rules = rules
        self.vocabulary = build_vocabulary(taxonomy, rules)
        # ``True``: the bundled model; ``False`` or ``None``: the lexicon and rules alone.
        self.model = bundled_model() if model is True else (model or None)
        self.danger_natures = frozenset(sign.rule.nature for sign in self.vocabulary.escalation) | {DANGER}
        self.situations = bundled_situations(rules) if situations is None else situations
        self.situation_by_id = {s.id: s for s in self.situations}

    def signal_label(self, code: str) -> str:
        """French label of a named signal."""
        return (self.rules.signals.get(code) or {}).get("label", code)

    # -- reading ---------------------------------------------------------------------
    def read(self, text: str) -> Reading:
        """Everything understood in a text (empty reading for an empty text)."""
        reading = Reading()
        if not text or not text.strip():
            return reading
        tokens = tokenize(text, self.rules.sms, self.rules.terminators)
        vocabulary = self.vocabulary
        prepared = PreparedText(tokens, vocabulary.typos, vocabulary.known_stems, vocabulary.stem_of_word,
                                common_words=self.rules.common_words)
        context = self.rules.occurrences(prepared.words)
        reading.age = stated_age(text)
        self._read_problems(text, prepared, context, reading)
        reading.types = [Finding(code, tuple(words)) for code, words, _ in
                         self._kept(self._matches("types", prepared, context, text), text, prepared)]
        self._read_signals(text, prepared, context, reading)
        for finding in reading.signals:
            reading.facts.update((self.rules.signals.get(finding.code) or {}).get("sets_household") or {})
        if reading.age is not None:
            reading.facts["age"] = reading.age
        self._read_dangers(text, prepared, context, reading)
        self._read_situations(text, prepared, context, reading)
        self._false_alarm(text, prepared, reading)
        if reading.dangers and DANGER not in reading.problem_codes:
            evidence = tuple(w for finding in reading.dangers for w in finding.evidence)
            reading.problems.insert(0, Finding(DANGER, evidence))
        self._near_misses(text, prepared, reading)
        reading.unread, reading.unread_words = unread(self.vocabulary, self.rules, prepared, context,
                                                      reading.situations, text)
        if self.model is not None:
            add_model_findings(self.model.scores(text), reading, set_aside(reading, context, self.rules),
                               list(self.taxonomy.problems), self.danger_natures)
        return reading

    def _false_alarm(self, text: str, prepared: PreparedText, reading: Reading) -> None:
        """« c'était un film », « en rigolant », « elle m'avait prévenu qu'elle partait » : a
        danger read in such a text becomes a question (« Quelqu'un est-il en danger
        maintenant ? »), never a silent no: the danger may still be real."""
        span = self.rules.false_alarm_in(prepared.words) if (reading.dangers or reading.situations) else None
        if span is None:
            return
        marker = prepared.quote(span[0], span[1], text)
        added_by_situations = {f.evidence for f in reading.situations if f.certain}
        reading.situations = [SituationFinding(f.situation, f.evidence, False, f.spans) for f in reading.situations]
        reading.problems = [f for f in reading.problems if f.evidence not in added_by_situations]
        for finding in reading.dangers:
            reading.ignored.append(Ignored(finding.code, marker, FALSE_ALARM, CATEGORY_LABELS[FALSE_ALARM]))
        if reading.dangers:
            reading.ignored.append(Ignored(DANGER, marker, FALSE_ALARM, CATEGORY_LABELS[FALSE_ALARM]))
            reading.demoted = [f.code for f in reading.dangers]
        reading.dangers = []
        reading.problems = [f for f in reading.problems if f.code != DANGER]

    def _read_situations(self, text: str, prepared: PreparedText, context: TextContext, reading: Reading) -> None:
        """Dangers read from combinations of signs come first: their numbers are the right
        first ones (a child at a window: 17 and 119, not only 112)."""
        reading.situations = read_situations(self.situations, prepared, context, text, _owned)
        certain = [f for f in reading.situations if f.certain]
        if not certain:
            return
        reading.dangers = [Finding(f.situation.id, f.evidence) for f in certain] + reading.dangers
        order = {code: i for i, code in enumerate(self.taxonomy.problems)}
        present = set(reading.problem_codes)
        for finding in certain:
            for code in finding.situation.problems:
                if code in order and code not in present:
                    reading.problems.append(Finding(code, finding.evidence))
                    present.add(code)
        reading.problems.sort(key=lambda f: order[f.code])

    def _matches(self, name: str, prepared: PreparedText, context: TextContext, text: str) -> list[_Match]:
        matches = []
        for phrase in self.vocabulary.candidates(name, prepared.all_stems):
            for first, last in prepared.find_all(phrase):
                owned = _owned(prepared, phrase, first, last)
                modifiers = context.qualify(first, last, owned, text, phrase.target)
                # Another person does not cancel violence against the person concerned, nor a
                # weak sign, which names a place or a context rather than someone's problem.
                if phrase.target in VICTIM_PROBLEMS or phrase.weak:
                    modifiers = [m for m in modifiers if m.category != OTHER_PERSON]
                matches.append(_Match(phrase, first, last, modifiers))
        return _longest_first(matches)

    def _kept(self, matches: list[_Match], text: str, prepared: PreparedText):
        """(code, displayable evidence, matches) of unqualified matches, by target: one
        match per place in the text, a strong sign before a weak one, the longest first."""
        found: dict[str, list[_Match]] = {}
        for match in sorted(matches, key=lambda m: (m.phrase.weak, m.first - m.last, m.first)):
            if match.modifiers:
                continue
            kept = found.setdefault(match.phrase.target, [])
            if not any(k.first <= match.last and match.first <= k.last for k in kept):
                kept.append(match)
        result = []
        for code, kept in found.items():
            kept.sort(key=lambda m: m.first)
            words = list(dict.fromkeys(prepared.quote(m.first, m.last, text) for m in kept if m.phrase.displayable))
            result.append((code, words, kept))
        return result

    def _read_problems(self, text: str, prepared: PreparedText, context: TextContext, reading: Reading) -> None:
        matches = self._matches("problems", prepared, context, text)
        order = {code: i for i, code in enumerate(self.taxonomy.problems)}
        findings: dict[str, Finding] = {}
        ignored: list[Ignored] = []
        elderly = reading.age is not None and reading.age >= ELDERLY_AGE
        for code, words, kept in self._kept(matches, text, prepared):
            strong = [m for m in kept if not m.phrase.weak]
            spans = {(m.first, m.last) for m in kept}
            if elderly and code == "perte_autonomie_age":
                spans.add((-1, -1))  # the stated age is a sign too (« 81 ans »)
            if not strong and len(spans) < 2:
                ignored += [Ignored(code, prepared.quote(m.first, m.last, text), "weak", WEAK_REASON)
                            for m in kept if m.phrase.displayable]
                continue
            findings[code] = Finding(code, tuple(words))
        for match in matches:
            code = match.phrase.target
            if not match.modifiers or code in findings:
                continue
            categories = {m.category for m in match.modifiers}
            if categories == {HYPOTHETICAL} and code in SAFETY_PROBLEMS:
                words = prepared.quote(match.first, match.last, text) if match.phrase.displayable else None
                findings[code] = Finding(code, (words,) if words else (), worry=True)
                continue
            modifier = match.modifiers[0]
            shown = modifier.trigger if match.phrase.displayable else self.taxonomy.problem_label(code)
            ignored.append(Ignored(code, shown, modifier.category, modifier.label))
        reading.problems = sorted(findings.values(), key=lambda f: order[f.code])
        # One line per problem set aside: the widest quote of the first reason found.
        widest: dict[str, Ignored] = {}
        for item in ignored:
            current = widest.get(item.code)
            if item.code not in findings and (current is None or len(item.words) > len(current.words)):
                widest[item.code] = item
        reading.ignored += list(widest.values())

    def _read_signals(self, text: str, prepared: PreparedText, context: TextContext, reading: Reading) -> None:
        for code, words, _kept in self._kept(self._matches("signals", prepared, context, text), text, prepared):
            needed = self.vocabulary.signal_context.get(code)
            if needed and not any(prepared.find_all(p) for p in needed):
                continue
            reading.signals.append(Finding(code, tuple(words)))
            self._reread_as(code, tuple(words), reading)

    def _reread_as(self, code: str, words: tuple[str, ...], reading: Reading) -> None:
        """A signal that changes what some problems mean: dealing in common areas is
        neighbourhood trouble, not a care need (``reads_as``/``instead_of``); drugs or
        violence in front of the children put them in danger (``adds``/``with_problems_any``)."""
        signal = self.rules.signals.get(code) or {}
        order = list(self.taxonomy.problems)
        added = signal.get("adds")
        if added and set(signal.get("with_problems_any", ())) & set(reading.problem_codes) \
                and added not in reading.problem_codes:
            reading.problems = sorted([*reading.problems, Finding(added, words)], key=lambda f: order.index(f.code))
        target, replaced = signal.get("reads_as"), set(signal.get("instead_of", ()))
        if not target:
            return
        for finding in [f for f in reading.problems if f.code in replaced]:
            reading.problems.remove(finding)
            reading.ignored.append(Ignored(finding.code, ", ".join(finding.evidence), "other_person",
                                           signal.get("reason", "")))
        if target not in reading.problem_codes:
            reading.problems = sorted([*reading.problems, Finding(target, words)], key=lambda f: order.index(f.code))

    def _read_dangers(self, text: str, prepared: PreparedText, context: TextContext, reading: Reading) -> None:
        dangers: dict[str, list[str]] = {}
        for sign in self.vocabulary.escalation:
            rule, phrases, with_any, excepted = sign.rule, sign.phrases, sign.context, sign.excepted
            excluded = [span for p in excepted for span in prepared.find_all(p)]
            hits, spans = [], []
            for phrase in phrases:
                for first, last in prepared.find_all(phrase):
                    if any(a <= first and last <= b for a, b in excluded):
                        continue
                    modifiers = context.qualify(first, last, _owned(prepared, phrase, first, last), text,
                                                rule.nature)
                    if modifiers:
                        reading.ignored.append(Ignored(rule.nature, modifiers[0].trigger, modifiers[0].category,
                                                       modifiers[0].label))
                        continue
                    hits.append(prepared.quote(first, last, text))
                    spans.append((first, last))
            if _distinct_spans(spans) < rule.min_signs:
                continue
            if with_any:
                found = [prepared.quote(f, last, text) for p in with_any for f, last in prepared.find_all(p)
                         if not context.qualify(f, last, _owned(prepared, p, f, last), text)]
                if not found:
                    continue
                hits += found
            words = dangers.setdefault(rule.nature, [])
            words += [h for h in hits if h not in words]
        reading.dangers = [Finding(nature, tuple(words)) for nature, words in dangers.items()]
        reading.ignored = _unique(reading.ignored)

    def _near_misses(self, text: str, prepared: PreparedText, reading: Reading) -> None:
        """Words one letter away from an alarm word: never read as it, said so."""
        for position, token in enumerate(prepared.words):
            word = token.text
            vocabulary = self.vocabulary
            if (len(word) < 4 or word in FILLERS or word in self.rules.near_miss_exceptions
                    or word in vocabulary.known_words or any(word.startswith(a) for a in vocabulary.alarm_words)):
                continue
            for alarm in sorted(vocabulary.alarm_typos.lookup(word)):
                if bounded_distance(word, alarm, 1) <= 1:
                    reading.ignored.append(Ignored(NEAR_MISS, prepared.quote(position, position, text), NEAR_MISS,
                                                   f"proche du mot d'alerte « {alarm} », non retenu : "
                                                   "vérifiez l'orthographe"))
                    break


def stated_age(text: str) -> int | None:
    """An age stated in the text (« jeune de 19 ans », « elle a 81 ans », « Madame, 81 ans »),
    not a duration (« depuis 5 ans », « il y a 20 ans »)."""
    for match in AGE.finditer(text):
        age = int(match.group(1))
        if 14 <= age <= 110 and not NOT_AN_AGE.search(text[:match.start(1)].rstrip()[-12:].removesuffix(" a")
                                                       .removesuffix(" à")):
            return age
    return None


def _owned(prepared: PreparedText, phrase: Phrase, first: int, last: int) -> set[int]:
    words, stems = set(phrase.words), set(phrase.stems)
    return {i for i in range(first, last + 1)
            if prepared.words[i].text in words or prepared.words[i].stem in stems}


def _longest_first(matches: list[_Match]) -> list[_Match]:
    """Drop a match lying inside a longer match of another target ("insulte les voisins" is
    neighbourhood trouble, not violence)."""
    matches.sort(key=lambda m: -(m.last - m.first))
    kept: list[_Match] = []
    for match in matches:
        # A danger never hides the problem it comes with (« m'a menacé avec un couteau »).
        inside = any(k.phrase.target != match.phrase.target and k.first <= match.first and match.last <= k.last
                     and (k.last - k.first) > (match.last - match.first) and not k.phrase.weak
                     and DANGER not in (k.phrase.target, match.phrase.target) for k in kept)
        if not inside:
            kept.append(match)
    return kept


def _distinct_spans(spans: list[tuple[int, int]]) -> int:
    count, end = 0, -1
    for start, stop in sorted(spans):
        if start > end:
            count += 1
            end = stop
        else:
            end = max(end, stop)
    return count


def _unique(items) -> list:
    seen, out = set(), []
    for item in items:
        key = (item.code, item.words, item.category)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@lru_cache(maxsize=1)
def reader_rules() -> ContextRules:
    """The bundled context rules (``data/reading.yaml``), read once."""
    from directory.paths import DATA_DIR

    return load_context_rules(DATA_DIR / "reading.yaml")


@lru_cache(maxsize=4)
def bundled_situations(rules: ContextRules) -> tuple[Situation, ...]:
    """The bundled danger situations (``data/situations.yaml``), compiled once."""
    from directory.paths import DATA_DIR

    return load_situations(DATA_DIR / "situations.yaml", rules.sms)


@lru_cache(maxsize=4)
def reader_for(taxonomy: Taxonomy) -> Reader:
    """The reader of a taxonomy with the bundled context rules (built once per taxonomy)."""
    return Reader(taxonomy, reader_rules())


__all__ = ["CATEGORY_LABELS", "Finding", "Ignored", "Reader", "Reading", "reader_for"]
