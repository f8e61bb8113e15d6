"""The production server: ``maillage serve`` forks worker processes from one application
built in the master, answers on loopback and stops cleanly."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.nodes import free_port
from tests.conftest import worker_database_url
from web.server import server_options

# Slow (real server processes): run by .ci/run, not by the everyday command.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_server_options_use_threaded_workers_and_no_access_log():
    options = server_options("127.0.0.1", 8123, workers=2, threads=4)
    assert options["bind"] == "127.0.0.1:8123"
    assert (options["workers"], options["threads"], options["worker_class"]) == (2, 4, "gthread")
    # Access logs would keep the addresses of orientation requests: none is written.
    assert options["accesslog"] is None


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


def _post_status(port: int, path: str, body: bytes) -> int:
    """Status of a JSON POST; the server may answer and close before reading the whole body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        try:
            connection.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_serve_runs_two_worker_processes_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")},
           "MAILLAGE_ENV": "development", "MAILLAGE_INSTANCE_DIR": str(tmp_path / "instance"),
           "MAILLAGE_LOG_LEVEL": "WARNING"}
    if worker_database_url():
        env["MAILLAGE_DATABASE_URL"] = worker_database_url()
    server = subprocess.Popen([sys.executable, "-c", "from app import main; main()", "serve", "--port", str(port),
                               "--workers", "2", "--threads", "2"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer")
        # Workers are forked after the application is built: the first start seeded once.
        deadline = time.time() + 10
        while len(_children(server.pid)) < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert len(_children(server.pid)) == 2
        for _ in range(6):  # several requests, spread over both workers
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/services?q=csapa", timeout=10) as response:
                assert response.status == 200
        # Hostile anonymous bodies: a 4xx at once, and the server keeps answering.
        for body, expected in ((b"[" * 200_000 + b"]" * 200_000, 413), (b"[" * 100_000 + b"]" * 100_000, 400),
                               (b'{"problems": [' + b'"x",' * 5_000_000 + b'"x"]}', 413)):
            started = time.monotonic()
            assert _post_status(port, "/api/orientations", body) == expected
            assert time.monotonic() - started < 5
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                assert response.status == 200
        # A very long search typed in the address: the application's French error, not the
        # server's raw English « 414 URI Too Long ».
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/services?q={'a' * 5000}", timeout=10)
            pytest.fail("a 5,000-character search was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 400 and json.loads(error.read())["field"] == "q"
    finally:
        server.send_signal(signal.SIGTERM)
        output, errors = server.communicate(timeout=40)
    assert server.returncode == 0, errors
    assert "Traceback" not in errors
    assert "2 processus" in output
