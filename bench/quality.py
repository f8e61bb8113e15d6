"""Quality of what Maillage understands and returns, measured on labelled cases.

``python -m bench.quality [--json]`` prints, separately for the tuning cases and for the
held-out cases (never used to tune the reader):

- per-problem precision and recall of detection on ``tests/cases/detection_labelled.yaml``,
  with micro averages and the rate of false P0 (a P0 read in a text that needs none);
- the pass rate of the reading cases (``reading_*.yaml``: queries and vignettes);
- the mean precision@5 of search on the lay queries (share of the first five results of
  an acceptable type), and the median number of results.

Everything runs on a fresh application over the bundled directory (SQLite in a temporary
folder); nothing is written elsewhere.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases"
SPLITS = ("tune", "holdout")
QUERY_FILES = {"tune": ("lay_queries_public.yaml", "lay_queries_own.yaml", "reading_public.yaml", "reading_own.yaml"),
               "holdout": ("reading_holdout.yaml",)}
READING_FILES = {"tune": ("reading_public.yaml", "reading_own.yaml"), "holdout": ("reading_holdout.yaml",)}


def _load(name: str):
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


def detection_scores(reader, texts: list[dict]) -> dict:
    """Per-problem precision/recall, micro averages and false-P0 rate of a set of texts
    (``bench.corpus.score`` over what the reader reads)."""
    from bench.corpus import score

    def predict(text: str):
        reading = reader.read(text)
        codes = reading.problem_codes
        return codes, bool(reading.dangers) or "danger_immediat" in codes, None

    return score(predict, texts)


def negation_scores(reader, items: list[dict]) -> dict:
    """Accuracy of the context rules on one target word per sentence: binary (negated or
    not) and three-way (negated, no longer, affirmed)."""
    from reading.context import NEGATED, RESOLVED
    from reading.tokens import fold_word, tokenize

    binary = three_way = 0
    errors = []
    for item in items:
        tokens = tokenize(item["text"], reader.rules.sms, reader.rules.terminators)
        words = [t for t in tokens if not t.punctuation]
        target = fold_word(item["target"])
        position = next((i for i, w in enumerate(words) if w.text == target), None)
        label = "AFF"
        if position is not None:
            context = reader.rules.occurrences(words)
            categories = {m.category for m in context.qualify(position, position, {position}, item["text"])}
            label = "NEG" if NEGATED in categories else "NOLONGER" if RESOLVED in categories else "AFF"
        binary += (label == "AFF") == (item["gold"] == "AFF")
        three_way += label == item["gold"]
        if label != item["gold"]:
            errors.append(f'{item["text"]} [{item["target"]}] : {label} au lieu de {item["gold"]}')
    return {"items": len(items), "binary": binary, "three_way": three_way, "errors": errors}


def search_scores(client, files: tuple[str, ...]) -> dict:
    """Pass rate, mean precision@5 and median result count of lay queries."""
    from bench.checks import check_query, precision_at_5

    queries = []
    for name in files:
        data = _load(name)
        queries += data if isinstance(data, list) else (data.get("queries") or [])
    precisions, totals, passed = [], [], 0
    for case in queries:
        params = {"q": case["q"], "limit": 5, **({"commune": case["commune"]} if case.get("commune") else {})}
        answer = client.get("/api/services", query_string=params).get_json()
        precisions.append(precision_at_5(answer, case["expect_any"]))
        totals.append(answer["total"])
        passed += not check_query(answer, case)
    return {"queries": len(queries), "passed": passed, "precision_at_5": round(statistics.mean(precisions), 3),
            "median_results": statistics.median(totals)}


def vignette_scores(client, files: tuple[str, ...]) -> dict:
    """Pass rate of reading vignettes."""
    from bench.checks import check_expectations

    vignettes = [v for name in files for v in (_load(name).get("vignettes") or [])]
    passed = 0
    for case in vignettes:
        response = client.post("/api/orientations", json=case["request"])
        passed += response.status_code == 200 and not check_expectations(response.get_json(), case["expect"])
    return {"vignettes": len(vignettes), "passed": passed}


def run() -> dict:
    """Every figure, tuning and held-out side by side."""
    from app import create_app
    from reading.reader import reader_for

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"ENV": "testing", "INSTANCE_DIR": tmp, "DATABASE_URL": f"sqlite:///{tmp}/q.db",
                          "TILES_URL": "", "INDEX_IN_MEMORY": True, "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "WARNING"})
        client = app.test_client()
        reader = reader_for(app.extensions["maillage"].reference.taxonomy)
        labelled = _load("detection_labelled.yaml")["texts"]
        negation = _load("negation_words.yaml")
        report = {"negation": {name: negation_scores(reader, negation[name]) for name in ("development", "heldout")}}
        for split in SPLITS:
            report[split] = {
                "detection": detection_scores(reader, [t for t in labelled if t["split"] == split]),
                "search": search_scores(client, QUERY_FILES[split]),
                "vignettes": vignette_scores(client, READING_FILES[split]),
            }
        app.extensions["maillage"].engine.dispose()
    return report


def markdown(report: dict) -> str:
    """The report as the tables of ``docs/QUALITY.md``."""
    lines = ["| | tuning | held out |", "|---|---|---|"]
    rows = [("Textes étiquetés", lambda r: r["detection"]["texts"]),
            ("Précision de détection (micro)", lambda r: r["detection"]["micro_precision"]),
            ("Rappel de détection (micro)", lambda r: r["detection"]["micro_recall"]),
            ("Faux P0 (textes sans urgence lus P0)", lambda r: f'{r["detection"]["false_p0"]} '
                                                             f'({r["detection"]["false_p0_rate"]})'),
            ("P0 reconnus", lambda r: r["detection"]["p0_recall"]),
            ("Requêtes réussies", lambda r: f'{r["search"]["passed"]} / {r["search"]["queries"]}'),
            ("Précision@5 moyenne de la recherche", lambda r: r["search"]["precision_at_5"]),
            ("Nombre médian de résultats", lambda r: r["search"]["median_results"]),
            ("Vignettes de lecture réussies", lambda r: f'{r["vignettes"]["passed"]} / {r["vignettes"]["vignettes"]}')]
    for label, value in rows:
        lines.append(f"| {label} | {value(report['tune'])} | {value(report['holdout'])} |")
    lines += ["", "| Problème | P (tuning) | R (tuning) | P (held out) | R (held out) |", "|---|---|---|---|---|"]
    codes = sorted(set(report["tune"]["detection"]["per_problem"]) | set(report["holdout"]["detection"]["per_problem"]))
    for code in codes:
        cells = []
        for split in SPLITS:
            score = report[split]["detection"]["per_problem"].get(code, {})
            cells += [str(score.get("precision", "—")), str(score.get("recall", "—"))]
        lines.append(f"| `{code}` | " + " | ".join(cells) + " |")
    lines += ["", "| Négation d'un mot (jeu externe) | binaire | trois classes |", "|---|---|---|"]
    for name, label in (("development", "développement"), ("heldout", "mis de côté")):
        score = report["negation"][name]
        lines.append(f'| {label} ({score["items"]}) | {score["binary"]} | {score["three_way"]} |')
    return "\n".join(lines)


def main() -> None:
    """Command line: ``python -m bench.quality [--json]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="JSON instead of Markdown tables")
    args = parser.parse_args()
    report = run()
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else markdown(report))


if __name__ == "__main__":
    main()
