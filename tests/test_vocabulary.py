"""Lay vocabulary: free text → problem codes, service types and danger signals."""

import pytest

from directory.vocabulary import detect_problems, tokenize, vocabulary_for


@pytest.fixture(scope="module")
def vocabulary(reference):
    return vocabulary_for(reference.taxonomy)


def test_tokenize_splits_apostrophes_folds_accents_and_repeats():
    # Runs of three letters or more collapse to one; typo tolerance covers "alcol".
    assert tokenize("L'alcoool, ça pue d'biiizarre") == ["l", "alcol", "ca", "pue", "d", "bizarre"]


@pytest.mark.parametrize(("text", "code"), [
    ("il boit", "addiction_alcool"),
    ("alcolique", "addiction_alcool"),          # typo + stigmatising word
    ("impayés", "impayes_loyer"),
    ("impayes", "impayes_loyer"),
    ("impayé", "impayes_loyer"),
    ("loyer pas payé", "impayes_loyer"),
    ("courrier qui déborde", "isolement_repli"),
    ("seringues dans l'escalier", "addiction_drogues"),
    ("femme battue", "violences_intrafamiliales"),
    ("violance conjugale", "violences_intrafamiliales"),
    ("sa pu", "incurie"),                       # SMS spelling
    ("dit que les voisins l'espionnent", "troubles_psychiques_suspectes"),
    ("n'ouvre pas la porte", "refus_de_contact"),
    ("dort dans sa voiture", "sans_solution_logement"),
])
def test_detect_problems_finds_the_code(text, code):
    assert code in dict(detect_problems(text))


@pytest.mark.parametrize(("text", "absent"), [
    ("il n'a pas pu payer", "incurie"),         # "pu" alone is not the SMS "sa pu"
    ("il respire", "danger_immediat"),          # negation kept: "ne respire plus"
    ("volets fermés", "troubles_psychiques_suspectes"),
    ("insulte les voisins", "violences_intrafamiliales"),  # the longer phrase wins
])
def test_detect_problems_avoids_false_alarms(text, absent):
    assert absent not in dict(detect_problems(text))


@pytest.mark.parametrize("word", ["fou", "parano", "schizo", "alcoolo", "toxico", "clodo"])
def test_stigmatising_words_are_matched_but_never_echoed(word):
    detected = detect_problems(f"il est {word}")
    assert detected, word
    for _code, matched in detected:
        assert all(word not in phrase for phrase in matched)


def test_detected_words_come_from_the_vocabulary(reference):
    detected = dict(detect_problems("il boit et tombe dans l'escalier", reference.taxonomy))
    assert detected["addiction_alcool"] == ["boit", "tombe dans l'escalier"]


@pytest.mark.parametrize(("text", "nature"), [
    ("il la menace avec un couteau", "violence"),
    ("odeur de gaz dans la cage d'escalier", "fire"),
    ("il dit qu'il va se foutre en l'air ce soir, il a des cachets", "medical"),
    ("volets fermés depuis 2 semaines, courrier qui déborde, odeur bizarre", "levee_de_doute"),
])
def test_danger_words_are_detected(vocabulary, text, nature):
    assert nature in dict(vocabulary.detect_dangers(text))


@pytest.mark.parametrize("text", ["idées noires", "volets fermés", "détecteur de fumée arraché",
                                  "dit que les voisins envoient du gaz"])
def test_no_danger_without_its_conditions(vocabulary, text):
    assert vocabulary.detect_dangers(text) == []


def test_named_types_are_recognised(vocabulary):
    assert "pension_de_famille" in dict(vocabulary.detect_types("maison relai"))
    assert "siao" in dict(vocabulary.detect_types("115"))


@pytest.mark.parametrize(("text", "absent"), [
    ("les petits pleurent", "troubles_voisinage"),            # "petits" is not "pétition"
    ("seringues dans la cage d'escalier", "sans_solution_logement"),
    ("la voisine ne répond pas", "troubles_psychiques_suspectes"),  # key word missing
])
def test_derived_words_and_missing_key_words_do_not_match(text, absent):
    assert absent not in dict(detect_problems(text))


def test_variants_of_one_sign_count_once(vocabulary):
    assert vocabulary.detect_dangers("on ne la voit plus") == []


@pytest.mark.parametrize("text", ["n'ouvre plus à personne", "ouvre pa"])
def test_refusal_of_contact_in_lay_and_sms_words(text):
    assert "refus_de_contact" in dict(detect_problems(text))


@pytest.mark.parametrize(("text", "absent", "present"), [
    ("il ne boit pas", "addiction_alcool", None),
    ("elle ne se drogue plus", "addiction_drogues", None),
    ("il ne sort plus", None, "isolement_repli"),          # the lay phrase is itself negative
    ("n'ouvre pas la porte", None, "refus_de_contact"),
])
def test_negation_cancels_a_positive_sign(text, absent, present):
    detected = dict(detect_problems(text))
    if absent:
        assert absent not in detected
    if present:
        assert present in detected


def test_stemming_is_safe_from_several_threads():
    """Found by the load test: a shared Snowball stemmer breaks under concurrent requests."""
    import threading

    from directory.vocabulary import stem

    words = [f"{prefix}{suffix}" for prefix in ("impay", "alcool", "violen", "exclu", "surendet", "hébergé")
             for suffix in ("é", "és", "ée", "ement", "ements", "ions", "aient", "erait", "ique", "iques")]
    stem.cache_clear()
    expected = {w: stem(w) for w in words}
    failures = []

    def work(seed):
        for _ in range(200):
            stem.cache_clear()
            for word in words[seed % 7:] + words[:seed % 7]:
                try:
                    if stem(word) != expected[word]:
                        failures.append(word)
                except Exception as error:  # noqa: BLE001 - any crash is a failure here
                    failures.append(repr(error))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
