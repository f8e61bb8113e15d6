"""Two real servers on one PostgreSQL: ``maillage serve`` twice, separate instance folders
(as on two machines). What is saved through A shows in B's search within seconds, with
no restart; also after B saved something itself, and after B restarted."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from bench.nodes import api_token, start_node
from tests.conftest import TEST_DATABASE_URL, fresh_database_url
from tests.factories import make_entry

pytestmark = pytest.mark.postgres

PROPAGATION_LIMIT_S = 5.0


@pytest.fixture
def cluster(tmp_path):
    """Nodes A and B on the test PostgreSQL, and a coordinator's token."""
    if not TEST_DATABASE_URL:
        pytest.skip("several servers share a PostgreSQL (set MAILLAGE_TEST_DATABASE_URL)")
    url = fresh_database_url(tmp_path)
    started = []

    def start(name: str):
        node = start_node(name, tmp_path / name, url, workers=2, threads=4, poll_seconds=1.0)
        started.append(node)
        node.wait_ready()
        return node

    a = start("a")  # seeds the empty database
    b = start("b")
    token = api_token(url)
    yield {"a": a, "b": b, "start": start, "auth": {"Authorization": f"Bearer {token}"}}
    for node in started:
        errors = node.stop()
        assert "Traceback" not in errors, errors


def _until(check, limit: float = PROPAGATION_LIMIT_S):
    """Poll ``check`` until it returns a truthy value; return (value, seconds taken)."""
    started = time.monotonic()
    while True:
        value = check()
        if value:
            return value, time.monotonic() - started
        if time.monotonic() - started > limit:
            pytest.fail(f"not visible within {limit} s")
        time.sleep(0.05)


def _search(node, query: str, **params) -> dict:
    return node.get("/api/services?" + urlencode({"q": query, "limit": 50, **params}))


def _ids(node, query: str, **params) -> list[str]:
    return [r["id"] for r in _search(node, query, **params)["results"]]


def _caught_up(node) -> bool:
    index = node.get("/healthz")["index"]
    return index["behind"] == 0 and index


def _write(node, auth, method, path, body=None, version=None):
    headers = {**auth, **({"If-Match": f'"{version}"'} if version is not None else {})}
    status, answer, _ = node.request(method, path, body, headers)
    assert status in (200, 201), answer
    return answer


def test_changes_through_one_server_reach_the_others_search(cluster):
    a, b, auth = cluster["a"], cluster["b"], cluster["auth"]

    created = _write(a, auth, "POST", "/api/services", make_entry(id="ccas-zephyrin", name="Guichet Zéphyrin"))
    # B's background thread applies it without any search (NOTIFY, else polling)…
    _until(lambda: _caught_up(b))
    # …and B's search shows it.
    assert _ids(b, "zéphyrin") == ["ccas-zephyrin"]

    edited = _write(a, auth, "PUT", "/api/services/ccas-zephyrin",
                    make_entry(id="ccas-zephyrin", name="Guichet Barnabé"), created["version"])
    _until(lambda: _ids(b, "barnabé") == ["ccas-zephyrin"])
    assert _ids(b, "zéphyrin") == []
    assert b.get("/api/services/ccas-zephyrin")["name"] == "Guichet Barnabé"

    _write(a, auth, "DELETE", "/api/services/ccas-zephyrin", version=edited["version"])
    _until(lambda: _ids(b, "barnabé", status="illustrative") == [])
    found = _search(b, "barnabé")["results"]
    assert [r["status"] for r in found] == ["closed"] == [b.get("/api/services/ccas-zephyrin")["status"]]
    # Totals agree between nodes (paging behind a load balancer).
    assert _search(a, "guichet")["total"] == _search(b, "guichet")["total"]


def test_a_server_that_saved_its_own_edit_and_restarted_still_follows(cluster):
    a, b, auth, start = cluster["a"], cluster["b"], cluster["auth"], cluster["start"]
    _write(b, auth, "POST", "/api/services", make_entry(id="ccas-de-b", name="Guichet Barnabé"))
    _write(a, auth, "POST", "/api/services", make_entry(id="ccas-de-a", name="Guichet Zéphyrin"))
    _until(lambda: _ids(b, "zéphyrin") == ["ccas-de-a"])
    _until(lambda: _ids(a, "barnabé") == ["ccas-de-b"])

    # B stops; A saves meanwhile; B restarts from its own folder and catches up.
    errors = b.stop()
    assert "Traceback" not in errors, errors
    _write(a, auth, "POST", "/api/services", make_entry(id="ccas-pendant", name="Guichet Hortense"))
    restarted = start("b")
    assert _ids(restarted, "hortense") == ["ccas-pendant"]
    health = restarted.get("/healthz")
    assert health["status"] == "ok" and health["index"]["behind"] == 0
    assert health["index"]["applied_change"] == a.get("/healthz")["index"]["latest_change"]

    # And goes on following A without a restart.
    _write(a, auth, "POST", "/api/services", make_entry(id="ccas-apres", name="Guichet Philibert"))
    _, seconds = _until(lambda: _caught_up(restarted))
    assert _ids(restarted, "philibert") == ["ccas-apres"]
    assert seconds < PROPAGATION_LIMIT_S
