"""Context of a match (NegEx / ConText): negated, resolved, hypothetical, another person,
false friend. The trigger table is data (``data/reading.yaml``); this module applies it.

A trigger governs the words within its window in its direction, never across a clause
end (punctuation, « mais »…); a forward trigger also stops at a new subject
(« il fume pas il boit »). Pseudo-triggers (« pas mal », « sans arrêt ») hide the
triggers they contain. Words of the matched phrase itself never qualify it
(« ne répond plus » is a sign, not a negation).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from directory.paths import SAFE_LOADER
from reading.phrases import FILLERS
from reading.tokens import Token, stem, words_of

NEGATED, RESOLVED, HYPOTHETICAL, OTHER_PERSON, FALSE_FRIEND, FALSE_ALARM = (
    "negated", "resolved", "hypothetical", "other_person", "false_friend", "false_alarm")
CATEGORY_LABELS = {NEGATED: "négation", RESOLVED: "passé ou arrêté", HYPOTHETICAL: "hypothèse ou crainte",
                   OTHER_PERSON: "autre personne ou récit", FALSE_FRIEND: "faux ami",
                   FALSE_ALARM: "fausse alerte, plaisanterie ou absence expliquée : à confirmer"}
# Negative particles inside a matched span that the phrase does not own (« elle veut pas
# partir » read by the phrase « elle veut partir »).
INTERIOR = {"pas": NEGATED, "jamais": NEGATED, "rien": NEGATED, "plus": RESOLVED}


@dataclass(frozen=True)
class Trigger:
    """One row of the trigger table."""

    words: tuple[str, ...]
    category: str
    direction: str  # forward, backward, framed, clause
    window: int = 5
    binds_verb: bool = False
    after_auxiliary: bool = False
    clause_start: bool = False
    particles: tuple[str, ...] = ()
    not_after: frozenset[str] = frozenset()  # the trigger does not count after these words


@dataclass(frozen=True)
class FalseFriend:
    """Phrases that look like a sign and are not, with the reason shown to the user."""

    words: tuple[str, ...]
    reason: str
    targets: frozenset[str] = frozenset()  # problem codes or danger natures; empty: all
    with_any: tuple[tuple[str, ...], ...] = ()  # only when one of these is also in the text
    # The phrase's stems: « compteurs de gaz » is « compteur de gaz » inflected.
    stems: tuple[str, ...] = ()

    def cancels(self, target: str) -> bool:
        """True when this false friend hides matches of ``target``."""
        return not self.targets or target in self.targets


@dataclass(frozen=True)
class Modifier:
    """What qualifies a match, and the user's words that set it."""

    category: str
    trigger: str
    reason: str = ""

    @property
    def label(self) -> str:
        """French label of the category (« négation »…), or the false friend's reason."""
        return self.reason or CATEGORY_LABELS[self.category]


@dataclass(frozen=True)
class ContextRules:
    """The trigger table of ``data/reading.yaml``."""

    sms: dict[str, tuple[str, ...]]
    terminators: tuple[tuple[str, ...], ...]
    subjects: frozenset[str]
    auxiliaries: frozenset[str]
    triggers: tuple[Trigger, ...]
    pseudo: tuple[tuple[str, ...], ...]
    false_friends: tuple[FalseFriend, ...]
    near_miss_exceptions: frozenset[str]
    signals: dict
    common_words: frozenset[str] = frozenset()
    # Words whose not being understood is not worth telling (« Non compris : … »).
    not_worth_saying: frozenset[str] = frozenset()
    # Phrases that turn a danger read into a question (« c'était un film », « en rigolant »).
    false_alarms: tuple[tuple[str, ...], ...] = ()  # as stems: inflections match too

    def false_alarm_in(self, words: list[Token]) -> tuple[int, int] | None:
        """The span of the first false-alarm phrase of a text, if any (any inflection:
        « ils jouaient aux pompiers » is « jouer aux pompiers »)."""
        texts, stems = [w.text for w in words], [w.stem for w in words]
        starts, stem_starts = _starts(texts), _starts(stems)
        for sequence in self.false_alarms:
            found = (_positions(stems, sequence, stem_starts) if len(sequence) > 1
                     else _positions(texts, sequence, starts))
            for start in found:
                return start, start + len(sequence) - 1
        return None

    def __hash__(self) -> int:
        return id(self)

    def occurrences(self, words: list[Token]) -> TextContext:
        """Where the triggers, pseudo-triggers and false friends of the table are in a text."""
        texts = [w.text for w in words]
        starts = _starts(texts)
        hidden = set()
        for sequence in self.pseudo:
            for start in _positions(texts, sequence, starts):
                hidden |= set(range(start, start + len(sequence)))
        found = []
        for trigger in self.triggers:
            for start in _positions(texts, trigger.words, starts):
                end = start + len(trigger.words) - 1
                if start > 0 and texts[start - 1] in trigger.not_after:
                    continue
                if not set(range(start, end + 1)) & hidden:
                    found.append((trigger, start, end))
        # False friends are phrases of several words: matched on stems, so that their
        # inflections (« relevé des compteurs de gaz ») are read as the phrase itself.
        stems = [w.stem for w in words]
        stem_starts = _starts(stems)
        friends = [(friend, start, start + len(friend.words) - 1)
                   for friend in self.false_friends
                   for start in (_positions(stems, friend.stems, stem_starts) if len(friend.words) > 1
                                 else _positions(texts, friend.words, starts))
                   if not friend.with_any or any(_positions(texts, w, starts) for w in friend.with_any)]
        return TextContext(self, words, found, friends, hidden)


def stems_of(words: tuple[str, ...]) -> tuple[str, ...]:
    """The stems of a phrase's words, as ``Token.stem`` gives them; a single word stays as
    it is (« boite » is not « boit », whose stem it shares)."""
    return tuple(stem(w) for w in words) if len(words) > 1 else words


def _starts(texts: list[str]) -> dict[str, list[int]]:
    """Positions of each word of a text (sequences are only tried where their first word is)."""
    positions: dict[str, list[int]] = {}
    for index, word in enumerate(texts):
        positions.setdefault(word, []).append(index)
    return positions


NUMBER = "num"  # « il y a num ans » matches « il y a 10 ans » and « il y a dix ans »
NUMBER_WORDS = frozenset("un une deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente "
                         "quarante cinquante plusieurs quelques".split())


def _same(word: str, wanted: str) -> bool:
    return word == wanted or (wanted == NUMBER and (word.isdigit() or word in NUMBER_WORDS))


def _positions(texts: list[str], sequence: tuple[str, ...], starts: dict[str, list[int]]) -> list[int]:
    n = len(sequence)
    return [i for i in starts.get(sequence[0], ()) if i + n <= len(texts)
            and all(_same(texts[i + k], sequence[k]) for k in range(1, n))]


class TextContext:
    """The triggers found in one text, ready to qualify any span of it."""

    def __init__(self, rules: ContextRules, words: list[Token], found, friends, hidden: set[int]):
        self.rules = rules
        self.words = words
        self.found = found
        self.friends = friends
        self.hidden = hidden

    def _quote(self, text: str, start: int, end: int) -> str:
        return text[self.words[start].start:self.words[end].end]

    def qualify(self, first: int, last: int, owned: set[int], text: str, target: str = "") -> list[Modifier]:
        """Modifiers of the span ``first..last`` (``owned``: positions of the phrase's own words)
        for a match of ``target``."""
        modifiers = []
        for friend, start, end in self.friends:
            if start <= last and first <= end and friend.cancels(target):
                modifiers.append(Modifier(FALSE_FRIEND, self._quote(text, start, end), friend.reason))
        for position in range(first, last + 1):
            word = self.words[position].text
            if position not in owned and word in INTERIOR and position not in self.hidden:
                modifiers.append(Modifier(INTERIOR[word], self._quote(text, first, last)))
        for trigger, start, end in self.found:
            if first <= start <= last or first <= end <= last:
                continue  # the phrase's own words
            if self._governs(trigger, start, end, first, last, owned):
                modifiers.append(Modifier(trigger.category, self._quote(text, min(start, first), max(end, last))))
        return modifiers

    def _distance(self, before: int, after: int) -> int:
        """Words from ``before`` to ``after``, function words not counted (« s'est suicidé »
        is one word away from « son frère »)."""
        return 1 + sum(1 for i in range(before + 1, after) if self.words[i].text not in FILLERS)

    def _governs(self, trigger: Trigger, start: int, end: int, first: int, last: int, owned: set[int]) -> bool:
        words = self.words
        if trigger.direction == "clause":
            return words[start].clause == words[first].clause or words[start].clause == words[last].clause
        if trigger.direction == "backward":
            return (start > last and self._distance(last, start) <= (1 if trigger.binds_verb else trigger.window)
                    and words[start].clause == words[last].clause)
        if trigger.direction == "framed":
            return self._framed(trigger, end, first, last, owned)
        # forward
        if end >= first or self._distance(end, first) > trigger.window or words[end].clause != words[first].clause:
            return False
        if trigger.clause_start and not self._starts_clause(start):
            return False
        if trigger.after_auxiliary and (start == 0 or words[start - 1].text not in self.rules.auxiliaries):
            return False
        if trigger.category != NEGATED:
            return True
        between = range(end + 1, first)
        return not any(words[i].text in self.rules.subjects for i in between)

    def _starts_clause(self, start: int) -> bool:
        previous = start - 1
        while previous >= 0 and self.words[previous].text in ("et", "ou", "alors", "mais", "puis"):
            previous -= 1
        return previous < 0 or self.words[previous].clause != self.words[start].clause

    def _framed(self, trigger: Trigger, end: int, first: int, last: int, owned: set[int]) -> bool:
        """« ne » before the span and a negative particle between, or just after it."""
        words = self.words
        if end >= first or first - end > trigger.window or words[end].clause != words[first].clause:
            return False
        around = list(range(end + 1, first)) + list(range(last + 1, min(len(words), last + 4)))
        return any(words[i].text in trigger.particles and i not in owned and i not in self.hidden
                   and words[i].clause == words[first].clause for i in around)


def load_context_rules(path: Path) -> ContextRules:
    """Read ``data/reading.yaml``."""
    raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    sms = {key: tuple(str(value).split()) for key, value in (raw.get("sms") or {}).items()}

    def seq(text: str) -> tuple[str, ...]:
        return words_of(text, sms)

    triggers = []
    for row in raw.get("triggers", []):
        for phrase in row["phrases"]:
            triggers.append(Trigger(seq(phrase), row["category"], row["direction"], int(row.get("window", 5)),
                                    row.get("binds") == "verb", bool(row.get("after_auxiliary")),
                                    bool(row.get("clause_start")), tuple(row.get("particles", ())),
                                    frozenset(row.get("not_after", ()))))
    friends = tuple(FalseFriend(seq(p), row["reason"], frozenset(row.get("targets", ())),
                                tuple(seq(w) for w in row.get("with_any", ())), stems_of(seq(p)))
                    for row in raw.get("false_friends", []) for p in row["phrases"])
    return ContextRules(
        sms=sms,
        terminators=tuple(sorted((seq(t) for t in raw.get("terminators", [])), key=len, reverse=True)),
        subjects=frozenset(raw.get("subjects", [])),
        auxiliaries=frozenset(raw.get("auxiliaries", [])),
        triggers=tuple(triggers),
        pseudo=tuple(seq(p) for p in raw.get("pseudo_triggers", [])),
        false_friends=friends,
        near_miss_exceptions=frozenset(raw.get("near_miss_exceptions", [])),
        signals=raw.get("signals") or {},
        common_words=frozenset(w for text in raw.get("common_words", []) for w in seq(text)),
        not_worth_saying=frozenset(w for text in raw.get("not_worth_saying", []) for w in seq(text)),
        false_alarms=tuple(stems_of(seq(text)) for text in raw.get("false_alarms", [])),
    )
