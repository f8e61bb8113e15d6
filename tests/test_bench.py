"""The measurement tools keep working (tiny runs; the real figures are in docs/)."""

from bench.load import run as load
from bench.run import run as bench


def test_benchmark_runs_on_the_bundled_directory():
    report = bench(0, rounds=1)
    assert report["services"] >= 55
    assert report["search"]["count"] > 40 and report["orientation"]["count"] > 80
    assert report["search"]["p95_ms"] >= report["search"]["median_ms"] > 0


def test_load_test_gets_no_server_error():
    report = load(seconds=2, clients=2, threads=2)
    assert report["requests"] > 0 and report["errors"] == 0
