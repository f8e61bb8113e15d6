"""Peak memory of the current process.

``getrusage(RUSAGE_SELF).ru_maxrss`` is no use in a child process on Linux: the high-water
mark survives ``fork`` and ``exec``, so a child started by a big parent reports the
parent's peak. ``VmHWM`` in ``/proc/self/status`` belongs to the process's own address
space (new at ``exec``); ``ru_maxrss`` is the fallback where ``/proc`` is missing.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_memory_mb() -> float:
    """Peak resident memory of this process, in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
