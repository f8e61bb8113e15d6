"""Faults: an unreachable database gives a clear line at start and a 503 page during a
request, never a stack trace."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tests.conftest import parse_html
from workspace.privacy import generate_key

# Slow (fault, bench and national-size tests): run by .ci/run, not by the everyday command.
pytestmark = pytest.mark.slow


def test_unreachable_database_at_start_is_one_line(tmp_path):
    command = [sys.executable, "-c", "from app import main; main()", "export"]
    # A data key as any deployment has (without one, development says it creates one: a line more).
    env = {"MAILLAGE_ENV": "development", "MAILLAGE_INSTANCE_DIR": str(tmp_path), "MAILLAGE_DATA_KEY": generate_key(),
           "MAILLAGE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60,
                            cwd=str(Path(__file__).resolve().parents[1]))
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("maillage : base de données injoignable :")
    assert "Traceback" not in result.stderr


def test_database_failure_during_a_request_is_a_503_page(client, monkeypatch):
    def down(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("web.core.count_services", down)
    page = client.get("/")
    assert page.status_code == 503
    assert parse_html(page).h1.get_text(" ", strip=True).startswith("Service momentanément indisponible")
    api = client.get("/healthz")
    assert api.status_code == 503 and api.is_json


# The write-ahead log is empty or a few pages after start; a load's rows make it grow by
# megabytes before the commit.
WRITING_EVIDENCE_BYTES = 512 * 1024


def test_killing_a_load_midway_leaves_the_database_as_before(tmp_path):
    """A bulk load is one transaction: a process killed in the middle writes nothing."""
    import signal
    import time

    import yaml

    from bench.synthetic import generate
    from directory.paths import DATA_DIR
    from directory.reference import load_reference

    root = Path(__file__).resolve().parents[1]
    entries = list(generate(load_reference(DATA_DIR), 3000))
    big = tmp_path / "gros.yaml"
    big.write_text(yaml.safe_dump({"services": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    env = {"MAILLAGE_ENV": "development", "MAILLAGE_INSTANCE_DIR": str(tmp_path / "inst"), "PATH": "/usr/bin:/bin"}

    def count() -> str:
        result = subprocess.run([sys.executable, "-c", "from app import main; main()", "export", "--format", "csv"],
                                capture_output=True, text=True, env=env, cwd=str(root), timeout=120)
        return result.stdout

    before = count()
    wal = tmp_path / "inst" / "maillage.db-wal"
    process = subprocess.Popen([sys.executable, "-c", "from app import main; main()", "load", str(big)],
                               env=env, cwd=str(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Evidence that rows are being written: the uncommitted transaction spills its pages
    # into the write-ahead log (validation writes nothing). Kill at the first sign of it.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > WRITING_EVIDENCE_BYTES:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the load ended before any write was seen"
    assert wal.stat().st_size > WRITING_EVIDENCE_BYTES
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert count() == before


def test_two_simultaneous_saves_never_lose_an_update(app, monkeypatch, state):
    """Both editors opened version 1 and save at the same instant: one wins, the other is
    told of the conflict; nothing is overwritten silently."""
    import threading

    from directory.schema import validate_entry
    from directory.storage import get_service, row_to_data
    from workspace import editing
    with Session(state.engine) as session:
        original = row_to_data(get_service(session, "ccas-allonnes"))
    barrier = threading.Barrier(2, timeout=10)
    real_apply = editing.apply_entry

    def apply_together(*args, **kwargs):
        barrier.wait()  # both have passed the version check before either writes
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(editing, "apply_entry", apply_together)
    outcomes: dict[str, object] = {}

    def save(label: str) -> None:
        entry, errors = validate_entry({**original, "zone_label": label}, state.reference)
        assert not errors
        try:
            outcomes[label] = editing.save_entry(state.engine, state.sync, state.reference, entry,
                                                 f"{label}@example.org", expected_version=1)
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[label] = error

    threads = [threading.Thread(target=save, args=(label,)) for label in ("premier", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [label for label, outcome in outcomes.items() if outcome == 2]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, editing.StaleVersion)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    with Session(state.engine) as session:
        row = get_service(session, "ccas-allonnes")
    assert (row.zone_label, row.version) == (winners[0], 2)
