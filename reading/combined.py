"""The statistical model combined with the rules (``reading.model``): it adds what the
lexicon missed, never what the context rules set aside (negated, past, someone else, a
false friend, what a signal reads differently)."""

from __future__ import annotations

from reading.context import ContextRules, TextContext
from reading.findings import Finding, Reading
from reading.model import Scores

NEAR_MISS = "near_miss"
DANGER = "danger_immediat"
# The nature of a danger read by the model alone: any emergency (112 first).
MODEL_DANGER = "any"


def set_aside(reading: Reading, context: TextContext, rules: ContextRules) -> set[str]:
    """Codes the context rules rule out in this text: matches set aside (negated, past,
    someone else), the targets of the false friends present, and what a signal reads
    differently (dealing in the hall is not the household's addiction)."""
    codes = {item.code for item in reading.ignored if item.category not in ("weak", NEAR_MISS)}
    for friend, _start, _end in context.friends:
        codes |= set(friend.targets)
    for code in reading.signal_codes:
        codes |= set((rules.signals.get(code) or {}).get("instead_of", ()))
    return codes


def add_model_findings(scores: Scores, reading: Reading, aside: set[str], problem_order: list[str],
                       danger_natures: frozenset[str]) -> None:
    """Problems the lexicon missed, and a danger now, from the model's scores; never one
    the context rules set aside. What it adds carries no quoted evidence (``inferred``)."""
    reading.danger_score = scores.danger
    reading.danger_asked = scores.danger_possible
    present = set(reading.problem_codes)
    added = [code for code in scores.found() if code in problem_order and code not in present and code not in aside]
    if not reading.dangers and scores.danger_now and not aside & danger_natures:
        reading.dangers.append(Finding(MODEL_DANGER, (), inferred=True))
        added.insert(0, DANGER)
    if not added:
        return
    order = {code: i for i, code in enumerate(problem_order)}
    reading.problems += [Finding(code, (), inferred=True) for code in added if code not in present]
    reading.problems.sort(key=lambda f: order[f.code])
