"""Typo tolerance: a deletion-neighbourhood index (SymSpell) of vocabulary words.

Words of five letters or more tolerate one typo, two from eight letters. Alarm words
never go through here: they need their exact form (see ``reading.phrases``).
"""

from __future__ import annotations

from collections import defaultdict


def typo_budget(word: str) -> int:
    """Edits tolerated for a word: none under 5 letters, 1 from 5, 2 from 8."""
    return 0 if len(word) < 5 else (1 if len(word) < 8 else 2)


def bounded_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance, or ``limit + 1`` as soon as it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class TypoIndex:
    """Vocabulary words reachable from a token within the typo budget of both."""

    def __init__(self, budget=typo_budget) -> None:
        self._deletes: dict[str, set[str]] = defaultdict(set)
        self._budget = budget

    @staticmethod
    def _variants(word: str, depth: int) -> set[str]:
        found = {word}
        frontier = {word}
        for _ in range(depth):
            frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
            found |= frontier
        return found

    def add(self, word: str) -> None:
        """Index a vocabulary word."""
        for variant in self._variants(word, self._budget(word)):
            self._deletes[variant].add(word)

    def lookup(self, token: str) -> set[str]:
        """Vocabulary words within the typo budget of ``token`` (and of the word)."""
        budget = self._budget(token)
        if budget == 0:
            return set()
        candidates: set[str] = set()
        for variant in self._variants(token, budget):
            candidates |= self._deletes.get(variant, set())
        found = set()
        for word in candidates:
            limit = min(budget, self._budget(word))
            if limit and word != token and bounded_distance(token, word, limit) <= limit:
                found.add(word)
        return found
