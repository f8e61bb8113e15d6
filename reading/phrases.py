"""Lay phrases compiled to stems, and where they occur in a text.

Three ways to match, chosen per phrase:

- ``fuzzy`` (most lay words): the phrase's content stems appear close together in one
  clause, in any order (« tombe souvent dans l'escalier » matches « tombe dans
  l'escalier »); one word may be missing from phrases of four words or more; a word the
  vocabulary does not know may be a typo of one it knows.
- ``exact`` (phrases of short words only, like the SMS « sa pu »): word for word.
- ``strict`` (alarm words: danger, escalation): the exact words in order, only plural
  and feminine endings allowed, never a typo, so that « sans » is not « sang » and
  « fume » is not « fumée ».

« ne » is optional everywhere (« il paie plus son loyer » = « il ne paie plus »); the
context reader looks at it separately.
"""

from __future__ import annotations

from dataclasses import dataclass

from reading.tokens import Token, stem, words_of
from reading.typos import TypoIndex

# Function words ignored inside fuzzy phrases (negations are kept: "paie plus").
FILLERS = frozenset("le la les l un une des de du d au aux a et en y s se sa son ses "
                    "sur dans par pour qui que qu c j m t est ne n".split())
# Pronouns are dropped from a phrase too, unless that would leave a single word of a
# longer phrase ("il crie sur elle" must not shrink to "crie").
PRONOUNS = frozenset("il elle ils elles on je tu nous vous lui leur me te ce ca cet cette".split())
OPTIONAL = frozenset({"ne", "n"})
MEANINGFUL = 4
MAX_GAP = 2
FUZZY, EXACT, STRICT = "fuzzy", "exact", "strict"


@dataclass(frozen=True)
class Phrase:
    """A lay phrase and what it signals (``target``: a problem, type, danger or signal code)."""

    text: str
    target: str
    words: tuple[str, ...]
    stems: tuple[str, ...]
    mode: str
    displayable: bool = True
    weak: bool = False
    typo_free: bool = False

    @property
    def needed(self) -> int:
        """How many distinct stems must be found: all, or all but one from four words."""
        count = len(set(self.stems))
        return count - 1 if count >= 4 else count

    @property
    def last_stem(self) -> str:
        """The phrase's last word, usually its key noun: it may never be the one missing."""
        return self.stems[-1]


def compile_phrase(text: str, target: str = "", *, strict: bool = False, exact: bool = False,
                   displayable: bool = True, weak: bool = False, typo_free: bool = False,
                   sms: dict | None = None) -> Phrase | None:
    """Compile a lay phrase; None when it has no word. ``strict``: alarm words (exact forms);
    ``exact``: every word's stem, in order, never a typo (« il la frappe » is not « il frappe »)."""
    words = tuple(w for w in words_of(text, sms) if w not in OPTIONAL)
    if not words:
        return None
    if strict:
        return Phrase(text, target, words, words, STRICT, displayable, weak)
    if exact:
        return Phrase(text, target, words, tuple(stem(w) for w in words), EXACT, displayable, weak)
    content = [w for w in words if w not in FILLERS]
    without_pronouns = [w for w in content if w not in PRONOUNS]
    if len(without_pronouns) > 1:
        content = without_pronouns
    # A phrase is never reduced to one of its words: « m'a suivi » is not « suivi »,
    # « il la frappe » is not « frappe ». Such phrases are read word for word.
    exact = (len(words) > 1 and len(content) < 2) or not any(len(w) >= MEANINGFUL for w in content)
    chosen = words if exact or not content else tuple(content)
    return Phrase(text, target, tuple(chosen), tuple(stem(w) for w in chosen), EXACT if exact else FUZZY,
                  displayable, weak, typo_free)


def strict_forms(word: str) -> frozenset[str]:
    """Forms of an alarm word that count as the word itself: plural (« couteaux »), and
    feminine when the word does not already end in « e » (« arme » never becomes « armée »)."""
    forms = {word, word + "s"} | ({word + "x"} if word.endswith("u") else set())
    if not word.endswith("e"):
        forms |= {word + "e", word + "es"}
    return frozenset(forms)


class PreparedText:
    """A text ready for matching: its words (« ne » set aside), content positions and stems."""

    def __init__(self, tokens: list[Token], typos: TypoIndex | None, known_stems: frozenset[str],
                 stem_of_word: dict[str, str], typo_free: frozenset[str] = frozenset(),
                 common_words: frozenset[str] = frozenset()):
        self.tokens = tokens
        self.words = [t for t in tokens if not t.punctuation]
        # Positions in ``words`` of the words strict and exact phrases are compared with.
        self.plain = [i for i, t in enumerate(self.words) if t.text not in OPTIONAL]
        self.plain_words = [self.words[i].text for i in self.plain]
        self.plain_stems = [stem(w) for w in self.plain_words]
        self._starts: dict[str, list[int]] = {}
        for position, (word, word_stem) in enumerate(zip(self.plain_words, self.plain_stems, strict=True)):
            self._starts.setdefault(word, []).append(position)
            if word_stem != word:
                self._starts.setdefault(word_stem, []).append(position)
        self.content: list[int] = []
        self.content_stems: list[set[str]] = []
        self.content_plain_stems: list[set[str]] = []
        for i, token in enumerate(self.words):
            if token.text in FILLERS:
                continue
            stems = {token.stem} | ({token.lemma} if token.lemma else set())
            # Typo fixes only for words the vocabulary does not know ("fermés" must not
            # become "femmes"), nor for common words (« ménage » is not « menace »), and never
            # towards a word of a safety phrase.
            if (typos is not None and not token.text.isdigit() and not stems & known_stems
                    and token.text not in common_words):
                stems |= {stem_of_word[w] for w in typos.lookup(token.text)} - typo_free
            self.content.append(i)
            self.content_stems.append(stems)
            self.content_plain_stems.append({token.stem} | ({token.lemma} if token.lemma else set()))
        self.all_stems = set().union(*self.content_stems) if self.content_stems else set()
        self.all_stems |= set(self.plain_stems) | set(self.plain_words)
        self._found: dict[int, list[tuple[int, int]]] = {}
        self._plain_set = frozenset(self.plain_words)

    def find_all(self, phrase: Phrase) -> list[tuple[int, int]]:
        """Every ``(first, last)`` word span where the phrase occurs (indices in ``words``);
        computed once per phrase and text (the reader asks again for what it covers)."""
        key = id(phrase)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._find(phrase)
        return found

    def _find(self, phrase: Phrase) -> list[tuple[int, int]]:
        if phrase.mode == STRICT:
            forms = [strict_forms(w) for w in phrase.words]
            if forms[-1].isdisjoint(self._plain_set):
                return []
            return self._sequences(phrase, forms, self.plain_words)
        if phrase.stems[-1] not in self.all_stems:
            return []  # its last word, never the one missing, is nowhere in the text
        if phrase.mode == EXACT:
            return self._sequences(phrase, [{s} for s in phrase.stems], self.plain_stems)
        return self._fuzzy(phrase)

    def _sequences(self, phrase: Phrase, wanted: list, seen: list[str]) -> list[tuple[int, int]]:
        spans = []
        n = len(wanted)
        # Only where the first word (or its stem) occurs.
        starts = sorted({p for first in wanted[0] for p in self._starts.get(first, ())})
        for start in starts:
            if start + n <= len(seen) and all(seen[start + k] in wanted[k] for k in range(n)):
                first, last = self.plain[start], self.plain[start + n - 1]
                if self.words[first].clause == self.words[last].clause:
                    spans.append((first, last))
        return spans

    def _fuzzy(self, phrase: Phrase) -> list[tuple[int, int]]:
        positions = self.content_plain_stems if phrase.typo_free else self.content_stems
        wanted = set(phrase.stems)
        width = len(phrase.stems) + MAX_GAP
        spans = []
        for start, stems in enumerate(positions):
            if not stems & wanted:
                continue
            clause = self.words[self.content[start]].clause
            hit, last = set(), start
            for offset in range(width):
                position = start + offset
                if position >= len(self.content) or self.words[self.content[position]].clause != clause:
                    break
                common = positions[position] & wanted
                if common:
                    hit |= common
                    last = position
            if len(hit) >= phrase.needed and phrase.last_stem in hit:
                span = (self.content[start], self.content[last])
                if not spans or span[0] > spans[-1][1]:
                    spans.append(span)
        return spans

    def quote(self, first: int, last: int, text: str) -> str:
        """The user's own words for a span."""
        return text[self.words[first].start:self.words[last].end]
