"""The measurement tools keep working (tiny runs; the real figures are in docs/)."""


import pytest

from bench.load import run as load
from bench.run import run as bench
from tests.conftest import worker_database_url

# Slow (fault, bench and national-size tests): run by .ci/run, not by the everyday command.
pytestmark = pytest.mark.slow


def test_benchmark_runs_on_the_bundled_directory():
    report = bench(0, rounds=1)
    assert report["services"] >= 55 and report["index_partitions"] >= 1
    assert report["search"]["count"] > 40 and report["orientation"]["count"] > 80
    assert report["search"]["p95_ms"] >= report["search"]["median_ms"] > 0
    assert report["search_fts5"]["count"] == report["search"]["count"]
    assert report["search_without_commune"]["count"] > 40
    # Start measured in fresh processes: a new instance is seeded and indexed.
    assert report["first_start_s"] > 0 and report["start_services_indexed"] >= report["services"]
    assert 0 < report["query_process_peak_mb"] < 2048


def test_synthetic_directory_spreads_over_departements():
    report = bench(200, rounds=1, start=False)
    assert report["services"] == 200 and report["index_partitions"] > 50


def test_load_test_gets_no_server_error():
    # On the CI's PostgreSQL pass, the server under load uses PostgreSQL too.
    database_url = worker_database_url()
    report = load(seconds=3, clients=4, threads=2, workers=2, database_url=database_url)
    assert report["requests"] > 0 and report["errors"] == 0
    assert report["database"] == ("postgresql" if database_url else "sqlite")


def test_the_finess_import_benchmark_runs_on_a_small_extract():
    import json
    import subprocess
    import sys

    output = subprocess.run([sys.executable, "-m", "bench.finess_import", "--rows", "3000", "--json"],
                            check=True, capture_output=True, text=True).stdout
    report = json.loads(output.strip().splitlines()[-1])
    imported = report["import"]
    # One in a hundred is in the Sarthe, and a few more by the draw.
    assert imported["read"] == 3000 and 2900 < imported["other_departement"] <= 2970
    assert imported["new"] > 0 and imported["peak_mb"] >= report["sans import"]["peak_mb"] * 0.9
