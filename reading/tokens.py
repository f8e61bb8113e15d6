"""Tokens of lay text: folded words with their place in the original text and clause.

Normalisation (REFERENCE §4.2): lower case, accents and ligatures folded, apostrophes
and hyphens split words (« l'alcool » → « l », « alcool »), letters repeated three times
or more collapsed (« biiizarre »), SMS spellings expanded (« ya » → « il y a »). Each
token keeps the character span of the word it comes from, so evidence is quoted in the
user's own spelling, and the clause it belongs to (punctuation and words such as
« mais » end a clause).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import simplemma
import snowballstemmer

from directory.text import fold

_WORD = re.compile(r"[^\W_]+|[.,;:!?()…«»\"/]", re.UNICODE)
_REPEATS = re.compile(r"([a-z])\1{2,}")
PUNCTUATION = frozenset(".,;:!?()…«»\"/")
# Snowball stemmers keep state while stemming: one per thread (server threads).
_LOCAL = threading.local()
# Endings left after the stem that only inflect a word (plural, gender, verb forms).
_INFLECTIONS = frozenset({"", "s", "x", "e", "es", "er", "ez", "ent", "ee", "ees", "ai", "ait",
                          "aient", "ant", "ons"})


def _stemmer():
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("french")
    return stemmer


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """French snowball stem of a folded token (digits untouched), kept distinct from a
    derived word sharing it: ``petits`` → ``petit`` but ``petition`` → ``petit|io``."""
    if token.isdigit():
        return token
    base = _stemmer().stemWord(token)
    rest = token[len(base):] if token.startswith(base) else ""
    return base if rest in _INFLECTIONS else f"{base}|{rest[:2]}"


@lru_cache(maxsize=200_000)
def lemma_stem(word: str) -> str:
    """The stem of a word's dictionary form (simplemma's French lexicon), folded:
    « buvait » → « boir », « meurt » → « mour »; the word's own stem when the lexicon has
    nothing better. Irregular verbs and plurals then meet the stem of a lay phrase."""
    lemma = simplemma.lemmatize(word, lang="fr")
    folded = fold_word(lemma)
    return stem(folded) if folded.isalnum() else stem(fold_word(word))


def fold_word(word: str) -> str:
    """A word folded as the reader compares it: ``Biiizarre`` → ``bizarre``."""
    return _REPEATS.sub(r"\1", fold(word))


@dataclass(frozen=True)
class Token:
    """One word (or punctuation mark) of the text."""

    text: str  # folded, SMS-expanded
    start: int  # character span in the original text
    end: int
    clause: int
    punctuation: bool = False
    lemma: str = ""  # stem of the word's dictionary form, when it differs from its own stem

    @property
    def stem(self) -> str:
        """The French stem of the word."""
        return stem(self.text)


def tokenize(text: str, sms: dict[str, tuple[str, ...]] | None = None,
             terminators: tuple[tuple[str, ...], ...] = ()) -> list[Token]:
    """Tokens of a text with clause numbers; ``terminators`` are word sequences that end a
    clause (« mais », « par contre »)."""
    raw: list[tuple[str, int, int, bool]] = []
    for match in _WORD.finditer(text or ""):
        word = match.group()
        if word in PUNCTUATION:
            raw.append((word, match.start(), match.end(), True, ""))
            continue
        folded = fold_word(word)
        parts = re.findall(r"[0-9a-z]+", folded)
        for part in parts:
            expansion = (sms or {}).get(part)
            if expansion:
                raw.extend((expanded, match.start(), match.end(), False, "") for expanded in expansion)
                continue
            lemma = lemma_stem(word.lower()) if len(parts) == 1 and not part.isdigit() else ""
            raw.append((part, match.start(), match.end(), False, lemma if lemma != stem(part) else ""))
    tokens: list[Token] = []
    clause = 0
    index = 0
    while index < len(raw):
        word, start, end, is_punct, lemma = raw[index]
        if is_punct:
            clause += 1
            tokens.append(Token(word, start, end, clause, True))
            index += 1
            continue
        length = _terminator_at(raw, index, terminators)
        if length:
            clause += 1
            for offset in range(length):
                w, s, e, _, lem = raw[index + offset]
                tokens.append(Token(w, s, e, clause, lemma=lem))
            index += length
            continue
        tokens.append(Token(word, start, end, clause, lemma=lemma))
        index += 1
    return tokens


def _terminator_at(raw, index: int, terminators) -> int:
    for sequence in terminators:
        if tuple(row[0] for row in raw[index:index + len(sequence)]) == sequence:
            return len(sequence)
    return 0


def words_of(text: str, sms: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """The folded words of a phrase (no punctuation)."""
    return tuple(t.text for t in tokenize(text, sms) if not t.punctuation)
