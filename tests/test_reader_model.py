"""The reader's statistical model: trained on the tuning part only, on today's corpus,
stored without pickle, combined with the context rules."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bench.corpus import load_corpus
from reading.model import bundled_model, load_model

# Slow (the model checked against scikit-learn and its training corpus): run by .ci/run, not by the everyday command.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _training_script():
    spec = importlib.util.spec_from_file_location("train_reader_model", ROOT / "scripts" / "train_reader_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bundled_model_was_trained_on_todays_tuning_part():
    """A change to the tuning corpus without retraining fails here
    (``python scripts/train_reader_model.py``)."""
    script = _training_script()
    assert bundled_model().meta["fingerprint"] == script.fingerprint(script.tuning_texts())


def test_no_held_out_text_is_ever_learnt():
    script = _training_script()
    learnt = {t["text"] for t in script.tuning_texts()}
    held_out = load_corpus()["holdout"]
    assert held_out and not learnt & {t["text"] for t in held_out}
    assert {t["author"] for t in script.tuning_texts()} == {"A", "B", "C", "F", "G", "H", "I", "L"}


def test_at_least_40_percent_of_the_corpus_is_kept_aside_by_author():
    corpus = load_corpus()
    held_out, tuning = corpus["holdout"], corpus["tune"]
    assert len(held_out) >= 0.4 * (len(held_out) + len(tuning))
    assert not {t["author"] for t in held_out} & {t["author"] for t in tuning}


def test_the_model_file_holds_no_pickle():
    with np.load(ROOT / "data" / "reader_model.npz", allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)


def test_a_missing_model_file_leaves_the_lexicon_alone(tmp_path):
    assert load_model(tmp_path / "absent.npz") is None


@pytest.mark.parametrize(("text", "code"), [
    ("il picole sec depuis qu'il a perdu son boulot", "addiction_alcool"),
    ("elle a plus un rond pour payer le proprio depuis trois mois", "impayes_loyer"),
])
def test_the_model_reads_what_the_lexicon_has_no_phrase_for(text, code):
    assert code in bundled_model().scores(text).found()


def test_thresholds_were_chosen_out_of_fold_by_author():
    meta = bundled_model().meta
    assert "folds by author" in meta["threshold_choice"]
    assert set(meta["out_of_fold"]) == {"micro_precision", "micro_recall", "p0_recall", "false_p0_rate"}
    assert 0 < meta["ask_threshold"] < meta["danger_threshold"]


def test_the_server_side_n_grams_give_scikit_learns_probabilities():
    """The model is applied with numpy alone; scikit-learn's vectorizers, given the same
    vocabularies and idf, give the same probabilities."""
    from reading.model import vectorizers

    model = bundled_model()
    char, word = vectorizers()
    for vectorizer, terms, idf in ((char, model.char_terms, model.char_idf), (word, model.word_terms, model.word_idf)):
        vectorizer.vocabulary_ = {term: i for i, term in enumerate(terms)}
        vectorizer.idf_ = idf
    corpus = load_corpus()
    texts = [t["text"] for t in corpus["tune"][:60] + corpus["holdout"][:60]] + ["", "a", "ça va"]
    for text in texts:
        logits = (char.transform([text]) @ model.coef[:, :len(model.char_terms)].T
                  + word.transform([text]) @ model.coef[:, len(model.char_terms):].T + model.intercept)
        expected = 1 / (1 + np.exp(-np.asarray(logits).ravel()))
        assert np.allclose([model.scores(text).by_code[c] for c in model.codes], expected, atol=1e-4), text
