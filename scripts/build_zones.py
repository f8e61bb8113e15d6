"""Build ``data/zones.yaml``: the named zones referenced as ``zone:<code>``.

Named zones are sets of Sarthe communes (INSEE codes) that service entries of
``data/partners.yaml`` refer to instead of repeating long commune lists:

* the five CMP sectors and the six *circonscriptions d'action sociale* are
  ILLUSTRATIVE: the real sector maps were not obtained (REFERENCE §8.6 items
  2-3). Each is the set of communes whose centroid is nearest (great-circle
  distance) to the sector's site commune, plus a few fixed assignments so
  that the reference communes land where the directory expects them;
* three zones are whole EPCI (communautés de communes) used by the local
  platforms: Pays sabolien, Pays fléchois, Maine Saosnois (Mamers).

Only the standard library is used (csv + gzip in, hand-written YAML out), and
the output is deterministic: same inputs, byte-identical file.

Usage (from the repository root)::

    python scripts/build_zones.py
    python scripts/build_zones.py --communes data/communes.csv.gz \
        --epci data/epci.csv --output data/zones.yaml
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPARTEMENT = "72"
ILLUSTRATIVE_SOURCE = (
    "Découpage illustratif par commune la plus proche du site {site} "
    "(distance entre centroïdes ; REFERENCE §8.4, §8.6)"
)

# Each partition: (zone code, label, site commune INSEE code, site name).
# Order matters: it breaks distance ties and EPCI-majority ties.
CMP_SECTORS = [
    ("secteur_cmp_le_mans_nord_coulaines",
     "Secteur CMP Le Mans nord / Coulaines (illustratif)", "72095", "Coulaines"),
    ("secteur_cmp_le_mans_sud_allonnes",
     "Secteur CMP Le Mans sud / Allonnes (illustratif)", "72003", "Allonnes"),
    ("secteur_cmp_la_fleche",
     "Secteur CMP La Flèche (illustratif)", "72154", "La Flèche"),
    ("secteur_cmp_sable",
     "Secteur CMP Sablé-sur-Sarthe (illustratif)", "72264", "Sablé-sur-Sarthe"),
    ("secteur_cmp_mamers",
     "Secteur CMP Mamers / Nord-Sarthe (illustratif)", "72180", "Mamers"),
]
# Le Mans itself is split between several real sectors; here the whole
# commune goes to the northern sector (illustrative choice, see partners.yaml).
CMP_FIXED = {
    "72181": "secteur_cmp_le_mans_nord_coulaines",
    "72095": "secteur_cmp_le_mans_nord_coulaines",
    "72003": "secteur_cmp_le_mans_sud_allonnes",
    "72154": "secteur_cmp_la_fleche",
    "72264": "secteur_cmp_sable",
    "72180": "secteur_cmp_mamers",
}

CIRCONSCRIPTIONS = [
    ("circonscription_le_mans",
     "Circonscription d'action sociale du Mans (illustrative)", "72181", "Le Mans"),
    ("circonscription_allonnes",
     "Circonscription d'action sociale couvrant Allonnes (illustrative)", "72003",
     "Allonnes"),
    ("circonscription_coulaines",
     "Circonscription d'action sociale couvrant Coulaines (illustrative)", "72095",
     "Coulaines"),
    ("circonscription_la_fleche",
     "Circonscription d'action sociale de La Flèche (illustrative)", "72154",
     "La Flèche"),
    ("circonscription_sable",
     "Circonscription d'action sociale de Sablé-sur-Sarthe (illustrative)", "72264",
     "Sablé-sur-Sarthe"),
    ("circonscription_mamers",
     "Circonscription d'action sociale de Mamers / Nord-Sarthe (illustrative)",
     "72180", "Mamers"),
]
CIRCONSCRIPTION_FIXED = {site: code for code, _label, site, _name in CIRCONSCRIPTIONS}

# EPCI zones: (zone code, label, member commune that must belong to it,
# words that the normalised EPCI name must contain).
EPCI_ZONES = [
    ("cc_pays_sabolien", "Communauté de communes du Pays sabolien", "72264",
     ("pays", "sabolien")),
    ("cc_pays_flechois", "Communauté de communes du Pays fléchois", "72154",
     ("pays", "flechois")),
    ("cc_maine_saosnois", "Communauté de communes Maine Saosnois (Mamers)", "72180",
     ("maine", "saosnois")),
]

HEADER = """\
# Zones nommées de Maillage (généré par scripts/build_zones.py — ne pas éditer à la main).
#
# Une zone nommée est un ensemble de communes de la Sarthe (codes INSEE) qu'une fiche
# de data/partners.yaml référence par « zone:<code> » au lieu de répéter la liste.
# La liste « communes » fait foi ; « epci » (SIREN) n'est qu'un renvoi informatif.
#
# ATTENTION : les secteurs de CMP et les circonscriptions d'action sociale sont
# ILLUSTRATIFS. La carte réelle des secteurs psychiatriques (EPSM de la Sarthe) et le
# découpage réel des circonscriptions (Département) n'ont pas été obtenus
# (REFERENCE §8.6, points 2 et 3). Chaque commune est rattachée au site le plus proche
# (distance orthodromique entre centroïdes ; communes sans coordonnées : secteur
# majoritaire de leur EPCI), avec quelques rattachements fixes (Le Mans rattaché au
# secteur CMP « Le Mans nord / Coulaines » par choix illustratif). À remplacer par les
# découpages officiels dès qu'ils sont connus.
#
# Régénérer : python scripts/build_zones.py   (lit data/communes.csv.gz et data/epci.csv)
"""


def normalise(text: str) -> str:
    """Lower-case ASCII form of a name, for matching EPCI names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def read_communes(path: Path) -> dict[str, dict]:
    """Current communes of the département, keyed by INSEE code."""
    communes = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["departement"] != DEPARTEMENT or row["kind"] != "commune":
                continue
            coords = None
            if row["lat"] and row["lon"]:
                coords = (float(row["lat"]), float(row["lon"]))
            communes[row["insee"]] = {"name": row["name"], "epci": row["epci"],
                                      "coords": coords}
    if not communes:
        sys.exit(f"{path}: aucune commune du département {DEPARTEMENT}")
    return communes


def read_epci(path: Path) -> dict[str, str]:
    """EPCI names keyed by SIREN."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def partition(communes: dict[str, dict], sites: list[tuple], fixed: dict[str, str]
              ) -> dict[str, list[str]]:
    """Assign every commune to one zone of ``sites`` (nearest site, fixed first)."""
    order = [code for code, *_ in sites]
    for _code, _label, site, _name in sites:
        if communes.get(site, {}).get("coords") is None:
            sys.exit(f"site {site} absent ou sans coordonnées dans communes.csv.gz")
    assigned: dict[str, str] = {}
    pending = []
    for insee, commune in sorted(communes.items()):
        if insee in fixed:
            assigned[insee] = fixed[insee]
        elif commune["coords"] is None:
            pending.append(insee)
        else:
            lat, lon = commune["coords"]
            assigned[insee] = min(
                sites,
                key=lambda s: (haversine_km(lat, lon, *communes[s[2]]["coords"]),
                               order.index(s[0])),
            )[0]
    for insee in pending:
        epci = communes[insee]["epci"]
        votes = Counter(zone for other, zone in assigned.items()
                        if communes[other]["epci"] == epci and other not in pending)
        if votes:
            best = max(votes.values())
            assigned[insee] = next(code for code in order if votes.get(code) == best)
        else:  # isolated commune with no known EPCI neighbour: first zone
            assigned[insee] = order[0]
    zones: dict[str, list[str]] = {code: [] for code in order}
    for insee, code in sorted(assigned.items()):
        zones[code].append(insee)
    return zones


def find_epci(communes: dict[str, dict], epci_names: dict[str, str], member: str,
              words: tuple[str, ...]) -> str:
    """SIREN of the EPCI that contains ``member`` and whose name has ``words``."""
    candidates = [code for code, name in sorted(epci_names.items())
                  if all(w in normalise(name).split() for w in words)]
    siren = communes[member]["epci"]
    if siren not in candidates:
        sys.exit(f"EPCI de {member} ({siren}) introuvable parmi {candidates} "
                 f"pour {' '.join(words)}")
    return siren


def quoted(value: str) -> str:
    """YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def communes_block(codes: list[str], per_line: int = 10) -> str:
    """Flow sequence of quoted INSEE codes wrapped over several lines."""
    items = [quoted(c) for c in codes]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "    communes: [" + (",\n               ".join(lines)) + "]\n"


def render(zones: list[dict]) -> str:
    """The YAML text of the zone file."""
    out = [HEADER, "zones:\n"]
    for zone in zones:
        out.append(f"  - code: {zone['code']}\n")
        out.append(f"    label: {quoted(zone['label'])}\n")
        out.append(f"    status: {zone['status']}\n")
        out.append(f"    source: {quoted(zone['source'])}\n")
        if zone.get("epci"):
            out.append(f"    epci: {quoted(zone['epci'])}\n")
        out.append(communes_block(zone["communes"]))
    return "".join(out)


def build(communes_path: Path, epci_path: Path) -> tuple[str, list[dict]]:
    """Compute all zones and return (yaml text, zones)."""
    communes = read_communes(communes_path)
    epci_names = read_epci(epci_path)
    zones = []
    for sites, fixed in ((CMP_SECTORS, CMP_FIXED), (CIRCONSCRIPTIONS, CIRCONSCRIPTION_FIXED)):
        parts = partition(communes, sites, fixed)
        for code, label, site, name in sites:
            zones.append({
                "code": code, "label": label, "status": "illustrative",
                "source": ILLUSTRATIVE_SOURCE.format(site=f"{name} ({site})"),
                "communes": parts[code],
            })
    for code, label, member, words in EPCI_ZONES:
        siren = find_epci(communes, epci_names, member, words)
        zones.append({
            "code": code, "label": label, "status": "active",
            "source": (f"Périmètre de l'EPCI {epci_names[siren]} (SIREN {siren}) "
                       "d'après data/communes.csv.gz et data/epci.csv"),
            "epci": siren,
            "communes": sorted(i for i, c in communes.items() if c["epci"] == siren),
        })
    return render(zones), zones


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=Path, default=ROOT / "data" / "communes.csv.gz")
    parser.add_argument("--epci", type=Path, default=ROOT / "data" / "epci.csv")
    parser.add_argument("--output", type=Path, default=ROOT / "data" / "zones.yaml")
    args = parser.parse_args(argv)
    text, zones = build(args.communes, args.epci)
    args.output.write_text(text, encoding="utf-8")
    sizes = ", ".join(f"{z['code']}={len(z['communes'])}" for z in zones)
    print(f"{args.output}: {len(zones)} zones ({sizes})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
