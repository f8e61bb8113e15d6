"""Real server nodes for the several-servers test and benchmark: ``maillage serve``
processes on the loopback, each with its own instance folder (as on its own machine), all
on one database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from directory.paths import PROJECT_ROOT

SECRET = "several-servers-share-this-secret-key-0123456789"


def free_port() -> int:
    """A TCP port free on the loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Node:
    """One ``maillage serve`` process."""

    name: str
    port: int
    process: subprocess.Popen
    instance_dir: Path

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
                timeout: float = 30.0) -> tuple[int, dict, dict]:
        """(status, JSON body, headers) of a request to this node."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}"), dict(error.headers)

    def get(self, path: str) -> dict:
        """The JSON of a GET that must succeed."""
        status, body, _headers = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"{self.name} {path}: {status} {body}")
        return body

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until ``/healthz`` answers (the first start loads data and builds the index)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} stopped: {self.process.stderr.read()}")
            try:
                self.get("/healthz")
                return
            except (OSError, RuntimeError):
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def stop(self) -> str:
        """Stop gracefully (SIGTERM); return what the node wrote on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _out, errors = self.process.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _out, errors = self.process.communicate()
        return errors or ""


def start_node(name: str, instance_dir: Path, database_url: str | None, workers: int = 2, threads: int = 4,
               poll_seconds: float = 1.0, extra_env: dict | None = None) -> Node:
    """Start ``maillage serve`` with its own instance folder on ``database_url`` (None:
    the embedded SQLite of the instance)."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")},
           "MAILLAGE_ENV": "development", "MAILLAGE_SECRET_KEY": SECRET,
           "MAILLAGE_INSTANCE_DIR": str(instance_dir), "MAILLAGE_INDEX_POLL_SECONDS": str(poll_seconds),
           "MAILLAGE_LOG_LEVEL": "WARNING", "MAILLAGE_TILES_URL": "", **(extra_env or {})}
    if database_url:
        env["MAILLAGE_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-c", "from app import main; main()", "serve", "--port", str(port),
         "--workers", str(workers), "--threads", str(threads)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return Node(name, port, process, instance_dir)


def bundled_entry(service_id: str, name: str, model: str = "ccas-allonnes") -> dict:
    """A valid entry to write through the API: a bundled one under another id and name."""
    import yaml

    services = yaml.safe_load((PROJECT_ROOT / "data" / "partners.yaml").read_text(encoding="utf-8"))["services"]
    entry = next(s for s in services if s["id"] == model)
    return {**entry, "id": service_id, "name": name}


def api_token(database_url: str, email: str = "coord@example.org") -> str:
    """A coordinator's API token created directly in the shared database (the account
    too, the first time)."""
    from sqlmodel import Session

    from directory.storage import make_engine
    from web.settings import normalize_database_url
    from workspace.accounts import AccountError, create_token, create_user, find_user

    engine = make_engine(normalize_database_url(database_url))
    try:
        with Session(engine) as session:
            try:
                user = find_user(session, email)
            except AccountError:  # the first run on this database
                user = create_user(session, email, "a-long-enough-password-for-tests", "coordinateur")
            session.flush()
            token = create_token(session, user, "several-servers")
            session.commit()
        return token
    finally:
        engine.dispose()
