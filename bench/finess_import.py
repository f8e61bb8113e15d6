"""Import of a national-size FINESS extract: ``python -m bench.finess_import [--rows 100000]``.

Writes a CSV extract in the published layout (``structureet`` and ``geolocalisation``
lines, 100 départements, a realistic mix of categories, about 1 in 100 establishments in
the Sarthe), then, in a fresh process on the bundled directory, runs the same path as
``maillage import --format finess --departement 72``: read line by line, filter, match,
store the proposals. Prints wall time, records read, proposals and peak memory (the
same process without the import, as the baseline); ``--json`` for a machine reading.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.memory import peak_memory_mb

# A mix close to the national file's: mostly categories the directory does not take.
CATEGORIES = ["620"] * 30 + ["355"] * 5 + ["500"] * 20 + ["460"] * 10 + ["156"] * 5 + ["197", "178", "214",
                                                                                       "446", "445", "258"] * 2


def write_extract(path: Path, rows: int, seed: int = 7) -> None:
    """A FINESS CSV extract of ``rows`` establishments."""
    from directory.imports.finess import CSV_FIELDS

    rng = random.Random(seed)
    departements = [f"{n:02d}" for n in range(1, 96) if n != 20]
    with path.open("w", encoding="utf-8") as out:
        out.write("finess;etalab;111;2026-11-02\n")
        for number in range(rows):
            departement = "72" if number % 100 == 0 else rng.choice(departements)
            fields = {"nofinesset": f"{departement}{number:07d}", "nofinessej": f"{departement}{number + 1:07d}",
                      "rs": f"ETAB {number}", "rslongue": f"ETABLISSEMENT NUMERO {number}", "numvoie": "1",
                      "typvoie": "R", "voie": "DE LA GARE", "commune": f"{rng.randint(1, 350):03d}",
                      "departement": departement, "libdepartement": "X",
                      "ligneacheminement": f"{departement}000 VILLE", "telephone": f"02{rng.randint(10**7, 10**8 - 1)}",
                      "categetab": rng.choice(CATEGORIES), "libcategetab": "libellé", "datemaj": "2026-10-20"}
            out.write("structureet;" + ";".join(fields.get(name, "") for name in CSV_FIELDS) + "\n")
        for number in range(0, rows, 3):
            out.write(f"geolocalisation;{number:09d};480000.1;6780000.2;1,ATLASANTE,96,BAN,EPSG:2154;2026-05-04\n")


def _child(extract: str, import_it: bool) -> dict:
    from app import create_app
    from directory.imports.readers import read_register
    from directory.imports.records import register_mapping
    from workspace.review import import_records

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"ENV": "testing", "INSTANCE_DIR": tmp, "DATABASE_URL": f"sqlite:///{tmp}/b.db",
                          "INDEX_IN_MEMORY": True, "INDEX_POLL_SECONDS": 0})
        state = app.extensions["maillage"]
        result = {"baseline_mb": peak_memory_mb()}
        if import_it:
            start = time.perf_counter()
            records = read_register("finess", Path(extract), register_mapping(), "72")
            summary = import_records(state.engine, state.reference, records, "bench", "72")
            result.update(seconds=round(time.perf_counter() - start, 2), read=summary.read,
                          other_departement=summary.other_departement, new=summary.new, updates=summary.updates,
                          skipped=sum(summary.skipped.values()), issues=len(summary.issues))
        result["peak_mb"] = peak_memory_mb()
        state.engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    """Write the extract, import it in a fresh process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child[0], args.child[1] == "1")))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        extract = Path(tmp) / "finess.csv"
        write_extract(extract, args.rows)
        size_mb = round(extract.stat().st_size / 1e6, 1)
        runs = {}
        for name, flag in (("sans import", "0"), ("import", "1")):
            output = subprocess.run([sys.executable, "-m", "bench.finess_import", "--child", str(extract), flag],
                                    check=True, capture_output=True, text=True).stdout
            runs[name] = json.loads(output.strip().splitlines()[-1])
    report = {"rows": args.rows, "file_mb": size_mb, **runs}
    if args.json:
        print(json.dumps(report))
    else:
        imported = runs["import"]
        print(f"{args.rows} établissements ({size_mb} Mo) : {imported['seconds']} s, "
              f"{imported['read']} lus, {imported['new']} nouvelles fiches et {imported['updates']} mises à jour "
              f"proposées ; mémoire de pointe {imported['peak_mb']} Mo "
              f"(sans import : {runs['sans import']['peak_mb']} Mo)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
