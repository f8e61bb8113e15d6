"""Side-by-side measurements: search and orientation latency, index build, start, memory.

``python -m bench.run --services N`` (or ``maillage bench``) builds a directory (the bundled
one when N is 0, else N synthetic services over every département) in a temporary SQLite
database, indexes it, builds a SQLite FTS5 baseline over the same documents, then, in a
child process that holds only what a server holds, runs the same query set through
Maillage's search and through FTS5, and the orientation vignettes through the engine
(``bench.queries``). It also times the application's start on the bundled data in fresh
processes (``bench.startup``). Medians and p95 in ms; memory as peak resident size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlmodel import Session

from bench.fts import build_fts
from bench.memory import peak_memory_mb
from bench.startup import measure_start
from bench.synthetic import generate
from directory.loader import check_file
from directory.paths import DATA_DIR, PROJECT_ROOT
from directory.reference import ReferenceData, load_reference
from directory.schema import ServiceEntry, validate_entry
from directory.storage import create_schema, make_engine, upsert_entries
from search.backend import SearchIndex
from search.maintenance import rebuild_index


class _Counted:
    """Validated entries, streamed to the loader (the whole list never sits in memory);
    ``validate_s`` counts generating and validating them."""

    def __init__(self, reference: ReferenceData, count: int):
        self.reference, self.count = reference, count
        self.loaded = 0
        self.validate_s = 0.0

    def __iter__(self) -> Iterator[ServiceEntry]:
        if self.count == 0:
            started = time.perf_counter()
            entries = check_file(DATA_DIR / "partners.yaml", self.reference).entries
            self.validate_s += time.perf_counter() - started
            yield from self._counting(entries)
            return
        raws = generate(self.reference, self.count)
        while True:
            # Generating and validating an entry is the source's cost, not the load's.
            started = time.perf_counter()
            raw = next(raws, None)
            if raw is None:
                return
            entry, errors = validate_entry(raw, self.reference)
            self.validate_s += time.perf_counter() - started
            if errors:
                raise RuntimeError(f"synthetic entry invalid: {errors[:2]}")
            yield from self._counting([entry])

    def _counting(self, entries) -> Iterator[ServiceEntry]:
        for entry in entries:
            self.loaded += 1
            yield entry


def _child_queries(directory: Path, rounds: int) -> dict:
    output = subprocess.run([sys.executable, "-m", "bench.queries", str(directory), "--rounds", str(rounds)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(count: int, rounds: int = 3, start: bool = True) -> dict:
    """Measure everything for a directory of ``count`` services (0 = bundled)."""
    started = time.perf_counter()
    reference = load_reference(DATA_DIR)
    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        engine = make_engine(f"sqlite:///{directory / 'bench.db'}")
        create_schema(engine)
        entries = _Counted(reference, count)
        t0 = time.perf_counter()
        upsert_entries(engine, entries, reference)
        report["services"] = entries.loaded
        report["validate_s"] = round(entries.validate_s, 2)
        report["load_s"] = round(time.perf_counter() - t0 - entries.validate_s, 2)
        index = SearchIndex.open(directory / "index")
        with Session(engine) as session:
            t0 = time.perf_counter()
            # As the application does at start and ``maillage reindex`` by default.
            report["index_build_processes"] = os.cpu_count() or 1
            rebuild_index(session, index, reference, processes=report["index_build_processes"])
            report["index_build_s"] = round(time.perf_counter() - t0, 2)
            report["index_partitions"] = len(index.partition_keys())
            t0 = time.perf_counter()
            build_fts(session, reference, directory / "fts.db")
            report["fts5_build_s"] = round(time.perf_counter() - t0, 2)
        engine.dispose()
        report["index_mb"] = round(sum(f.stat().st_size for f in (directory / "index").rglob("*")
                                       if f.is_file()) / 2**20, 1)
        report["build_process_peak_mb"] = peak_memory_mb()
        report.update(_child_queries(directory, rounds))
    if start:
        report.update(measure_start())
    report["total_s"] = round(time.perf_counter() - started, 1)
    return report


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000, help="synthetic services (0 = bundled data)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    report = run(args.services, args.rounds)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
