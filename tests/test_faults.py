"""Faults: an unreachable database gives a clear line at start and a 503 page during a
request, never a stack trace."""

import subprocess
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from tests.conftest import parse_html


def test_unreachable_database_at_start_is_one_line(tmp_path):
    command = [sys.executable, "-c", "from app import main; main()", "export"]
    env = {"MAILLAGE_ENV": "development", "MAILLAGE_INSTANCE_DIR": str(tmp_path),
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
