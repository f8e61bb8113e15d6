"""What the reader did not understand: the user's words that nothing was read from, nor set
aside with a reason (« Non compris : crie la nuit »), so that what is not understood is said."""

from __future__ import annotations

from reading.context import ContextRules, TextContext
from reading.phrases import FILLERS, PRONOUNS, PreparedText
from reading.situations import SituationFinding
from reading.vocabulary import Vocabulary

MAX_UNREAD = 8


def unread(vocabulary: Vocabulary, rules: ContextRules, prepared: PreparedText, context: TextContext,
           situations: list[SituationFinding], text: str) -> tuple[list[str], list[str]]:
    """Runs of meaningful words that no phrase, trigger or sign covers, quoted, and those
    words one by one (« Non compris : crie la nuit »)."""
    covered = _covered(vocabulary, prepared, context, situations)
    runs: list[list[int]] = []
    for position, token in enumerate(prepared.words):
        if position in covered or not _worth_saying(token.text, rules.not_worth_saying):
            continue
        if runs and runs[-1][-1] >= position - 3 and prepared.words[runs[-1][-1]].clause == token.clause \
                and not any(p in covered for p in range(runs[-1][-1] + 1, position)):
            runs[-1].append(position)
        else:
            runs.append([position])
    return ([prepared.quote(run[0], run[-1], text) for run in runs][:MAX_UNREAD],
            [prepared.quote(p, p, text) for run in runs for p in run])


def _covered(vocabulary: Vocabulary, prepared: PreparedText, context: TextContext,
             situations: list[SituationFinding]) -> set[int]:
    """Word positions something was read from, or set aside with a reason."""
    covered: set[int] = set()
    for kind in ("problems", "types", "signals"):
        for phrase in vocabulary.candidates(kind, prepared.all_stems):
            for first, last in prepared.find_all(phrase):
                covered.update(range(first, last + 1))
    # An alarm word is read (or set aside with its reason); a sign that needs another
    # one, or a sign of a situation not read, is not understanding.
    for sign in vocabulary.escalation:
        if sign.rule.min_signs <= 1 and not sign.context:
            for phrase in sign.phrases:
                for first, last in prepared.find_all(phrase):
                    covered.update(range(first, last + 1))
    for finding in situations:
        for first, last in finding.spans:
            covered.update(range(first, last + 1))
    for _trigger, start, end in context.found:
        covered.update(range(start, end + 1))
    for _friend, start, end in context.friends:
        covered.update(range(start, end + 1))
    return covered | context.hidden


def _worth_saying(word: str, not_worth: frozenset[str]) -> bool:
    """A word whose not being understood is worth telling (not a function word)."""
    return len(word) >= 3 and not word.isdigit() and word not in FILLERS and word not in PRONOUNS \
        and word not in not_worth
