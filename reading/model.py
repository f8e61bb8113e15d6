"""The statistical part of the reader: a linear model over character and word n-grams,
trained on the tuning part of the labelled corpus only (``scripts/train_reader_model.py``).

It reads what the lexicon has no phrase for (« il picole sec depuis son licenciement »),
and is combined with the context rules, never alone: a problem the rules set aside
(negated, past, someone else, a false friend) is never brought back by the model, and a
problem it adds carries no quoted evidence but says where it comes from. Its P0 score
raises the danger when high and, lower, makes Maillage ask « Quelqu'un est-il en danger
maintenant ? ». Thresholds chosen on the tuning part; figures in ``docs/QUALITY.md``.

The model is stored as plain arrays (``data/reader_model.npz``: n-gram vocabularies, idf
weights, coefficients), never as a pickle, and applied with scikit-learn's vectorizers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from directory.text import fold

# Defaults when the model file names none (the training script chooses them out of fold).
PROBLEM_THRESHOLD = 0.5  # a problem the lexicon missed is added from this probability
DANGER_THRESHOLD = 0.6  # a danger now, from this probability of P0
ASK_THRESHOLD = 0.2  # from this probability of P0 the danger question is asked
CHAR_NGRAMS = (2, 5)
WORD_NGRAMS = (1, 2)
DANGER = "danger_immediat"


def vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """The two n-gram vectorizers (characters within words, words), unfitted."""
    return (TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2,
                            preprocessor=fold, dtype=np.float32),
            TfidfVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, sublinear_tf=True, min_df=1,
                            preprocessor=fold, dtype=np.float32))


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
    def danger_now(self) -> bool:
        """Probable enough that someone must call now."""
        return self.danger >= self.danger_threshold

    @property
    def danger_possible(self) -> bool:
        """Close enough to dangers to ask whether someone is in danger now."""
        return self.danger >= self.ask_threshold

    @property
    def danger(self) -> float:
        """Probability that someone must call an emergency number now."""
        return self.by_code.get(DANGER, 0.0)


class ProblemModel:
    """The trained model: ``scores(text)`` gives each problem's probability."""

    def __init__(self, codes: list[str], char: TfidfVectorizer, word: TfidfVectorizer,
                 coef: np.ndarray, intercept: np.ndarray, meta: dict):
        self.codes = codes
        self.char = char
        self.word = word
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)
        self.meta = meta
        # Transposed once, contiguous: a text's scores are two sparse × dense products.
        n_char = len(char.vocabulary_)
        self._char_coef = np.ascontiguousarray(self.coef[:, :n_char].T)
        self._word_coef = np.ascontiguousarray(self.coef[:, n_char:].T)

    def scores(self, text: str) -> Scores:
        """The probability of each problem code for a text."""
        logits = (self.char.transform([text]) @ self._char_coef + self.word.transform([text]) @ self._word_coef
                  + self.intercept)
        probabilities = 1.0 / (1.0 + np.exp(-np.asarray(logits).ravel()))
        return Scores(dict(zip(self.codes, (float(p) for p in probabilities), strict=True)),
                      self.meta.get("thresholds", {}), self.meta.get("danger_threshold", DANGER_THRESHOLD),
                      self.meta.get("ask_threshold", ASK_THRESHOLD))

    def save(self, path: Path) -> None:
        """Write the model as plain arrays (no pickle)."""
        np.savez_compressed(
            path, codes=np.array(self.codes), meta=np.array(json.dumps(self.meta, ensure_ascii=False)),
            char_terms=np.array(_terms(self.char)), char_idf=self.char.idf_.astype(np.float32),
            word_terms=np.array(_terms(self.word)), word_idf=self.word.idf_.astype(np.float32),
            coef=self.coef.astype(np.float16), intercept=self.intercept)


def _terms(vectorizer: TfidfVectorizer) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, index in vectorizer.vocabulary_.items():
        terms[index] = term
    return terms


def _fitted(vectorizer: TfidfVectorizer, terms, idf) -> TfidfVectorizer:
    vectorizer.vocabulary_ = {str(term): i for i, term in enumerate(terms)}
    vectorizer.idf_ = np.asarray(idf, dtype=np.float32)
    return vectorizer


def load_model(path: Path) -> ProblemModel | None:
    """The model of a file (None when the file is missing: the reader then works alone)."""
    if not Path(path).exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        char, word = vectorizers()
        return ProblemModel([str(c) for c in data["codes"]], _fitted(char, data["char_terms"], data["char_idf"]),
                            _fitted(word, data["word_terms"], data["word_idf"]), data["coef"].astype(np.float32),
                            data["intercept"], json.loads(str(data["meta"])))


@lru_cache(maxsize=1)
def bundled_model() -> ProblemModel | None:
    """The bundled model (``data/reader_model.npz``), loaded once."""
    from directory.paths import DATA_DIR

    return load_model(DATA_DIR / "reader_model.npz")
