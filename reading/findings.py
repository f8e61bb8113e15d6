"""What the reader finds in a text: findings with their evidence, matches set aside with
their reason, and the whole ``Reading`` (shared by the reader and what combines with it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reading.situations import SituationFinding


@dataclass(frozen=True)
class Finding:
    """Something understood: a code and the user's words that show it."""

    code: str
    evidence: tuple[str, ...]
    worry: bool = False  # read under a fear or hypothesis (safety problems only)
    inferred: bool = False  # read by the statistical model, not from quoted words


@dataclass(frozen=True)
class Ignored:
    """A match set aside, with the reason."""

    code: str
    words: str
    category: str
    reason: str

    def as_dict(self) -> dict:
        """JSON shape: ``{"code", "words", "category", "reason"}``."""
        return {"code": self.code, "words": self.words, "category": self.category, "reason": self.reason}


@dataclass
class Reading:
    """What the reader understood of a text."""

    problems: list[Finding] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    dangers: list[Finding] = field(default_factory=list)
    types: list[Finding] = field(default_factory=list)
    signals: list[Finding] = field(default_factory=list)
    age: int | None = None  # an age stated in the text
    # Dangers read as situations (certain), or only possible (Maillage asks then).
    situations: list[SituationFinding] = field(default_factory=list)
    # The user's words that nothing was read from (« Non compris : crie la nuit »).
    unread: list[str] = field(default_factory=list)
    # The same, word by word as typed (for a search by name when nothing was understood).
    unread_words: list[str] = field(default_factory=list)
    # The statistical model's probability that someone must call an emergency number now,
    # and whether it is high enough to ask.
    danger_score: float = 0.0
    danger_asked: bool = False
    # Dangers read, then turned into a question by a false-alarm phrase (their natures).
    demoted: list[str] = field(default_factory=list)
    # Household facts stated in the text (« sous curatelle », children, the age).
    facts: dict = field(default_factory=dict)

    @property
    def problem_codes(self) -> list[str]:
        """Codes of the problems understood, in taxonomy order."""
        return [f.code for f in self.problems]

    @property
    def signal_codes(self) -> set[str]:
        """Codes of the named signals read."""
        return {f.code for f in self.signals}

    @property
    def possible_dangers(self) -> list[SituationFinding]:
        """Situations that make a danger possible but not certain."""
        return [f for f in self.situations if not f.certain]

    @property
    def danger_possible(self) -> bool:
        """A danger is possible without certainty: the model finds the text close to dangers
        now, or a danger read was turned into a question by a false-alarm phrase."""
        return self.danger_asked or bool(self.demoted)
