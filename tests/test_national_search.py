"""A search without a commune is ranked over arrays (``search.backend.columns``,
``search.answer.select_national``): it must give exactly the answer whoosh's hit-by-hit
path gives (same services, order, scores, totals, facets), and see every change."""

import pytest
import yaml
from sqlmodel import Session

from bench.synthetic import generate
from search.backend import SearchIndex
from search.finder import SearchParams, search_directory
from tests.factories import load_entries, make_entry

# Slow (fault, bench and national-size tests): run by .ci/run, not by the everyday command.
pytestmark = pytest.mark.slow

CASES = ["lay_queries_public.yaml", "lay_queries_own.yaml"]


def _queries() -> list[str]:
    from bench.queries import CASES as FOLDER

    texts = [case["q"] for name in CASES for case in yaml.safe_load((FOLDER / name).read_text(encoding="utf-8"))]
    return [*texts, "", "csapa", "mairie", "aide"]


VARIANTS = [{"offset": 10}, {"types": ["ccas"]}, {"domains": ["sante"], "statuses": ["illustrative", "to_verify"]},
            {"problems": ["addiction_alcool"]}, {"limit": 50}]


def _both(state, session, params: SearchParams, monkeypatch) -> tuple[dict, dict]:
    """The answer through the columns, then through whoosh alone."""
    columnar = search_directory(session, state.search, state.reference, params, answer_types=state.rank_types)
    with monkeypatch.context() as patch:
        patch.setattr(state.search, "national", lambda request: None)
        hit_by_hit = search_directory(session, state.search, state.reference, params, answer_types=state.rank_types)
    return columnar, hit_by_hit


def _same(columnar: dict, hit_by_hit: dict) -> None:
    assert [(r["id"], r["score"]) for r in columnar["results"]] == \
        [(r["id"], r["score"]) for r in hit_by_hit["results"]]
    assert columnar["total"] == hit_by_hit["total"]
    assert columnar["facets"] == hit_by_hit["facets"]


@pytest.fixture(scope="module")
def synthetic_app(shared_app, tmp_path_factory):
    """The bundled directory plus 600 synthetic services over every département (several
    partitions, services of two départements, many ties)."""
    file = tmp_path_factory.mktemp("synthetic") / "synthetic.yaml"
    state = shared_app.extensions["maillage"]
    file.write_text(yaml.safe_dump({"services": list(generate(state.reference, 600))}, allow_unicode=True),
                    encoding="utf-8")
    result = shared_app.test_cli_runner().invoke(args=["load", str(file)])
    assert result.exit_code == 0, result.output
    return shared_app


@pytest.mark.parametrize("text", _queries())
def test_the_columnar_answer_is_whoosh_answer(synthetic_app, text, monkeypatch):
    state = synthetic_app.extensions["maillage"]
    with Session(state.engine) as session:
        for variant in VARIANTS:
            columnar, hit_by_hit = _both(state, session, SearchParams(q=text, **variant), monkeypatch)
            _same(columnar, hit_by_hit)


def test_the_columns_are_used_for_a_search_without_commune(synthetic_app, monkeypatch):
    state = synthetic_app.extensions["maillage"]
    monkeypatch.setattr(state.search, "query", lambda request: pytest.fail("whoosh read hit by hit"))
    with Session(state.engine) as session:
        body = search_directory(session, state.search, state.reference, SearchParams(q="il boit"),
                                answer_types=state.rank_types)
    assert body["total"] > 10 and body["results"]


def test_words_matching_almost_nothing_still_get_spelling_tolerance(synthetic_app):
    state = synthetic_app.extensions["maillage"]
    with Session(state.engine) as session:
        body = search_directory(session, state.search, state.reference, SearchParams(q="pension de famile"),
                                answer_types=state.rank_types)
    assert body["results"]


def _national_ids(state, **params) -> list[str]:
    with Session(state.engine) as session:
        body = search_directory(session, state.search, state.reference, SearchParams(limit=100, **params))
    return [r["id"] for r in body["results"]]


def test_the_columns_follow_edits_closures_and_moves(app, runner, tmp_path, state):
    entry = make_entry(id="guichet-zephyrin", name="Guichet Zéphyrin", site__commune="72181", zone=["72181"])
    assert _national_ids(state, q="zéphyrin") == []
    load_entries(runner, tmp_path, entry)
    assert _national_ids(state, q="zéphyrin") == ["guichet-zephyrin"]
    load_entries(runner, tmp_path, {**entry, "name": "Guichet Aubépine"})
    assert _national_ids(state, q="zéphyrin") == []
    assert _national_ids(state, q="aubépine") == ["guichet-zephyrin"]
    load_entries(runner, tmp_path, {**entry, "name": "Guichet Aubépine", "status": "closed"})
    assert _national_ids(state, q="aubépine", statuses=["active"]) == []
    assert _national_ids(state, q="aubépine", statuses=["closed"]) == ["guichet-zephyrin"]


def test_a_change_written_by_another_process_is_seen(app, runner, tmp_path, state):
    """Two server processes of one machine share the index folder: the one that did not
    write sees the change through whoosh's generation, not through its own caches."""
    from search.maintenance import rebuild_index, reindex_services
    folder = tmp_path / "shared-index"
    reader, writer = SearchIndex.open(folder), None
    with Session(state.engine) as session:
        rebuild_index(session, reader, state.reference, processes=1)
        reader.warm()
        request_ids = _ids_through(reader, state, session, "zéphyrin")
        assert request_ids == []
        load_entries(runner, tmp_path, make_entry(id="guichet-zephyrin", name="Guichet Zéphyrin",
                                           site__commune="72181", zone=["72181"]))
        writer = SearchIndex.open(folder)
        reindex_services(session, writer, state.reference, ["guichet-zephyrin"])
        assert _ids_through(reader, state, session, "zéphyrin") == ["guichet-zephyrin"]


def _ids_through(index, state, session, text: str) -> list[str]:
    body = search_directory(session, index, state.reference, SearchParams(q=text))
    return [r["id"] for r in body["results"]]
