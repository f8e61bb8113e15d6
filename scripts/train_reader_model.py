"""Train the reader's statistical model (``data/reader_model.npz``) on the TUNING part of the
labelled corpus only (authors A, B, C of ``tests/cases/corpus/`` and the ``tune`` texts of
``tests/cases/detection_labelled.yaml``); the held-out authors are never read here.

    python scripts/train_reader_model.py

One logistic regression per problem code (and P0 through ``danger_immediat``) over
character and word n-grams, classes balanced. Deterministic: the same corpus gives the
same file. ``tests/test_reader_model.py`` checks that the bundled model was trained on
today's tuning part.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import load_corpus  # noqa: E402
from directory.paths import DATA_DIR  # noqa: E402
from directory.reference import load_reference  # noqa: E402
from reading.model import ProblemModel, vectorizers  # noqa: E402

REGULARISATION = 10.0


def tuning_texts() -> list[dict]:
    """The texts the model may learn from: the tuning part only."""
    labelled = yaml.safe_load((ROOT / "tests" / "cases" / "detection_labelled.yaml").read_text(encoding="utf-8"))
    return load_corpus()["tune"] + [t for t in labelled["texts"] if t["split"] == "tune"]


def fingerprint(texts: list[dict]) -> str:
    """A digest of the training texts and labels (to tell a stale model)."""
    digest = hashlib.sha256()
    for item in texts:
        digest.update(json.dumps([item["text"], sorted(item["problems"]), bool(item["p0"])],
                                 ensure_ascii=False).encode())
    return digest.hexdigest()


def train() -> ProblemModel:
    """Fit the model on the tuning texts."""
    texts = tuning_texts()
    codes = list(load_reference(DATA_DIR).taxonomy.problems)
    char, word = vectorizers()
    raw = [t["text"] for t in texts]
    features = hstack([char.fit_transform(raw), word.fit_transform(raw)]).tocsr()
    coef, intercept = [], []
    for code in codes:
        labels = np.array([code in t["problems"] or (code == "danger_immediat" and t["p0"]) for t in texts])
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
        model.fit(features, labels)
        coef.append(model.coef_[0])
        intercept.append(model.intercept_[0])
    meta = {"trained_on": "tuning part: corpus authors A, B, C and detection_labelled tune",
            "texts": len(texts), "fingerprint": fingerprint(texts), "C": REGULARISATION}
    return ProblemModel(codes, char, word, np.vstack(coef), np.array(intercept), meta)


def main() -> None:
    """Train and write ``data/reader_model.npz``."""
    model = train()
    path = DATA_DIR / "reader_model.npz"
    model.save(path)
    print(f"{path.name}: {model.meta['texts']} texts, {model.coef.shape[1]} features, "
          f"{path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
