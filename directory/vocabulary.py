"""Lay vocabulary: what a caretaker types, turned into problem codes, service types and
danger signals.

Plain Python, shared by the search and the orientation engine. Text and vocabulary are
normalised the same way (lower case, accents folded, apostrophes split, letters repeated
three times or more collapsed, French stems), then each lay phrase is matched as an
ordered sequence of stems with small gaps allowed ("tombe souvent dans l'escalier"
matches "tombe dans l'escalier"). Words of five letters or more tolerate one typo (two
from eight letters). Stigmatising words are matched but never returned for display.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from directory.taxonomy import Taxonomy
from directory.text import fold

# Snowball stemmers keep state while stemming: one per thread (each server worker serves
# requests from several threads at once).
_LOCAL = threading.local()


def _stemmer():
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("french")
    return stemmer

_TOKEN = re.compile(r"[0-9a-z]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
# Function words ignored inside lay phrases (negations are kept: "ne respire plus").
_FILLERS = frozenset("le la les l un une des de du d au aux a et en y s se sa son ses "
                     "sur dans par pour qui que qu c j m t n est".split())
# Pronouns are dropped from a phrase too, unless that would leave a single word of a
# longer phrase ("il crie sur elle" must not shrink to "crie").
_PRONOUNS = frozenset("il elle ils elles on je tu nous vous lui leur me te ce ca cet cette"
                      .split())
_MEANINGFUL = 4
_NEGATIONS = frozenset({"pas", "plus", "jamais", "rien", "personne", "aucun", "aucune", "ne", "n"})
MAX_GAP = 2


def tokenize(text: str) -> list[str]:
    """Folded word tokens: ``"L'alcoool, ça pue"`` → ``["l", "alcool", "ca", "pue"]``."""
    return _TOKEN.findall(_REPEATS.sub(r"\1", fold(text or "")))


# Endings left after the stem that only inflect a word (plural, gender, verb forms).
_INFLECTIONS = frozenset({"", "s", "x", "e", "es", "er", "ez", "ent", "ee", "ees", "ai", "ait",
                          "aient", "ant", "ons"})


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """French snowball stem of a folded token (digits untouched), kept distinct from a
    derived word sharing it: ``petits`` → ``petit`` but ``petition`` → ``petit|io``."""
    if token.isdigit():
        return token
    base = _stemmer().stemWord(token)
    rest = token[len(base):] if token.startswith(base) else ""
    return base if rest in _INFLECTIONS else f"{base}|{rest[:2]}"


def _bounded_distance(a: str, b: str, limit: int) -> int:
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


def typo_budget(word: str) -> int:
    """Edits tolerated for a word: none under 5 letters, 1 from 5, 2 from 8."""
    return 0 if len(word) < 5 else (1 if len(word) < 8 else 2)


@dataclass(frozen=True)
class Phrase:
    """A lay phrase compiled to stems, with what it signals.

    ``exact`` phrases (all words short once function words are dropped, like the SMS
    "sa pu") must appear word for word; the others match when their stems appear close
    together in any order, one word may be missing from phrases of three words or more.
    """

    text: str
    stems: tuple[str, ...]
    words: tuple[str, ...]
    target: str
    displayable: bool = True
    exact: bool = False

    @property
    def needed(self) -> int:
        """How many distinct stems must be found: all, or all but one from four words."""
        count = len(set(self.stems))
        return count - 1 if count >= 4 else count

    @property
    def last_stem(self) -> str:
        """The phrase's last word, usually its key noun: it may never be the one missing."""
        return self.stems[-1]


def compile_phrase(text: str, target: str = "", displayable: bool = True) -> Phrase | None:
    """Compile a lay phrase; None when it has no word."""
    words = tokenize(text)
    content = [w for w in words if w not in _FILLERS]
    without_pronouns = [w for w in content if w not in _PRONOUNS]
    if len(without_pronouns) > 1 or len(words) < 3:
        content = without_pronouns or content
    exact = not any(len(w) >= _MEANINGFUL for w in content)
    chosen = words if exact else content
    if not chosen:
        return None
    return Phrase(text, tuple(stem(w) for w in chosen), tuple(chosen), target, displayable, exact)


@dataclass(frozen=True)
class _Match:
    phrase: Phrase
    start: int
    end: int


class _TypoIndex:
    """Deletion-neighbourhood index (SymSpell) of vocabulary words for typo lookup."""

    def __init__(self) -> None:
        self._deletes: dict[str, set[str]] = defaultdict(set)

    @staticmethod
    def _variants(word: str, depth: int) -> set[str]:
        found = {word}
        frontier = {word}
        for _ in range(depth):
            frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
            found |= frontier
        return found

    def add(self, word: str) -> None:
        for variant in self._variants(word, typo_budget(word)):
            self._deletes[variant].add(word)

    def lookup(self, token: str) -> set[str]:
        """Vocabulary words within the typo budget of ``token`` (and of the word)."""
        budget = typo_budget(token)
        if budget == 0:
            return set()
        candidates: set[str] = set()
        for variant in self._variants(token, budget):
            candidates |= self._deletes.get(variant, set())
        found = set()
        for word in candidates:
            limit = min(budget, typo_budget(word))
            if limit and _bounded_distance(token, word, limit) <= limit:
                found.add(word)
        return found


class _Text:
    """A text prepared for matching: all tokens, and content tokens with their stems."""

    def __init__(self, text: str, vocabulary: LayVocabulary):
        self.tokens = tokenize(text)
        self.positions: list[set[str]] = []  # over content tokens only
        self.index: list[int] = []  # content position -> token position
        for i, token in enumerate(self.tokens):
            if token in _FILLERS:
                continue
            stems = {stem(token)}
            # Typo fixes only for words the vocabulary does not know ("fermés" must not
            # become "femmes").
            if not token.isdigit() and not stems & vocabulary.known_stems:
                stems |= {vocabulary.stem_of_word[w] for w in vocabulary.typos.lookup(token)}
            self.positions.append(stems)
            self.index.append(i)
        self.stems = set().union(*self.positions) if self.positions else set()
        self.exact_stems = [stem(t) for t in self.tokens]

    def find(self, phrase: Phrase) -> tuple[int, int] | None:
        """Token span ``(start, end)`` where the phrase matches, or None."""
        if phrase.exact:
            n = len(phrase.stems)
            for start in range(len(self.exact_stems) - n + 1):
                if tuple(self.exact_stems[start:start + n]) == phrase.stems:
                    return start, start + n - 1
            return None
        wanted = set(phrase.stems)
        span = len(phrase.stems) + MAX_GAP
        for start, stems in enumerate(self.positions):
            if not stems & wanted:
                continue
            window = self.positions[start:start + span]
            hit, last = set(), start
            for offset, candidates in enumerate(window):
                common = candidates & wanted
                if common:
                    hit |= common
                    last = start + offset
            if len(hit) >= phrase.needed and phrase.last_stem in hit:
                span = self.index[start], self.index[last]
                if not self._negated(span, phrase):
                    return span
        return None

    def _negated(self, span: tuple[int, int], phrase: Phrase) -> bool:
        """« il ne boit pas »: a phrase without negation of its own, framed by ne … pas."""
        if set(phrase.words) & _NEGATIONS:
            return False
        before = self.tokens[max(0, span[0] - 2):span[0]]
        after = self.tokens[span[1] + 1:span[1] + 3]
        return bool({"ne", "n"} & set(before)) and bool(_NEGATIONS & set(after))


class LayVocabulary:
    """Compiled lay phrases of a taxonomy, ready to scan free text."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self.problem_phrases: list[Phrase] = []
        self.type_phrases: list[Phrase] = []
        for problem in taxonomy.problems.values():
            for text in (problem.label, *problem.lay_words):
                self._add(self.problem_phrases, text, problem.code, True)
            for text in problem.stigmatising_words:
                self._add(self.problem_phrases, text, problem.code, False)
        for service_type in taxonomy.service_types.values():
            for text in (service_type.short_label, *service_type.lay_words):
                self._add(self.type_phrases, text, service_type.code, True)
        self.typos = _TypoIndex()
        self.stem_of_word: dict[str, str] = {}
        self._by_stem: dict[int, dict[str, list[Phrase]]] = {}
        for phrases in (self.problem_phrases, self.type_phrases):
            index = self._by_stem[id(phrases)] = defaultdict(list)
            for phrase in phrases:
                for phrase_stem in set(phrase.stems):
                    index[phrase_stem].append(phrase)
        for phrase in self.problem_phrases + self.type_phrases:
            for word, word_stem in zip(phrase.words, phrase.stems, strict=True):
                self.typos.add(word)
                self.stem_of_word[word] = word_stem
        self.known_stems = frozenset(self.stem_of_word.values())

    @staticmethod
    def _add(target: list[Phrase], text: str, code: str, displayable: bool) -> None:
        phrase = compile_phrase(text, code, displayable)
        if phrase:
            target.append(phrase)

    def _scan(self, phrases: list[Phrase], text: str) -> list[tuple[str, list[str]]]:
        prepared = _Text(text, self)
        index = self._by_stem[id(phrases)]
        candidates = {id(p): p for s in prepared.stems | set(prepared.exact_stems)
                      for p in index.get(s, ())}
        matches = []
        for phrase in candidates.values():
            span = prepared.find(phrase)
            if span:
                matches.append(_Match(phrase, *span))
        # Longest match wins: a phrase whose words lie inside a longer phrase of another
        # code is dropped ("insulte les voisins" is neighbourhood trouble, not violence).
        matches.sort(key=lambda m: -(m.end - m.start))
        kept: list[_Match] = []
        for match in matches:
            inside = any(k.phrase.target != match.phrase.target and k.start <= match.start
                         and match.end <= k.end and (k.end - k.start) > (match.end - match.start)
                         for k in kept)
            if not inside:
                kept.append(match)
        order = {p.target: i for i, p in enumerate(phrases)}
        found: dict[str, list[str]] = {}
        for match in sorted(kept, key=lambda m: (order[m.phrase.target], m.start)):
            words = found.setdefault(match.phrase.target, [])
            if match.phrase.displayable and match.phrase.text not in words:
                words.append(match.phrase.text)
        return list(found.items())

    def detect_problems(self, text: str) -> list[tuple[str, list[str]]]:
        """Problem codes signalled by the text, with the lay phrases that matched.

        Stigmatising words count for detection but are never in the returned phrases.
        Codes come in taxonomy order.
        """
        return self._scan(self.problem_phrases, text)

    def detect_types(self, text: str) -> list[tuple[str, list[str]]]:
        """Service types named by the text (``maison relais`` → ``pension_de_famille``)."""
        return self._scan(self.type_phrases, text)

    def detect_dangers(self, text: str) -> list[tuple[str, list[str]]]:
        """Danger natures (medical, violence, fire, child, levee_de_doute, any) in the text."""
        prepared = _Text(text, self)
        dangers: dict[str, list[str]] = {}
        for rule in self.taxonomy.escalation:
            spans_excluded = [s for s in (self._span(prepared, e) for e in rule.except_phrases) if s]
            hits, spans = [], []
            for word in rule.words:
                span = self._span(prepared, word)
                if span and not any(a <= span[0] and span[1] <= b for a, b in spans_excluded):
                    hits.append(word)
                    spans.append(span)
            # Variants of one sign ("on ne le/la voit plus") found at the same place count once.
            if _distinct_spans(spans) < rule.min_signs:
                continue
            if rule.with_any:
                context = [w for w in rule.with_any if self._span(prepared, w)]
                if not context:
                    continue
                hits += context
            words = dangers.setdefault(rule.nature, [])
            words += [h for h in hits if h not in words]
        return list(dangers.items())

    @staticmethod
    def _span(prepared: _Text, text: str) -> tuple[int, int] | None:
        phrase = compile_phrase(text)
        return prepared.find(phrase) if phrase else None


def _distinct_spans(spans: list[tuple[int, int]]) -> int:
    count, end = 0, -1
    for start, stop in sorted(spans):
        if start > end:
            count += 1
            end = stop
        else:
            end = max(end, stop)
    return count


@lru_cache(maxsize=4)
def vocabulary_for(taxonomy: Taxonomy) -> LayVocabulary:
    """The compiled vocabulary of a taxonomy (built once per taxonomy object)."""
    return LayVocabulary(taxonomy)


def detect_problems(text: str, taxonomy: Taxonomy | None = None) -> list[tuple[str, list[str]]]:
    """Problem codes detected in free text with the words that matched (bundled taxonomy
    by default): ``detect_problems("il boit")`` → ``[("addiction_alcool", ["boit"])]``."""
    if taxonomy is None:
        from directory.paths import DATA_DIR
        from directory.taxonomy import load_taxonomy

        taxonomy = load_taxonomy(str(DATA_DIR / "taxonomy.yaml"))
    return vocabulary_for(taxonomy).detect_problems(text)
