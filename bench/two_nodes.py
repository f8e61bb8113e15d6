"""Two servers on one PostgreSQL under load: throughput, and how long an edit saved on
one takes to reach the other.

``python -m bench.load --nodes 2 --database-url postgresql://…`` starts two ``maillage
serve`` (separate instance folders, as on two machines), sends the usual request mix to
both (alternating, as a load balancer would), and meanwhile renames one service through
A every half second. For each edit it measures, on B:

- ``applied``: until B's ``/healthz`` says its index holds the change (B's background
  thread, woken by NOTIFY, or a search on B that caught up first);
- ``searchable``: until B's search for the new name finds it.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench.nodes import api_token, bundled_entry, start_node

EDITED = "ccas-propagation"
WORDS = ["Zéphyrin", "Barnabé", "Hortense", "Philibert", "Séraphine", "Anatole", "Clémence", "Eulalie"]


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {"count": len(ordered), "median_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


def _wait(check, limit: float = 30.0) -> float | None:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if check():
            return time.perf_counter() - started
        time.sleep(0.01)
    return None


def _editor(a, b, auth: dict, deadline: float, applied: list, searchable: list, missed: list) -> None:
    status, body, _ = a.request("POST", "/api/services", bundled_entry(EDITED, "Guichet initial"), auth)
    version = body["version"] if status == 201 else a.get(f"/api/services/{EDITED}")["version"]
    rng = random.Random(13)
    round_number = 0
    while time.perf_counter() < deadline:
        round_number += 1
        word = f"{rng.choice(WORDS)}{round_number}"
        status, body, _ = a.request("PUT", f"/api/services/{EDITED}", bundled_entry(EDITED, f"Guichet {word}"),
                                    {**auth, "If-Match": f'"{version}"'})
        if status != 200:
            missed.append(status)
            continue
        version = body["version"]
        change = a.get("/healthz")["index"]["latest_change"]
        seconds = _wait(lambda change=change: b.get("/healthz")["index"]["applied_change"] >= change)
        (applied.append(seconds) if seconds is not None else missed.append("applied"))
        path = "/api/services?" + urllib.parse.urlencode({"q": word})
        seconds = _wait(lambda path=path: any(r["id"] == EDITED for r in b.get(path)["results"]))
        (searchable.append(seconds) if seconds is not None else missed.append("searchable"))
        time.sleep(0.5)


def run_two_nodes(seconds: float, clients: int, database_url: str, threads: int, workers: int, load) -> dict:
    """Run the two-node case; ``load`` is ``bench.load``'s client loop (same mix)."""
    with tempfile.TemporaryDirectory() as tmp:
        a = start_node("a", Path(tmp) / "a", database_url, workers, threads, poll_seconds=2.0)
        try:
            a.wait_ready()
            b = start_node("b", Path(tmp) / "b", database_url, workers, threads, poll_seconds=2.0)
            try:
                b.wait_ready()
                auth = {"Authorization": f"Bearer {api_token(database_url, 'bench@example.org')}"}
                applied, searchable, missed = [], [], []
                deadline = time.perf_counter() + seconds
                editor = threading.Thread(target=_editor, args=(a, b, auth, deadline, applied, searchable, missed))
                editor.start()
                bases = [f"http://127.0.0.1:{node.port}" for node in (a, b)]
                report = load(bases, seconds, clients)
                editor.join(seconds + 60)
            finally:
                b_errors = b.stop()
        finally:
            a_errors = a.stop()
    report.update({"nodes": 2, "edits": len(applied), "missed": missed,
                   "propagation_applied": _percentiles(applied), "propagation_searchable": _percentiles(searchable),
                   "tracebacks": ("Traceback" in a_errors) + ("Traceback" in b_errors)})
    return report
