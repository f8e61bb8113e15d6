"""Production server: gunicorn, several worker processes forked from one application.

The application is built once in the master process (configuration checked, bundled data
loaded on first start, search index built or checked), then forked: workers start at
once and never race to seed the database or rebuild the index. Each worker has its own
database connections (the pool inherited from the master is dropped after the fork) and
reads the shared file index, which sees the other workers' edits on the next query.
"""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication

# gthread: each worker serves several requests at once (threads), which suits requests
# that wait on the database; processes spread the pure-Python search over the cores.
WORKER_CLASS = "gthread"


class _Gunicorn(BaseApplication):
    """Gunicorn serving an application object already built (no import string)."""

    def __init__(self, application: Flask, options: dict):
        self._application = application
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options; gunicorn's own command line is not read."""
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The WSGI application given to every worker."""
        return self._application


def server_options(host: str, port: int, workers: int, threads: int, timeout: int = 60) -> dict:
    """Gunicorn settings for ``maillage serve`` (no access log: URLs are not kept)."""
    return {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
            "worker_class": WORKER_CLASS, "timeout": timeout, "graceful_timeout": 20,
            # gunicorn's largest finite request line (4,094 by default): an address with a
            # 5,000-character search reaches the application, which answers in French.
            "limit_request_line": 8190,
            "proc_name": "maillage", "accesslog": None, "errorlog": "-", "loglevel": "warning"}


def serve(application: Flask, host: str, port: int, workers: int, threads: int) -> None:
    """Serve ``application`` until stopped (SIGTERM or Ctrl-C stop it gracefully)."""
    engine = application.extensions["maillage"].engine

    def post_fork(_server, _worker) -> None:
        # A connection opened by the master must never be used by two processes.
        engine.dispose(close=False)

    engine.dispose()
    options = server_options(host, port, workers, threads)
    options["post_fork"] = post_fork
    _Gunicorn(application, options).run()
