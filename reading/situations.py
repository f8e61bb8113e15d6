"""Dangers read as situations: combinations of ordinary signs (``data/situations.yaml``).

« la petite est debout sur une chaise et se penche au balcon » has no alarm word; it is a
young child plus a height. A situation names groups of lay phrases and the combinations of
groups that make a danger now (``when``) or only possible (``ask``: Maillage then asks
whether someone is in danger now). Phrases are read like the problems' lay words (stems
and dictionary forms, any order within a clause) but never through a typo, and the
context rules set aside what is negated, past, about someone else or a false friend; a
sign read under a fear (« j'ai peur qu'il… ») only makes the danger possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from directory.paths import SAFE_LOADER
from reading.context import HYPOTHETICAL, TextContext
from reading.phrases import Phrase, PreparedText, compile_phrase

# The false friends of the reading rules that cancel a danger cancel a situation's sign.
DANGER_TARGET = "danger_immediat"


@dataclass(frozen=True)
class Situation:
    """One danger pattern of ``data/situations.yaml``."""

    id: str
    label: str
    numbers: tuple[str, ...]
    problems: tuple[str, ...]
    advice: str
    groups: dict[str, tuple[Phrase, ...]]
    when: tuple[tuple[str, ...], ...]
    ask: tuple[tuple[str, ...], ...] = ()
    window: int | None = None  # all signs of a combination within this many words


@dataclass(frozen=True)
class SituationFinding:
    """A situation read in a text: ``certain`` (a danger now) or only possible."""

    situation: Situation
    evidence: tuple[str, ...]
    certain: bool
    spans: tuple[tuple[int, int], ...] = ()  # word positions of the signs read


@dataclass(frozen=True)
class _Sign:
    first: int
    last: int
    quote: str
    worry: bool


class SituationError(ValueError):
    """``data/situations.yaml`` is malformed (the message names the situation and key)."""


def load_situations(path: Path, sms: dict) -> tuple[Situation, ...]:
    """Read and compile the situations; every group named in a combination must exist."""
    raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    situations = []
    for row in raw.get("situations", []):
        groups = {name: tuple(p for text in phrases
                              if (p := compile_phrase(text, DANGER_TARGET, typo_free=True, sms=sms)))
                  for name, phrases in (row.get("groups") or {}).items()}
        when = tuple(tuple(c) for c in row.get("when", []))
        ask = tuple(tuple(c) for c in row.get("ask", []))
        for combination in (*when, *ask):
            missing = [name for name in combination if name not in groups]
            if missing:
                raise SituationError(f"{path}: situation {row.get('id')}: groupe inconnu {missing[0]!r}")
        situations.append(Situation(row["id"], row["label"], tuple(str(n) for n in row["numbers"]),
                                    tuple(row.get("problems", ())), row.get("advice", ""), groups, when, ask,
                                    row.get("window")))
    return tuple(situations)


def read_situations(situations: tuple[Situation, ...], prepared: PreparedText, context: TextContext,
                    text: str, owned) -> list[SituationFinding]:
    """The situations of a text, certain ones first, each once (certain beats possible).
    ``owned(phrase, first, last)`` gives the positions a phrase's own words take."""
    found = []
    for situation in situations:
        signs = {name: _signs(phrases, prepared, context, text, owned) for name, phrases in situation.groups.items()}
        certain = _first_satisfied(situation.when, signs, situation.window, worry_allowed=False)
        if certain is not None:
            found.append(_finding(situation, certain, True))
            continue
        possible = (_first_satisfied(situation.when, signs, situation.window, worry_allowed=True)
                    or _first_satisfied(situation.ask, signs, situation.window, worry_allowed=True))
        if possible is not None:
            found.append(_finding(situation, possible, False))
    return found


def _finding(situation: Situation, signs: list[_Sign], certain: bool) -> SituationFinding:
    ordered = sorted(signs, key=lambda s: s.first)
    return SituationFinding(situation, tuple(dict.fromkeys(s.quote for s in ordered)), certain,
                            tuple((s.first, s.last) for s in ordered))


def _signs(phrases, prepared: PreparedText, context: TextContext, text: str, owned) -> list[_Sign]:
    signs = []
    for phrase in phrases:
        for first, last in prepared.find_all(phrase):
            modifiers = context.qualify(first, last, owned(prepared, phrase, first, last), text, DANGER_TARGET)
            categories = {m.category for m in modifiers}
            if categories and categories != {HYPOTHETICAL}:
                continue
            signs.append(_Sign(first, last, prepared.quote(first, last, text), bool(categories)))
    return signs


def _first_satisfied(combinations, signs: dict[str, list[_Sign]], window: int | None,
                     worry_allowed: bool) -> list[_Sign] | None:
    """The signs of the first combination found, each required sign a distinct place in
    the text (within ``window`` words of each other when set)."""
    for combination in combinations:
        pool = {name: [s for s in signs[name] if worry_allowed or not s.worry] for name in set(combination)}
        if any(not pool[name] for name in combination):
            continue
        anchors = [s for name in combination for s in pool[name]] if window else [None]
        for anchor in anchors:
            chosen = _choose(combination, pool, anchor, window)
            if chosen is not None:
                return chosen
    return None


def _choose(combination, pool, anchor: _Sign | None, window: int | None) -> list[_Sign] | None:
    taken: list[_Sign] = []
    # The rarest group first, so that a sign shared by two groups goes where it is needed.
    for name in sorted(combination, key=lambda n: len(pool[n])):
        candidates = [s for s in pool[name] if anchor is None
                      or (abs(s.first - anchor.first) <= window and abs(s.last - anchor.last) <= window)]
        free = next((s for s in candidates if all(s.last < t.first or t.last < s.first for t in taken)), None)
        if free is None:
            return None
        taken.append(free)
    return taken
