"""Several servers, one database: every node's search index follows the change feed.

Two applications here stand for two servers: same database, separate index folders (as on
two machines). What one saves, the other's search shows at its next search; its index
state is the last change it applied, never a hash of the data.
"""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from directory.changes import latest_change, pending_changes, record_changes
from directory.models import IndexChange
from directory.schema import validate_entry
from tests.factories import make_entry
from workspace import editing

EDITOR = "coord@example.org"


@pytest.fixture
def node_config(app_config, tmp_path):
    """Settings of a node: a file index of its own, no background thread (tests drive it)."""
    def config(name: str, **extra) -> dict:
        return {**app_config, "INDEX_IN_MEMORY": False, "INDEX_DIR": str(tmp_path / name / "index"),
                "INSTANCE_DIR": str(tmp_path / name), "INDEX_POLL_SECONDS": 0, **extra}
    return config


@pytest.fixture
def nodes(node_config):
    """Two nodes A and B on one database."""
    from app import create_app

    a = create_app(node_config("a"))
    b = create_app(node_config("b"))
    yield a, b
    for application in (a, b):
        application.extensions["maillage"].engine.dispose()


def _state(application):
    return application.extensions["maillage"]


def _search(application, **params) -> dict:
    response = application.test_client().get("/api/services", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _ids(application, **params) -> list[str]:
    return [r["id"] for r in _search(application, limit=50, **params)["results"]]


def _save(application, data: dict, expected: int | None) -> int:
    state = _state(application)
    entry, errors = validate_entry(data, state.reference)
    assert not errors
    return editing.save_entry(state.engine, state.sync, state.reference, entry, EDITOR, expected)


def _latest(application) -> int:
    with Session(_state(application).engine) as session:
        return latest_change(session)


def _version(application, service_id: str) -> int:
    return application.test_client().get(f"/api/services/{service_id}").get_json()["version"]


def test_a_creation_edit_and_closure_on_one_node_reach_the_other_nodes_search(nodes):
    a, b = nodes
    _save(a, make_entry(id="ccas-zephyrin", name="Guichet Zéphyrin"), None)
    assert _ids(b, q="zéphyrin") == ["ccas-zephyrin"]

    _save(a, make_entry(id="ccas-zephyrin", name="Guichet Barnabé"), _version(a, "ccas-zephyrin"))
    assert _ids(b, q="zéphyrin") == []  # a removed word no longer matches
    assert _ids(b, q="barnabé") == ["ccas-zephyrin"]

    state = _state(a)
    editing.set_closed(state.engine, state.sync, state.reference, "ccas-zephyrin", True, EDITOR,
                       _version(a, "ccas-zephyrin"))
    assert _ids(b, q="barnabé", status="illustrative") == []  # the status filter reads the new status
    assert _search(b, q="barnabé", status="closed")["results"][0]["status"] == "closed"
    assert _search(a, q="barnabé")["total"] == _search(b, q="barnabé")["total"]


def test_a_node_that_saved_its_own_edit_still_applies_the_others(nodes):
    """The old fingerprint bug: after B indexed its own change it claimed to hold A's too."""
    a, b = nodes
    _save(a, make_entry(id="ccas-one", name="Guichet Zéphyrin"), None)
    _save(b, make_entry(id="ccas-two", name="Guichet Barnabé"), None)
    _save(a, make_entry(id="ccas-three", name="Guichet Zéphyrin Trois"), None)
    assert sorted(_ids(b, q="zéphyrin")) == ["ccas-one", "ccas-three"]
    assert _ids(a, q="barnabé") == ["ccas-two"]
    assert _state(a).search.applied == _state(b).search.applied == _latest(a)


def test_a_restarted_node_applies_what_was_saved_while_it_was_down(nodes, node_config):
    from app import create_app

    a, b = nodes
    _state(b).engine.dispose()
    _save(a, make_entry(id="ccas-pendant", name="Guichet Zéphyrin"), None)
    restarted = create_app(node_config("b"))
    try:
        assert _state(restarted).search.applied == _latest(a)
        assert _ids(restarted, q="zéphyrin") == ["ccas-pendant"]
    finally:
        _state(restarted).engine.dispose()


def test_an_index_that_cannot_be_written_never_fails_a_saved_edit(nodes, monkeypatch):
    a, b = nodes
    state = _state(a)

    def broken(*_args, **_kwargs):
        raise TimeoutError("verrou d'écriture de l'index (60 s)")

    monkeypatch.setattr(state.search, "update", broken)
    version = _save(a, make_entry(id="ccas-sauve", name="Guichet Zéphyrin"), None)
    assert version == 1
    assert a.test_client().get("/api/services/ccas-sauve").status_code == 200  # saved
    health = a.test_client().get("/healthz").get_json()
    assert health["index"]["behind"] == 1 and health["index"]["stale"] is True
    answer = _search(a, q="zéphyrin")
    assert answer["index"]["stale"] is True and answer["results"] == []
    monkeypatch.undo()
    assert _ids(a, q="zéphyrin") == ["ccas-sauve"]  # the change stayed in the feed
    assert a.test_client().get("/healthz").get_json()["index"]["behind"] == 0
    assert _ids(b, q="zéphyrin") == ["ccas-sauve"]


def test_healthz_says_degraded_past_the_lag_threshold(node_config):
    from app import create_app

    application = create_app(node_config("a", INDEX_LAG_SECONDS=0))
    state = _state(application)
    try:
        assert application.test_client().get("/healthz").get_json()["status"] == "ok"
        with Session(state.engine) as session:  # a change saved by another node, not applied here
            record_changes(session, ["montjoie-csapa"])
            session.commit()
        body = application.test_client().get("/healthz").get_json()
        assert body["status"] == "degraded"
        assert body["index"]["behind"] == 1 and body["index"]["lag_seconds"] >= 0
    finally:
        state.engine.dispose()


def test_the_search_page_says_when_results_may_be_stale(nodes, monkeypatch):
    from tests.conftest import parse_html

    a, _ = nodes
    state = _state(a)
    assert parse_html(a.test_client().get("/annuaire?q=csapa")).find(id="index-stale") is None
    monkeypatch.setattr(state.search, "update", lambda *args: (_ for _ in ()).throw(OSError("disque plein")))
    _save(a, make_entry(id="ccas-sauve", name="Guichet Zéphyrin"), None)
    notice = parse_html(a.test_client().get("/annuaire?q=csapa")).find(id="index-stale")
    assert notice is not None and "pas encore prises en compte" in notice.get_text()


def test_a_bulk_load_is_one_rebuild_change_and_drops_older_ones(nodes, monkeypatch):
    import directory.changes
    from directory.storage import upsert_entries

    a, b = nodes
    state = _state(a)
    _save(a, make_entry(id="ccas-avant", name="Guichet Zéphyrin"), None)
    monkeypatch.setattr(directory.changes, "BULK_CHANGE_THRESHOLD", 2)
    entries = [validate_entry(make_entry(id=f"ccas-lot-{n}", name=f"Guichet Barnabé {n}"), state.reference)[0]
               for n in range(3)]
    upsert_entries(state.engine, entries, state.reference)
    with Session(state.engine) as session:
        rows = list(session.exec(select(IndexChange)))
        assert [row.service_id for row in rows] == [None]
        assert pending_changes(session, 0).rebuild
    assert len(_ids(b, q="barnabé")) == 3 and _ids(b, q="zéphyrin") == ["ccas-avant"]


def test_an_index_of_another_database_is_rebuilt_not_trusted(node_config, tmp_path):
    """Same change numbers, another feed: the feed's origin token tells them apart."""
    from app import create_app
    from tests.conftest import TEST_DATABASE_URL

    if TEST_DATABASE_URL:
        pytest.skip("one PostgreSQL test database: the second database is a SQLite file")
    index_dir = tmp_path / "a" / "index"
    first = create_app(node_config("a"))
    _state(first).engine.dispose()
    basis, segments = (index_dir / "basis.txt").read_text(), {f.name for f in index_dir.rglob("*.trm")}
    assert segments, "no segment found: the test would prove nothing"
    other = create_app(node_config("a", DATABASE_URL=f"sqlite:///{tmp_path / 'other.db'}"))
    _state(other).engine.dispose()
    assert (index_dir / "basis.txt").read_text() != basis
    assert segments.isdisjoint(f.name for f in index_dir.rglob("*.trm"))


@pytest.mark.postgres
def test_feed_ids_grow_in_commit_order_on_postgresql(app):
    """A writer that appends after another waits for its commit: no node can read id n+1
    before id n is committed, so none skips a change."""
    from tests.conftest import TEST_DATABASE_URL

    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL only (SQLite has one writer at a time)")
    engine = _state(app).engine
    first = Session(engine)
    record_changes(first, ["first"])
    done = threading.Event()

    def second_writer():
        with Session(engine) as session:
            record_changes(session, ["second"])
            session.commit()
        done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert not done.wait(0.5), "the second writer appended while the first held the feed"
    first.commit()
    first.close()
    thread.join(10)
    with Session(engine) as session:
        order = [row.service_id for row in session.exec(select(IndexChange).order_by(IndexChange.id))]
    assert order[-2:] == ["first", "second"]


def test_a_feed_that_went_back_means_a_rebuild(nodes):
    """A database restored from an older backup: the node's index is newer than the feed."""
    a, _ = nodes
    state = _state(a)
    state.search.set_applied(_latest(a) + 50)
    assert _ids(a, q="csapa")  # the search still answers…
    assert state.search.applied == _latest(a)  # …from an index rebuilt for this feed
    with Session(state.engine) as session:
        assert pending_changes(session, _latest(a) + 1).rebuild


def test_a_commit_that_fails_half_way_releases_the_index_lock(nodes, monkeypatch):
    """A full disk at commit: the write lock is released, so the next write and the search
    catching up do not wait for the writer timeout (60 s)."""
    import time

    from whoosh.writing import SegmentWriter

    a, _ = nodes
    real_commit = SegmentWriter.commit

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SegmentWriter, "commit", full_disk)
    _save(a, make_entry(id="ccas-sauve", name="Guichet Zéphyrin"), None)
    assert _search(a, q="zéphyrin")["index"]["stale"] is True
    monkeypatch.setattr(SegmentWriter, "commit", real_commit)
    started = time.monotonic()
    assert _ids(a, q="zéphyrin") == ["ccas-sauve"]
    assert time.monotonic() - started < 5


def test_a_search_does_not_retry_a_failing_index_while_the_background_thread_does(nodes, monkeypatch):
    import time

    a, _ = nodes
    sync = _state(a).sync
    monkeypatch.setattr(type(sync), "background_running", property(lambda self: True))
    calls = []

    def slow_and_broken(*_args, **_kwargs):
        calls.append(1)
        time.sleep(0.3)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_state(a).search, "update", slow_and_broken)
    _save(a, make_entry(id="ccas-sauve", name="Guichet Zéphyrin"), None)
    tried = len(calls)
    started = time.monotonic()
    for _ in range(3):
        assert _search(a, q="csapa")["index"]["stale"] is True
    assert len(calls) == tried  # the searches answered from the last good state
    assert time.monotonic() - started < 3
