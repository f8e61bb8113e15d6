"""The statistical part of the reader: a linear model over character and word n-grams,
trained on the tuning part of the labelled corpus only (``scripts/train_reader_model.py``).

It reads what the lexicon has no phrase for (« il picole sec depuis son licenciement »),
and is combined with the context rules, never alone: a problem the rules set aside
(negated, past, someone else, a false friend) is never brought back by the model, and a
problem it adds carries no quoted evidence but says where it comes from. Its P0 score
raises the danger when high and, lower, makes Maillage ask « Quelqu'un est-il en danger
maintenant ? ». Thresholds chosen out of fold on the tuning part (folds by author);
figures in ``docs/QUALITY.md``.

Training uses scikit-learn's vectorizers and logistic regression. The model is stored as
plain arrays (``data/reader_model.npz``: n-gram vocabularies, idf weights, coefficients,
never a pickle) and applied here with numpy alone, the same n-grams and weighting as
scikit-learn's ``TfidfVectorizer`` (``char_wb`` and ``word`` analyzers, sublinear tf, l2
norm): the server neither imports nor installs scikit-learn and SciPy (about a second at
start). ``tests/test_reader_model.py`` checks both give the same probabilities.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from directory.text import fold

# Defaults when the model file names none (the training script chooses them out of fold).
PROBLEM_THRESHOLD = 0.5  # a problem the lexicon missed is added from this probability
DANGER_THRESHOLD = 0.6  # a danger now, from this probability of P0
ASK_THRESHOLD = 0.2  # from this probability of P0 the danger question is asked
CHAR_NGRAMS = (2, 5)
WORD_NGRAMS = (1, 2)
DANGER = "danger_immediat"
_WHITE_SPACES = re.compile(r"\s\s+")
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def vectorizers():
    """The two scikit-learn vectorizers (characters within words, words), unfitted: for
    training only (scikit-learn is a build and test dependency, not a server one)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return (TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2,
                            preprocessor=fold, dtype=np.float32),
            TfidfVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, sublinear_tf=True, min_df=1,
                            preprocessor=fold, dtype=np.float32))


def char_ngrams(folded: str) -> list[str]:
    """Character n-grams inside words, padded with a space (scikit-learn's ``char_wb``)."""
    low, high = CHAR_NGRAMS
    grams = []
    for word in _WHITE_SPACES.sub(" ", folded).split():
        word = f" {word} "
        length = len(word)
        for n in range(low, high + 1):
            grams += [word[i:i + n] for i in range(max(1, length - n + 1))]
            if length <= n:  # a short word counts once
                break
    return grams


def word_ngrams(folded: str) -> list[str]:
    """Words of two letters or more, and pairs of them (scikit-learn's ``word`` analyzer)."""
    words = _WORD.findall(folded)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass(frozen=True)
class Scores:
    """Probabilities of each problem code for one text, with the model's thresholds."""

    by_code: dict[str, float]
    thresholds: dict[str, float]
    danger_threshold: float = DANGER_THRESHOLD
    ask_threshold: float = ASK_THRESHOLD

    def found(self) -> list[str]:
        """Codes at or above their threshold, most likely first (never the danger itself)."""
        return [c for c, p in sorted(self.by_code.items(), key=lambda kv: -kv[1])
                if c != DANGER and p >= self.thresholds.get(c, PROBLEM_THRESHOLD)]

    @property
    def danger(self) -> float:
        """Probability that someone must call an emergency number now."""
        return self.by_code.get(DANGER, 0.0)

    @property
    def danger_now(self) -> bool:
        """Probable enough that someone must call now."""
        return self.danger >= self.danger_threshold

    @property
    def danger_possible(self) -> bool:
        """Close enough to dangers to ask whether someone is in danger now."""
        return self.danger >= self.ask_threshold


@dataclass(frozen=True)
class _Block:
    """One vectorizer's part of the model: its vocabulary, idf and coefficients."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (terms, codes), contiguous

    def contribution(self, grams: list[str]) -> np.ndarray | None:
        """The block's share of the logits: sublinear tf × idf, l2-normalised, × coef."""
        counts = Counter(g for g in grams if g in self.vocabulary)
        if not counts:
            return None
        rows = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
        weights = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64,
                              count=len(counts)) * self.idf[rows]
        weights /= np.linalg.norm(weights)
        return weights @ self.coef[rows]


class ProblemModel:
    """The trained model: ``scores(text)`` gives each problem's probability."""

    def __init__(self, codes: list[str], char_terms, char_idf, word_terms, word_idf,
                 coef: np.ndarray, intercept: np.ndarray, meta: dict):
        self.codes = list(codes)
        self.char_terms, self.word_terms = [str(t) for t in char_terms], [str(t) for t in word_terms]
        self.char_idf = np.asarray(char_idf, dtype=np.float64)
        self.word_idf = np.asarray(word_idf, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.meta = meta
        n_char = len(self.char_terms)
        self._char = _Block({t: i for i, t in enumerate(self.char_terms)}, self.char_idf,
                            np.ascontiguousarray(self.coef[:, :n_char].T, dtype=np.float64))
        self._word = _Block({t: i for i, t in enumerate(self.word_terms)}, self.word_idf,
                            np.ascontiguousarray(self.coef[:, n_char:].T, dtype=np.float64))

    def scores(self, text: str) -> Scores:
        """The probability of each problem code for a text."""
        folded = fold(text)
        logits = self.intercept.copy()
        for block, grams in ((self._char, char_ngrams(folded)), (self._word, word_ngrams(folded))):
            part = block.contribution(grams)
            if part is not None:
                logits += part
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        return Scores(dict(zip(self.codes, (float(p) for p in probabilities), strict=True)),
                      self.meta.get("thresholds", {}), self.meta.get("danger_threshold", DANGER_THRESHOLD),
                      self.meta.get("ask_threshold", ASK_THRESHOLD))

    def save(self, path: Path) -> None:
        """Write the model as plain arrays (no pickle)."""
        np.savez_compressed(
            path, codes=np.array(self.codes), meta=np.array(json.dumps(self.meta, ensure_ascii=False)),
            char_terms=np.array(self.char_terms), char_idf=self.char_idf.astype(np.float32),
            word_terms=np.array(self.word_terms), word_idf=self.word_idf.astype(np.float32),
            coef=self.coef.astype(np.float16), intercept=self.intercept.astype(np.float32))


def terms_of(vectorizer) -> list[str]:
    """A fitted scikit-learn vectorizer's terms, in column order."""
    terms = [""] * len(vectorizer.vocabulary_)
    for term, index in vectorizer.vocabulary_.items():
        terms[index] = term
    return terms


def load_model(path: Path) -> ProblemModel | None:
    """The model of a file (None when the file is missing: the reader then works alone)."""
    if not Path(path).exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        return ProblemModel([str(c) for c in data["codes"]], data["char_terms"], data["char_idf"],
                            data["word_terms"], data["word_idf"], data["coef"], data["intercept"],
                            json.loads(str(data["meta"])))


@lru_cache(maxsize=1)
def bundled_model() -> ProblemModel | None:
    """The bundled model (``data/reader_model.npz``), loaded once."""
    from directory.paths import DATA_DIR

    return load_model(DATA_DIR / "reader_model.npz")
