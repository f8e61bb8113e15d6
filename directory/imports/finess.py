"""Reading FINESS establishments: the semicolon CSV extract published on data.gouv.fr
(``structureet`` lines) and the data.gouv « structures » JSON feed v1 (``ansforge/finess``).

Only the categories of ``data/registers.yaml`` (``finess.categories``, official codes of
the nomenclature) become records; the others are counted, never guessed into a type. The
CSV is read line by line (the national file holds about 100,000 establishments): the
département filter is applied before anything else is parsed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from directory.imports.records import (
    OTHER_DEPARTEMENT,
    ImportedRecord,
    RecordIssue,
    Skipped,
    clean_email,
    departement_of,
    phone_block,
)

SOURCE = "finess"
LABEL = "FINESS (data.gouv)"
# Fields of a ``structureet`` line of the CSV extract, in order (after the line's kind).
CSV_FIELDS = ("nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
              "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
              "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
              "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai")
NOT_RETAINED = "catégorie FINESS non retenue par l'annuaire"


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def _coordinate(text, bound: float) -> float | None:
    """A WGS84 degree of the JSON feed (the CSV's Lambert coordinates are not used)."""
    try:
        value = round(float(text), 5)
    except (TypeError, ValueError):
        return None
    return value if -bound <= value <= bound else None


def _insee(departement: str, commune: str) -> str | None:
    """INSEE code of the CSV's département and commune code (3 digits, or 2 after a
    3-character overseas département)."""
    departement, commune = (departement or "").strip(), (commune or "").strip()
    if not departement or not commune:
        return None
    code = departement + commune[-(5 - len(departement)):]
    return code if len(code) == 5 else None


def _street(fields: dict) -> str | None:
    street = " ".join(p for p in (fields.get("numvoie"), fields.get("compvoie"), fields.get("typvoie"),
                                  fields.get("voie")) if p)
    parts = [street, fields.get("lieuditbp"), fields.get("ligneacheminement")]
    return ", ".join(p.strip() for p in parts if p and p.strip()) or None


def establishment(fields: dict, where: str, categories: dict) -> ImportedRecord | RecordIssue | Skipped:
    """One establishment (CSV or JSON fields under the CSV's names) as a record."""
    number = (fields.get("nofinesset") or "").strip()
    if len(number) != 9:
        return RecordIssue(where, f"numéro FINESS d'établissement invalide « {number} »")
    category = (fields.get("categetab") or "").strip()
    kind = categories.get(category)
    if kind is None:
        return Skipped(NOT_RETAINED)
    updated = _date(fields.get("datemaj"))
    if updated is None:
        return RecordIssue(where, f"date de mise à jour invalide « {fields.get('datemaj')} » (AAAA-MM-JJ)")
    insee = fields.get("code_insee") or _insee(fields.get("departement", ""), fields.get("commune", ""))
    siret = "".join((fields.get("siret") or "").split()) or None
    values = {
        "name": (fields.get("rslongue") or fields.get("rs") or "").strip(),
        "site.commune": insee,
        "site.address": _street(fields),
        "contacts.phone": phone_block(fields.get("telephone"), LABEL),
        "contacts.email": clean_email(fields.get("courriel")),
        "site.lat": _coordinate(fields.get("lat"), 90), "site.lon": _coordinate(fields.get("lon"), 180),
        "identifiers.finess": number,
        "identifiers.siret": siret if siret and len(siret) == 14 and siret.isdigit() else None,
        "types": [kind["type"]],
        "problems": list(kind.get("problems", [])),
    }
    if not values["name"]:
        return RecordIssue(where, "raison sociale vide")
    departement = (fields.get("departement") or "").strip() or departement_of(insee)
    return ImportedRecord(SOURCE, f"finess:{number}", LABEL, updated, where, departement,
                          {k: v for k, v in values.items() if v not in (None, "", [])})


def _csv_lines(path: Path, on_bytes: Callable[[int], None] | None) -> Iterator[tuple[int, str]]:
    with Path(path).open("rb") as raw:
        for number, line in enumerate(raw, 1):
            if on_bytes:
                on_bytes(len(line))
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                text = line.decode("latin-1")  # the historical extracts are in Latin-1
            yield number, text.rstrip("\r\n")


def read_finess_csv(path: Path, categories: dict, departement: str | None = None,
                    on_bytes: Callable[[int], None] | None = None) -> Iterator[ImportedRecord | RecordIssue | Skipped]:
    """Records of the CSV extract: ``structureet`` lines only (the header line and the
    ``geolocalisation`` lines, in Lambert coordinates, are not used)."""
    prefix = None if not departement else departement
    for number, line in _csv_lines(path, on_bytes):
        if not line.startswith("structureet;"):
            continue
        cells = next(csv.reader(io.StringIO(line), delimiter=";"))[1:]
        if len(cells) != len(CSV_FIELDS):
            yield RecordIssue(f"ligne {number}", f"{len(cells)} champs au lieu de {len(CSV_FIELDS)}")
            continue
        if prefix is not None and cells[12].strip() != prefix:
            yield Skipped(OTHER_DEPARTEMENT)
            continue
        yield establishment(dict(zip(CSV_FIELDS, cells, strict=True)), f"ligne {number}", categories)


def read_finess(path: Path, mapping: dict, departement: str | None = None,
                on_bytes: Callable[[int], None] | None = None) -> Iterator[ImportedRecord | RecordIssue | Skipped]:
    """Records of a FINESS file, CSV extract or JSON feed (told apart by their first byte)."""
    with Path(path).open("rb") as raw:
        first = raw.read(64).lstrip()[:1]
    categories = {str(code): kind for code, kind in (mapping.get("categories") or {}).items()}
    if first in (b"[", b"{"):
        return read_finess_json(path, categories, departement, on_bytes)
    return read_finess_csv(path, categories, departement, on_bytes)


# Required by the « structures » schema v1 (ansforge/finess, flux/out/data.gouv/structure/
# schema/schema-structures-v1.json): of an EGE, and of its informationsGeneralesEGE.
EGE_REQUIRED = ("informationsGeneralesEGE", "etatObjet", "dateDerniereMaj")
EGE_GENERAL_REQUIRED = ("egeId", "dateOuverture", "datePremiereAutorisation", "nomEgeCourt", "nomEgeLong",
                        "numFinessEge")
CLOSED = "établissement fermé ou inactif"


def read_finess_json(path: Path, categories: dict, departement: str | None = None,
                     on_bytes: Callable[[int], None] | None = None) -> Iterator[ImportedRecord | RecordIssue | Skipped]:
    """Records of the data.gouv « structures » JSON feed v1: ``{schemaVersion, generatedAt,
    pmej: [{informationsGeneralesPMEJ, ege: [établissement, …]}, …]}`` (``schemaVersion``
    and ``generatedAt`` may sit under ``metadata``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        yield RecordIssue("fichier", f"JSON illisible ({error})")
        return
    if on_bytes:
        on_bytes(Path(path).stat().st_size)
    if not isinstance(data, dict) or not isinstance(data.get("pmej"), list):
        yield RecordIssue("fichier", "attendu : un objet du flux « structures » v1 avec une liste « pmej »")
        return
    for i, legal in enumerate(data["pmej"]):
        if not isinstance(legal, dict) or not isinstance(legal.get("ege", []), list):
            yield RecordIssue(f"pmej[{i}]", "entité juridique illisible (objet avec une liste « ege » attendu)")
            continue
        for j, site in enumerate(legal.get("ege", [])):
            where = f"pmej[{i}].ege[{j}]"
            missing = _missing(site)
            if missing:
                yield RecordIssue(where, "champ obligatoire manquant : " + ", ".join(missing))
                continue
            fields = json_fields(legal, site)
            if departement and fields["departement"] != departement:
                yield Skipped(OTHER_DEPARTEMENT)
                continue
            if site.get("etatObjet") != "A" or site["informationsGeneralesEGE"].get("dateFermeture"):
                yield Skipped(CLOSED)
                continue
            yield establishment(fields, where, categories)


def _missing(site) -> list[str]:
    if not isinstance(site, dict):
        return ["(établissement)"]
    missing = [name for name in EGE_REQUIRED if site.get(name) in (None, "")]
    general = site.get("informationsGeneralesEGE")
    if isinstance(general, dict):
        missing += [f"informationsGeneralesEGE.{n}" for n in EGE_GENERAL_REQUIRED if general.get(n) in (None, "")]
    return missing


def _first(items) -> dict:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def json_fields(legal: dict, site: dict) -> dict:
    """An establishment of the JSON feed under the CSV's field names."""
    general = site["informationsGeneralesEGE"]
    address = _first(site.get("adresse"))
    telecom = _first(site.get("contact")).get("telecom") or {}
    insee = (address.get("cogCommune") or "").strip() or None
    town = " ".join(p for p in (address.get("codePostal"), address.get("ligneAcheminement")) if p)
    place = address.get("coordonneesGeographique") or {}
    return {
        "nofinesset": general.get("numFinessEge"),
        "nofinessej": (legal.get("informationsGeneralesPMEJ") or {}).get("numFinessPm"),
        "rs": general.get("nomEgeCourt"), "rslongue": general.get("nomEgeLong"),
        "numvoie": address.get("numeroVoie"), "typvoie": (address.get("typeVoie") or "").strip(),
        "voie": address.get("libelleVoie"), "compvoie": address.get("complementVoie"),
        "lieuditbp": address.get("lieuDit"), "ligneacheminement": town,
        "code_insee": insee, "departement": departement_of(insee),
        "telephone": telecom.get("telephone"), "courriel": telecom.get("courriel"),
        "categetab": site.get("categorieentiteGeographiqueExercice"),
        "siret": general.get("siret"), "datemaj": site.get("dateDerniereMaj"),
        "lat": place.get("directionLatitude"), "lon": place.get("directionLongitude"),
    }
