"""Query phase of the benchmark, run in its own process over a built directory.

``python -m bench.queries DIR`` opens ``DIR/bench.db``, the search index ``DIR/index`` and
the FTS5 baseline ``DIR/fts.db``, runs the same query set through Maillage's search and
through FTS5 (side by side, query by query), the vignettes through the orientation engine,
renders the ``/carte`` map, and prints JSON with medians, p95 and this process's peak
memory: what a server holding this directory needs, without the loader's memory.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import time
from pathlib import Path

import yaml
from sqlmodel import Session, select

from bench.corpus import load_corpus
from bench.fts import fts_query
from bench.memory import peak_memory_mb
from directory.models import Service
from directory.paths import DATA_DIR, PROJECT_ROOT
from directory.reference import load_reference
from directory.storage import all_services, make_engine
from reading.reader import reader_for
from recommender.engine import Engine
from recommender.request import parse_request
from recommender.rules import load_rules
from recommender.territory import ServiceFinder
from search.backend import SearchIndex
from search.finder import SearchParams, search_directory
from search.sync import IndexSync
from web.state import AppState

CASES = PROJECT_ROOT / "tests" / "cases"


def percentiles(samples: list[float]) -> dict:
    """Median and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2),
            "count": len(ordered)}


def _cases(*names: str) -> list:
    cases = []
    for name in names:
        cases += yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    return cases


def _timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def _carte_size(session: Session, reference) -> dict:
    """Size of the /carte map for every service (what the page inlines), and render time."""
    from directory.present import coordinates
    from web.maps.builders import DOMAIN_COLOURS, TileSettings, cartography_map

    layers: dict[str, list[list]] = {}
    for row in all_services(session):
        place = coordinates(row, reference)
        if place:
            layers.setdefault(row.domain, []).append(
                [round(place[0], 5), round(place[1], 5), row.id, row.name, DOMAIN_COLOURS.get(row.domain, ""),
                 reference.taxonomy.type_label(row.types[0])])
    started = time.perf_counter()
    parts = cartography_map(layers, {}, None, TileSettings("", ""))
    elapsed = time.perf_counter() - started
    size = len(parts.header) + len(parts.html) + len(parts.script)
    return {"carte_map_kb": round(size / 1024, 1), "carte_render_s": round(elapsed, 2)}


def run_queries(directory: Path, rounds: int = 3, seed: int = 72, carte: bool = True) -> dict:
    """Every query-side measure over the directory built in ``directory``."""
    reference = load_reference(DATA_DIR)
    rules = load_rules(str(DATA_DIR / "rules.yaml"), reference.taxonomy)
    engine = make_engine(f"sqlite:///{directory / 'bench.db'}")
    index = SearchIndex.open(directory / "index")
    fts = sqlite3.connect(directory / "fts.db")
    report: dict = {}
    # As the application does at start: the queries measure a server that has started.
    started = time.perf_counter()
    index.warm()
    report["index_warm_s"] = round(time.perf_counter() - started, 2)
    # The search answers with the types the orientation rules propose, as the application does.
    ranker = AppState(engine=engine, reference=reference, data_dir=DATA_DIR, search=index, rules=rules,
                      sync=IndexSync(engine, index, reference)).rank_types
    with Session(engine) as session:
        rng = random.Random(seed)
        sites = sorted({c for c in session.exec(select(Service.site_commune).distinct()) if c})
        queries = [(case["q"], rng.choice(sites)) for case in
                   _cases("lay_queries_public.yaml", "lay_queries_own.yaml")]
        ours, baseline, national = [], [], []
        for _ in range(rounds):
            for text, commune in queries:
                departement = reference.gazetteer.get(commune).departement
                ours.append(_timed(search_directory, session, index, reference,
                                   SearchParams(q=text, commune=commune, limit=10), answer_types=ranker))
                baseline.append(_timed(fts_query, fts, text, [f"c:{commune}", f"d:{departement}"]))
        for text, _commune in queries:  # once: a search without commune reads every partition
            national.append(_timed(search_directory, session, index, reference, SearchParams(q=text, limit=10),
                                   answer_types=ranker))
        report["search"] = percentiles(ours)
        report["search_fts5"] = percentiles(baseline)
        report["search_ratio_p95"] = round(report["search"]["p95_ms"] / max(report["search_fts5"]["p95_ms"], 0.01), 1)
        report["search_ratio_median"] = round(
            report["search"]["median_ms"] / max(report["search_fts5"]["median_ms"], 0.01), 1)
        report["search_without_commune"] = percentiles(national)
        orientation = Engine(reference, rules, ServiceFinder(session, reference))
        vignettes = [c["request"] for c in _cases("vignettes_public.yaml", "vignettes_own.yaml")]
        # The vignettes are Sarthe households: « Allonnes » is the Sarthe's, as for a
        # Sarthe network (a national directory would ask which one).
        sarthe = {"72": 1}.copy
        times = [_timed(orientation.orient, parse_request(body, reference, services_by_departement=sarthe))
                 for _ in range(rounds) for body in vignettes]
        report["orientation"] = percentiles(times)
        # The reader alone (lexicon, context rules, situations, model) on the 1,100 texts of
        # the labelled corpus: what every search and orientation with words pays.
        reader = reader_for(reference.taxonomy)
        texts = [item["text"] for part in load_corpus().values() for item in part]
        reader.read(texts[0])
        report["reader"] = percentiles([_timed(reader.read, text) for text in texts])
        report["reader_texts"] = len(texts)
        report["query_process_peak_mb"] = peak_memory_mb()
        if carte:
            report.update(_carte_size(session, reference))
    fts.close()
    engine.dispose()
    return report


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (used by ``bench.run`` in a child process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=72)
    args = parser.parse_args(argv)
    print(json.dumps(run_queries(args.directory, args.rounds, args.seed)))


if __name__ == "__main__":
    main()
