"""PostgreSQL stopped for a few seconds under load: ``python -m bench.pg_outage
--database-url postgresql://postgres@127.0.0.1:5432/outage [--down 4] [--clients 8]``.

Starts a production server (gunicorn, 2 workers) on that database, sends searches, pages,
orientations and API writes from several clients, stops the local PostgreSQL cluster for
``--down`` seconds (``pg_ctlcluster … stop -m fast``), starts it again, goes on for a few
seconds, and counts the statuses. The expected answer during the outage is 503 (never a
500, never a connection reset); after it, 200 again. Run it on a machine of one's own: it
stops the cluster every other process uses too. Prints JSON."""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from bench.nodes import api_token, start_node

PATHS = ["/api/services?q=il+boit&commune=72181", "/annuaire?q=courrier+qui+d%C3%A9borde&commune=72003",
         "/services/ccas-allonnes", "/healthz", "/api/services?q=impay%C3%A9s"]


def _status(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> int:
    """The HTTP status of one request (pages and API alike)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _cluster(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action,
                    *(["-m", "fast"] if action == "stop" else [])], check=True, capture_output=True)


def run(database_url: str, down_s: float, clients: int, before_s: float = 3.0, after_s: float = 6.0) -> dict:
    """Statuses before, during and after the outage."""
    with tempfile.TemporaryDirectory() as tmp:
        node = start_node("outage", Path(tmp) / "instance", database_url)
        # The server's log is read as it comes: an undrained pipe fills during the outage
        # (one line per refused request) and then blocks every thread that logs.
        log_lines: list[str] = []
        drain = threading.Thread(target=lambda: log_lines.extend(node.process.stderr), daemon=True)
        drain.start()
        node.wait_ready()
        token = api_token(database_url)  # the tables exist once the server has started
        phase = {"name": "before"}
        counts: dict[str, Counter] = {"before": Counter(), "during": Counter(), "after": Counter()}
        lock = threading.Lock()
        stop = threading.Event()

        def client(number: int) -> None:
            sent = 0
            while not stop.is_set():
                sent += 1
                try:
                    if sent % 7 == 0:
                        status = _status(node.port, "POST", "/api/orientations",
                                         {"commune": "72181", "description": "il boit et ne paie plus"})
                    elif sent % 11 == 0:
                        status = _status(node.port, "PATCH", "/api/services/ccas-allonnes",
                                         {"zone_label": f"essai {sent}"},
                                         {"Authorization": f"Bearer {token}", "If-Match": '"0"'})
                    else:
                        status = _status(node.port, "GET", PATHS[(number + sent) % len(PATHS)])
                except Exception as error:  # noqa: BLE001 - a reset connection is counted, not raised
                    status = type(error).__name__
                with lock:
                    counts[phase["name"]][str(status)] += 1

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(before_s)
        phase["name"] = "during"
        _cluster("stop")
        time.sleep(down_s)
        _cluster("start")
        phase["name"] = "after"
        time.sleep(after_s)
        stop.set()
        for thread in threads:
            thread.join(30)
        node.process.terminate()
        node.process.wait(30)
        drain.join(10)
    return {"down_s": down_s, "clients": clients, **{k: dict(v) for k, v in counts.items()},
            "server_tracebacks": sum(1 for line in log_lines if "Traceback" in line)}


def main() -> None:
    """``python -m bench.pg_outage``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--down", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(run(args.database_url, args.down, args.clients), ensure_ascii=False))


if __name__ == "__main__":
    main()
