"""Train the reader's statistical model (``data/reader_model.npz``) on the TUNING part of the
labelled corpus only (the authors of ``tests/cases/corpus/`` not held out, and the ``tune`` texts of
``tests/cases/detection_labelled.yaml``); the held-out authors are never read here.

    python scripts/train_reader_model.py

One logistic regression per problem code (and P0 through ``danger_immediat``) over
character and word n-grams, classes balanced. The thresholds are chosen on out-of-fold
probabilities with the folds split BY AUTHOR (each fold a writer the model has not read):
for each problem, the threshold that gives the best F1 of the lexicon and the model together;
for the danger question, the highest threshold at which every P0 text of the tuning part is
either read P0 or asked about. Deterministic: the same corpus gives the same file.
``tests/test_reader_model.py`` checks that the bundled model was trained on today's
tuning part.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import hstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import load_corpus  # noqa: E402
from directory.paths import DATA_DIR  # noqa: E402
from directory.reference import load_reference  # noqa: E402
from reading.combined import NEAR_MISS  # noqa: E402
from reading.model import DANGER, DANGER_THRESHOLD, ProblemModel, terms_of, vectorizers  # noqa: E402
from reading.reader import Reader, reader_rules  # noqa: E402

REGULARISATION = 10.0
CANDIDATE_THRESHOLDS = np.round(np.arange(0.2, 0.86, 0.05), 2)
ASK_RECALL = 0.995  # share of the tuning part's P0 texts read P0 or asked about, out of fold (at most 1 in 200 missed)


def tuning_texts() -> list[dict]:
    """The texts the model may learn from: the tuning part only, each with its author."""
    labelled = yaml.safe_load((ROOT / "tests" / "cases" / "detection_labelled.yaml").read_text(encoding="utf-8"))
    return load_corpus()["tune"] + [dict(t, author="L") for t in labelled["texts"] if t["split"] == "tune"]


def _fit(texts: list[str], labels: np.ndarray):
    char, word = vectorizers()
    features = hstack([char.fit_transform(texts), word.fit_transform(texts)]).tocsr()
    coef, intercept = [], []
    for column in labels.T:
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
        model.fit(features, column)
        coef.append(model.coef_[0])
        intercept.append(model.intercept_[0])
    return char, word, np.vstack(coef), np.array(intercept)


def _probabilities(char, word, coef, intercept, texts: list[str]) -> np.ndarray:
    features = hstack([char.transform(texts), word.transform(texts)]).tocsr()
    return 1.0 / (1.0 + np.exp(-(features @ coef.T + intercept)))


OUT_OF_FOLD: dict = {}


def _record_out_of_fold(readings, out_of_fold, labels, codes, thresholds) -> None:
    """Scores of the lexicon and model together, out of fold by author: the tuning part's
    honest figures (in-sample figures of a trained model say nothing)."""
    danger_column = codes.index(DANGER)
    tp = fp = fn = 0
    for i, reading in enumerate(readings):
        aside = {item.code for item in reading.ignored if item.category not in ("weak", NEAR_MISS)}
        for j, code in enumerate(codes):
            if code == DANGER:
                found = bool(reading.dangers) or out_of_fold[i, j] >= DANGER_THRESHOLD
            else:
                found = code in reading.problem_codes or (out_of_fold[i, j] >= thresholds[code] and code not in aside)
            tp += found and labels[i, j]
            fp += found and not labels[i, j]
            fn += (not found) and labels[i, j]
    p0 = labels[:, danger_column]
    read_p0 = np.array([bool(r.dangers) for r in readings]) | (out_of_fold[:, danger_column] >= DANGER_THRESHOLD)
    OUT_OF_FOLD.update({"micro_precision": round(float(tp / (tp + fp)), 3),
                        "micro_recall": round(float(tp / (tp + fn)), 3),
                        "p0_recall": round(float(read_p0[p0].mean()), 3),
                        "false_p0_rate": round(float(read_p0[~p0].mean()), 3)})


def _thresholds(texts: list[dict], labels: np.ndarray, codes: list[str]) -> tuple[dict, float]:
    """Per-problem thresholds and the question's threshold, from out-of-fold probabilities
    (folds by author) combined with what the lexicon alone reads."""
    raw = [t["text"] for t in texts]
    out_of_fold = np.zeros(labels.shape)
    for train, test in GroupKFold(n_splits=4).split(raw, groups=[t["author"] for t in texts]):
        fitted = _fit([raw[i] for i in train], labels[train])
        out_of_fold[test] = _probabilities(*fitted, [raw[i] for i in test])
    lexicon = Reader(load_reference(DATA_DIR).taxonomy, reader_rules(), model=False)
    readings = [lexicon.read(text) for text in raw]
    thresholds = {}
    for j, code in enumerate(codes):
        if code == DANGER:
            continue
        read = np.array([code in r.problem_codes for r in readings])
        aside = np.array([any(i.code == code and i.category not in ("weak", NEAR_MISS) for i in r.ignored)
                          for r in readings])
        scores = []
        for threshold in CANDIDATE_THRESHOLDS:
            found = read | ((out_of_fold[:, j] >= threshold) & ~aside)
            tp, fp = (found & labels[:, j]).sum(), (found & ~labels[:, j]).sum()
            fn = (~found & labels[:, j]).sum()
            scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        thresholds[code] = float(CANDIDATE_THRESHOLDS[int(np.argmax(scores))])
    _record_out_of_fold(readings, out_of_fold, labels, codes, thresholds)
    danger = out_of_fold[:, codes.index(DANGER)]
    read_p0 = np.array([bool(r.dangers) or bool(r.possible_dangers) for r in readings])
    p0 = labels[:, codes.index(DANGER)]
    ask = 0.05
    for threshold in sorted(CANDIDATE_THRESHOLDS.tolist() + [0.05, 0.1, 0.15], reverse=True):
        covered = (read_p0 | (danger >= threshold))[p0].mean()
        if covered >= ASK_RECALL:
            ask = float(threshold)
            break
    return thresholds, ask


def fingerprint(texts: list[dict]) -> str:
    """A digest of the training texts and labels (to tell a stale model)."""
    digest = hashlib.sha256()
    for item in texts:
        digest.update(json.dumps([item["text"], sorted(item["problems"]), bool(item["p0"])],
                                 ensure_ascii=False).encode())
    return digest.hexdigest()


def train() -> ProblemModel:
    """Fit the model on the tuning texts and choose its thresholds out of fold."""
    texts = tuning_texts()
    codes = list(load_reference(DATA_DIR).taxonomy.problems)
    labels = np.array([[code in t["problems"] or (code == DANGER and t["p0"]) for code in codes] for t in texts])
    char, word, coef, intercept = _fit([t["text"] for t in texts], labels)
    thresholds, ask = _thresholds(texts, labels, codes)
    meta = {"trained_on": "tuning part: every corpus author but the held-out ones, and detection_labelled tune",
            "texts": len(texts), "fingerprint": fingerprint(texts), "C": REGULARISATION,
            "thresholds": thresholds, "danger_threshold": DANGER_THRESHOLD, "ask_threshold": ask,
            "out_of_fold": dict(OUT_OF_FOLD),
            "threshold_choice": "out of fold, folds by author: best F1 with the lexicon per problem; "
                                f"question: every tuning P0 read or asked ({ASK_RECALL:.0%})"}
    return ProblemModel(codes, terms_of(char), char.idf_, terms_of(word), word.idf_, coef, intercept, meta)


def main() -> None:
    """Train and write ``data/reader_model.npz``."""
    model = train()
    path = DATA_DIR / "reader_model.npz"
    model.save(path)
    print(f"{path.name}: {model.meta['texts']} texts, {model.coef.shape[1]} features, "
          f"{path.stat().st_size // 1024} KB, question from {model.meta['ask_threshold']}, "
          f"out of fold: {model.meta['out_of_fold']}")


if __name__ == "__main__":
    main()
