"""Side-by-side measurements: search and orientation latency, index build, start, memory.

``python -m bench.run --services N`` (or ``maillage bench``) builds a directory (the bundled
one when N is 0, else N synthetic services over every département) in a temporary SQLite
database, indexes it, then runs the same query set through Maillage's search and through
a SQLite FTS5 baseline (``unicode61 remove_diacritics 2``, French stems computed in
Python), and the orientation vignettes through the engine. Medians and p95 in ms.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from sqlmodel import Session

from bench.synthetic import generate
from directory.finder import SearchParams, search_directory
from directory.indexing import document_for, rebuild_index, zone_keys_by_service
from directory.loader import check_file
from directory.paths import DATA_DIR, PROJECT_ROOT
from directory.reference import load_reference
from directory.schema import validate_entry
from directory.search import SearchIndex
from directory.storage import all_services, create_schema, make_engine, upsert_entries
from directory.vocabulary import stem, tokenize
from recommender.engine import Engine
from recommender.request import parse_request
from recommender.rules import load_rules
from recommender.territory import ServiceFinder

CASES = PROJECT_ROOT / "tests" / "cases"


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2),
            "count": len(ordered)}


def _queries() -> list[str]:
    cases = []
    for name in ("lay_queries_public.yaml", "lay_queries_own.yaml"):
        cases += yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    return [c["q"] for c in cases]


def _vignettes() -> list[dict]:
    cases = []
    for name in ("vignettes_public.yaml", "vignettes_own.yaml"):
        cases += yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    return [c["request"] for c in cases]


def _entries(reference, count: int):
    if count == 0:
        return check_file(DATA_DIR / "partners.yaml", reference).entries
    entries = []
    for raw in generate(reference, count):
        entry, errors = validate_entry(raw, reference)
        if errors:
            raise RuntimeError(f"synthetic entry invalid: {errors[:2]}")
        entries.append(entry)
    return entries


def _fts_terms(text: str) -> list[str]:
    return [stem(t).split("|")[0] for t in tokenize(text) if len(t) > 1]


def _build_fts(session: Session, reference, path: Path) -> sqlite3.Connection:
    """The FTS5 baseline over the same documents as the whoosh index."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, body, zones, "
                       "tokenize='unicode61 remove_diacritics 2')")
    rows = []
    keys = zone_keys_by_service(session)
    for row in all_services(session):
        document = document_for(row, sorted(keys.get(row.id, [])), reference)
        text = " ".join([document.name, document.type_text, document.operator, document.problem_text,
                         document.description, document.place_text])
        zones = " ".join(k.replace(":", "_") for k in document.zones)
        rows.append((row.id, " ".join(_fts_terms(text)), zones))
    connection.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)
    connection.commit()
    return connection


def _fts_query(connection: sqlite3.Connection, text: str, zone_keys: list[str]) -> list[str]:
    terms = [t for t in _fts_terms(text) if t.isalnum()]
    if not terms:
        return []
    match = "body:(" + " OR ".join(terms) + ")"
    if zone_keys:
        match += " AND zones:(" + " OR ".join(k.replace(":", "_") for k in zone_keys) + ")"
    cursor = connection.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10", (match,))
    return [r[0] for r in cursor]


def _carte_size(session: Session, reference) -> dict:
    """Size of the /carte map for every service (what the page inlines), and render time."""
    from directory.maps import DOMAIN_COLOURS, TileSettings, cartography_map
    from directory.present import coordinates

    layers: dict[str, list[list]] = {}
    for row in all_services(session):
        place = coordinates(row, reference)
        if place:
            layers.setdefault(row.domain, []).append(
                [round(place[0], 5), round(place[1], 5), row.id, row.name, DOMAIN_COLOURS.get(row.domain, ""),
                 reference.taxonomy.type_label(row.types[0])])
    t0 = time.perf_counter()
    parts = cartography_map(layers, {}, None, TileSettings("", ""))
    elapsed = time.perf_counter() - t0
    size = len(parts.header) + len(parts.html) + len(parts.script)
    return {"carte_map_kb": round(size / 1024, 1), "carte_render_s": round(elapsed, 2)}


def run(count: int, rounds: int = 3, seed: int = 72) -> dict:
    """Measure everything for a directory of ``count`` services (0 = bundled)."""
    started = time.perf_counter()
    reference = load_reference(DATA_DIR)
    rules = load_rules(str(DATA_DIR / "rules.yaml"), reference.taxonomy)
    report: dict = {"services": count or "bundled"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
        create_schema(engine)
        t0 = time.perf_counter()
        entries = _entries(reference, count)
        report["validate_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        upsert_entries(engine, entries, reference)
        report["load_s"] = round(time.perf_counter() - t0, 2)
        report["services"] = len(entries)
        index = SearchIndex.open(tmp_path / "index")
        with Session(engine) as session:
            t0 = time.perf_counter()
            rebuild_index(session, index, reference)
            report["index_build_s"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
            fts = _build_fts(session, reference, tmp_path / "fts.db")
            report["fts5_build_s"] = round(time.perf_counter() - t0, 2)
            rng = random.Random(seed)
            sites = sorted({e.site.commune for e in entries if e.site.commune})
            queries = [(q, rng.choice(sites)) for q in _queries()]
            maillage_times, fts_times = [], []
            for _ in range(rounds):
                for text, commune in queries:
                    c = reference.gazetteer.get(commune)
                    t0 = time.perf_counter()
                    search_directory(session, index, reference, SearchParams(q=text, commune=commune, limit=10))
                    maillage_times.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    _fts_query(fts, text, [f"c:{commune}", f"d:{c.departement}"])
                    fts_times.append(time.perf_counter() - t0)
            report["search"] = _percentiles(maillage_times)
            report["search_fts5"] = _percentiles(fts_times)
            ratio = report["search"]["p95_ms"] / max(report["search_fts5"]["p95_ms"], 0.01)
            report["search_ratio_p95"] = round(ratio, 1)
            orientation = Engine(reference, rules, ServiceFinder(session, reference))
            times = []
            for _ in range(rounds):
                for body in _vignettes():
                    t0 = time.perf_counter()
                    orientation.orient(parse_request(body, reference))
                    times.append(time.perf_counter() - t0)
            report["orientation"] = _percentiles(times)
            report.update(_carte_size(session, reference))
            fts.close()
        engine.dispose()
    report["total_s"] = round(time.perf_counter() - started, 1)
    report["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
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
