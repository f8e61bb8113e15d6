"""The compiled vocabulary of the reader: every lay phrase of the taxonomy and of the
context rules, indexed by stem, with the typo index of the words that tolerate typos.

How each phrase is read (``reading.phrases``): alarm words of P0 problems and of the
escalation table as written (``strict``); the signs of a person's safety word for word at
the stem level (``exact``); everything else ``fuzzy``. Alarm words never enter the typo
index, so no typo can ever produce one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from directory.taxonomy import EscalationRule, Taxonomy
from reading.context import ContextRules
from reading.phrases import STRICT, Phrase, compile_phrase
from reading.typos import TypoIndex

SAFETY_PROBLEMS = frozenset({"idees_suicidaires", "violences_intrafamiliales", "enfant_en_danger",
                             "maltraitance_personne_vulnerable"})


@dataclass(frozen=True)
class Sign:
    """An escalation rule compiled: its signs, context words and excepted phrases."""

    rule: EscalationRule
    phrases: tuple[Phrase, ...]
    context: tuple[Phrase, ...]
    excepted: tuple[Phrase, ...]


@dataclass
class Vocabulary:
    """Phrases by kind (``problems``, ``types``, ``signals``), indexed by stem and word."""

    phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    index: dict[str, dict[str, list[Phrase]]] = field(default_factory=dict)
    signal_context: dict[str, list[Phrase]] = field(default_factory=dict)
    escalation: list[Sign] = field(default_factory=list)
    typos: TypoIndex = field(default_factory=TypoIndex)
    stem_of_word: dict[str, str] = field(default_factory=dict)
    alarm_words: frozenset[str] = frozenset()
    alarm_typos: TypoIndex = field(default_factory=lambda: TypoIndex(budget=lambda w: 1 if len(w) >= 4 else 0))
    known_words: frozenset[str] = frozenset()

    @property
    def known_stems(self) -> frozenset[str]:
        """Stems of the words that tolerate typos."""
        return frozenset(self.stem_of_word.values())

    def candidates(self, kind: str, keys: set[str]) -> list[Phrase]:
        """Phrases of a kind sharing a stem or word with the text."""
        index = self.index[kind]
        return list({id(p): p for key in keys for p in index.get(key, ())}.values())


def _problem_phrases(taxonomy: Taxonomy, sms: dict) -> list[Phrase]:
    phrases = []
    for problem in taxonomy.problems.values():
        mode = {"strict": problem.triage == "P0",
                "exact": problem.code in SAFETY_PROBLEMS and problem.triage != "P0"}
        for texts, extra in ((problem.lay_words + (problem.label,), {}), (problem.weak_words, {"weak": True}),
                             (problem.stigmatising_words, {"displayable": False})):
            phrases += [p for t in texts if (p := compile_phrase(t, problem.code, sms=sms, **mode, **extra))]
    return phrases


def _sign(text: str, rule: EscalationRule, sms: dict) -> Phrase | None:
    """An alarm word read as written; for rules needing two signs together (levée de
    doute), one sign read at the stem level, without typos."""
    if rule.min_signs >= 2:
        return compile_phrase(text, rule.nature, typo_free=True, sms=sms)
    return compile_phrase(text, rule.nature, strict=True, sms=sms)


def build_vocabulary(taxonomy: Taxonomy, rules: ContextRules) -> Vocabulary:
    """Compile the taxonomy's lay words and the signals of the context rules."""
    sms = rules.sms
    vocabulary = Vocabulary()
    vocabulary.phrases["problems"] = _problem_phrases(taxonomy, sms)
    vocabulary.phrases["types"] = [p for t in taxonomy.service_types.values()
                                   for text in (t.short_label, *t.lay_words)
                                   if (p := compile_phrase(text, t.code, sms=sms))]
    def compiled(texts, code: str) -> list[Phrase]:
        return [p for text in texts if (p := compile_phrase(text, code, sms=sms))]

    vocabulary.phrases["signals"] = [p for code, signal in rules.signals.items()
                                     for p in compiled(signal.get("phrases", []), code)]
    vocabulary.signal_context = {code: compiled(signal.get("with_any", []), code)
                                 for code, signal in rules.signals.items()}
    vocabulary.escalation = [
        Sign(rule, tuple(p for w in rule.words if (p := _sign(w, rule, sms))),
             tuple(p for w in rule.with_any if (p := compile_phrase(w, strict=True, sms=sms))),
             tuple(p for w in rule.except_phrases if (p := compile_phrase(w, strict=True, sms=sms))))
        for rule in taxonomy.escalation]
    for kind, phrases in vocabulary.phrases.items():
        index = vocabulary.index[kind] = defaultdict(list)
        for phrase in phrases:
            for key in set(phrase.stems) | set(phrase.words):
                index[key].append(phrase)
            if phrase.mode != STRICT:
                for word, word_stem in zip(phrase.words, phrase.stems, strict=True):
                    vocabulary.typos.add(word)
                    vocabulary.stem_of_word[word] = word_stem
    alarm = {p.words[0] for p in vocabulary.phrases["problems"] if p.mode == STRICT and len(p.words) == 1}
    alarm |= {p.words[0] for sign in vocabulary.escalation for p in sign.phrases
              if p.mode == STRICT and len(p.words) == 1}
    vocabulary.alarm_words = frozenset(alarm)
    for word in alarm:
        vocabulary.alarm_typos.add(word)
    vocabulary.known_words = frozenset(vocabulary.stem_of_word) | frozenset(
        w for kind in ("problems", "types") for p in vocabulary.phrases[kind] for w in p.words)
    return vocabulary
