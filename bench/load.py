"""Bounded load test of the production server on loopback.

``python -m bench.load --seconds 60 --clients 16`` starts ``maillage serve`` on a free
127.0.0.1 port with a fresh instance (SQLite by default, or ``--database-url``), waits for
``/healthz``, then runs the clients for the given time: a mix of searches (lay queries,
random Sarthe commune), orientations (the vignettes, through the API and as printable
sheets) and service sheets. The server runs with ``--workers`` processes. It stops by itself
and prints throughput, latency percentiles and errors as JSON. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from bench.nodes import start_node
from directory.paths import PROJECT_ROOT

CASES = PROJECT_ROOT / "tests" / "cases"
COMMUNES = ["72181", "72003", "72095", "72154", "72264", "72180"]
SHEETS = ["cmp-sable", "ccas-allonnes", "departement-ase-crip", "montjoie-csapa", "siao-sarthe"]


def _cases(name: str) -> list:
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


def _request(base: str, rng: random.Random, queries: list[str], vignettes: list[dict]) -> urllib.request.Request:
    """One request of the mix: 45 % searches, 25 % orientations (API), 15 % printable
    orientation sheets, 15 % service sheets."""
    roll = rng.random()
    if roll < 0.45:
        params = urllib.parse.urlencode({"q": rng.choice(queries), "commune": rng.choice(COMMUNES)})
        return urllib.request.Request(f"{base}/api/services?{params}")
    if roll < 0.70:
        body = json.dumps(rng.choice(vignettes)).encode()
        return urllib.request.Request(f"{base}/api/orientations", data=body,
                                      headers={"Content-Type": "application/json"})
    if roll < 0.85:
        # Codes only, as a bookmarked sheet (a description is never put in an address).
        vignette = rng.choice([v for v in vignettes if v.get("problems")])
        params = urllib.parse.urlencode({"commune": vignette["commune"], "problems": vignette["problems"]},
                                        doseq=True)
        return urllib.request.Request(f"{base}/orientation/fiche?{params}")
    return urllib.request.Request(f"{base}/services/{rng.choice(SHEETS)}")


def _client(base: str, deadline: float, seed: int, queries, vignettes, results: list, lock: threading.Lock):
    rng = random.Random(seed)
    local = []
    while time.perf_counter() < deadline and len(local) < 100_000:
        request = _request(base, rng, queries, vignettes)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            status = 0
        local.append((time.perf_counter() - started, status))
    with lock:
        results.extend(local)


def run(seconds: float, clients: int, database_url: str | None = None, threads: int = 8,
        workers: int = 2) -> dict:
    """Start the server, load it for ``seconds`` with ``clients`` threads, stop it."""
    with tempfile.TemporaryDirectory() as tmp:
        node = start_node("load", Path(tmp) / "instance", database_url, workers, threads)
        try:
            node.wait_ready(30)
            report = drive([f"http://127.0.0.1:{node.port}"], seconds, clients)
        finally:
            log_text = node.stop()
            if os.environ.get("MAILLAGE_LOAD_LOG"):
                Path(os.environ["MAILLAGE_LOAD_LOG"]).write_text(log_text, encoding="utf-8")
    return {"clients": clients, "server_workers": workers, "server_threads": threads,
            "database": "postgresql" if database_url else "sqlite", **report}


def drive(bases: list[str], seconds: float, clients: int) -> dict:
    """Run ``clients`` threads of the request mix for ``seconds`` against these servers
    (client ``n`` talks to ``bases[n % len(bases)]``, as a load balancer would spread them)."""
    queries = [c["q"] for c in _cases("lay_queries_public.yaml") + _cases("lay_queries_own.yaml")]
    vignettes = [c["request"] for c in _cases("vignettes_public.yaml") + _cases("vignettes_own.yaml")]
    results: list = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    client_threads = [threading.Thread(target=_client, args=(bases[seed % len(bases)], deadline, seed, queries,
                                                             vignettes, results, lock))
                      for seed in range(clients)]
    started = time.perf_counter()
    for client in client_threads:
        client.start()
    for client in client_threads:
        client.join(seconds + 60)
    elapsed = time.perf_counter() - started
    latencies = sorted(r[0] for r in results)
    errors = [r[1] for r in results if r[1] >= 500 or r[1] == 0]
    return {
        "seconds": round(elapsed, 1), "requests": len(results),
        "throughput_rps": round(len(results) / elapsed, 1),
        "median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1) if latencies else None,
        "errors": len(errors), "statuses": sorted({r[1] for r in results}),
    }


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per server worker")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--nodes", type=int, default=1, choices=(1, 2),
                        help="2: two servers on one PostgreSQL (--database-url), with the propagation delay")
    args = parser.parse_args(argv)
    if args.nodes == 2:
        from bench.two_nodes import run_two_nodes

        if not args.database_url:
            parser.error("--nodes 2 needs --database-url postgresql://… (the servers share it)")
        report = run_two_nodes(args.seconds, args.clients, args.database_url, args.threads, args.workers, drive)
        print(json.dumps({"server_workers": args.workers, "server_threads": args.threads,
                          "database": "postgresql", "clients": args.clients, **report}))
        return
    print(json.dumps(run(args.seconds, args.clients, args.database_url, args.threads, args.workers)))


if __name__ == "__main__":
    main()
