"""The review queue with a national import waiting: ``python -m bench.review_queue
[--proposals 100000]`` fills a fresh application (SQLite in a temporary folder) with that
many pending proposals, then times the first page of ``/coordination/propositions`` and
its size, as a coordinator opens it. Prints JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

PASSWORD = "file de revue nationale, essai de charge"


def measure(count: int, rounds: int = 5) -> dict:
    """Median and worst time of the first page, and its size in KB."""
    from app import create_app
    from workspace.accounts import create_user
    from workspace.models import StoredProposal

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"ENV": "testing", "INSTANCE_DIR": str(Path(tmp) / "instance"), "INDEX_IN_MEMORY": True,
                          "WTF_CSRF_ENABLED": False})
        engine = app.extensions["maillage"].engine
        rows = [{"fingerprint": f"fp-{n}", "batch": "bench", "kind": "new", "service_id": f"nouvelle-{n}",
                 "source": "finess", "source_id": f"finess:{n}", "source_label": "FINESS (data.gouv)",
                 "source_date": dt.date(2026, 10, 1), "match": None, "changes": {}, "status": "pending",
                 "decisions": {}, "created_at": dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
                 "entry": {"id": f"nouvelle-{n}", "name": f"Établissement {n}", "types": ["cmp"],
                           "site": {"commune": "72181"}, "contacts": {}}} for n in range(count)]
        with engine.begin() as connection:
            for start in range(0, count, 5000):
                connection.execute(insert(StoredProposal), rows[start:start + 5000])
        from sqlmodel import Session

        with Session(engine) as session:
            create_user(session, "bench@example.org", PASSWORD, "coordinateur")
            session.commit()
        client = app.test_client()
        client.post("/connexion", data={"email": "bench@example.org", "password": PASSWORD})
        times, size = [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get("/coordination/propositions")
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
            size = len(response.data)
        engine.dispose()
    return {"proposals": count, "first_page_median_ms": round(statistics.median(times) * 1000, 1),
            "first_page_max_ms": round(max(times) * 1000, 1), "first_page_kb": round(size / 1024, 1)}


def main() -> None:
    """``python -m bench.review_queue``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.proposals), ensure_ascii=False))


if __name__ == "__main__":
    main()
