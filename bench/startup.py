"""Start time of the application on the bundled data, measured in fresh processes.

The first start creates the instance (SQLite database, loading the bundled directory,
building the file index); the restart reuses them. Each is a new Python process, timed
from its launch to ``create_app`` returning, imports included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from directory.paths import PROJECT_ROOT

_PROBE = """
import json, sys
from app import create_app
from bench.memory import peak_memory_mb
app = create_app({"ENV": "development", "INSTANCE_DIR": sys.argv[1]})
app.extensions["maillage"].engine.dispose()
print(json.dumps({"rss_mb": peak_memory_mb(),
                  "services": app.extensions["maillage"].search.doc_count()}))
"""


def _start(instance: Path) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", _PROBE, str(instance)], cwd=PROJECT_ROOT, env=environment,
                            capture_output=True, text=True, check=True).stdout
    elapsed = time.perf_counter() - started
    return {"seconds": round(elapsed, 2), **json.loads(output.strip().splitlines()[-1])}


def measure_start() -> dict:
    """First start on a new instance, then a restart on the same instance."""
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        first = _start(instance)
        restart = _start(instance)
    return {"first_start_s": first["seconds"], "restart_s": restart["seconds"],
            "start_rss_mb": first["rss_mb"], "start_services_indexed": first["services"]}
