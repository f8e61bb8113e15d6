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
from collections.abc import Callable, Iterator
from pathlib import Path

from directory.imports.records import (
    OTHER_DEPARTEMENT,
    ImportedRecord,
    RecordIssue,
    Skipped,
    clean_email,
    departement_of,
    dict_of,
    load_json,
    phone_block,
    text_of,
)

SOURCE = "finess"
LABEL = "FINESS (data.gouv)"
# Fields of a ``structureet`` line of the CSV extract, in order (after the line's kind).
CSV_FIELDS = ("nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
              "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
              "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
              "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai")
NOT_RETAINED = "catégorie FINESS non retenue par l'annuaire"
# A field longer than this is refused with its line (the csv module's own limit is 131,072).
MAX_FIELD = 10_000


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
    fields = {key: text_of(value) for key, value in fields.items()}
    number = fields.get("nofinesset") or ""
    if len(number) != 9:
        return RecordIssue(where, f"numéro FINESS d'établissement invalide « {number} »")
    category = fields.get("categetab") or ""
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


def decode_line(line: bytes) -> tuple[str, str | None]:
    """A line's text and, when a byte had to be replaced, what to report. Decided line by
    line: UTF-8 when it is; Latin-1 when the line has no UTF-8 character at all (the
    historical extracts); a UTF-8 line with a stray byte keeps its UTF-8 (« MÉDICO »,
    never « MÃ\x89DICO ») and the byte is reported."""
    try:
        return line.decode("utf-8"), None
    except UnicodeDecodeError as error:
        utf8 = line.decode("utf-8", errors="ignore")
        if utf8.isascii():
            return line.decode("latin-1"), None
        return (line.decode("utf-8", errors="replace"),
                f"octet invalide 0x{line[error.start]:02X} en position {error.start + 1}, remplacé par « � »")


def _csv_lines(path: Path, on_bytes: Callable[[int], None] | None) -> Iterator[tuple[int, str, str | None]]:
    with Path(path).open("rb") as raw:
        for number, line in enumerate(raw, 1):
            if on_bytes:
                on_bytes(len(line))
            text, problem = decode_line(line)
            yield number, text.rstrip("\r\n").replace("\x00", ""), problem


def _cells(line: str) -> list[str] | str:
    """The cells of a ``structureet`` line, or why they cannot be read."""
    try:
        cells = next(csv.reader(io.StringIO(line), delimiter=";"))[1:]
    except csv.Error as error:
        return f"ligne CSV illisible ({error})"
    if any(len(cell) > MAX_FIELD for cell in cells):
        return f"champ de plus de {MAX_FIELD} caractères"
    return cells


def read_finess_csv(path: Path, categories: dict, departement: str | None = None,
                    on_bytes: Callable[[int], None] | None = None) -> Iterator[ImportedRecord | RecordIssue | Skipped]:
    """Records of the CSV extract: ``structureet`` lines only (the header line and the
    ``geolocalisation`` lines, in Lambert coordinates, are not used)."""
    prefix = None if not departement else departement
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD * 100))
    for number, line, problem in _csv_lines(path, on_bytes):
        if not line.startswith("structureet;"):
            continue
        if problem:
            yield RecordIssue(f"ligne {number}", problem)
        cells = _cells(line)
        if isinstance(cells, str):
            yield RecordIssue(f"ligne {number}", cells)
            continue
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
    data = load_json(path)
    if isinstance(data, RecordIssue):
        yield data
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
            if site.get("etatObjet") != "A" or dict_of(site["informationsGeneralesEGE"]).get("dateFermeture"):
                yield Skipped(CLOSED)
                continue
            yield establishment(fields, where, categories)


def _missing(site) -> list[str]:
    if not isinstance(site, dict):
        return ["(établissement)"]
    missing = [name for name in EGE_REQUIRED if site.get(name) in (None, "")]
    general = site.get("informationsGeneralesEGE")
    if general is not None and not isinstance(general, dict):
        return [*missing, "informationsGeneralesEGE (objet attendu)"]
    if isinstance(general, dict):
        missing += [f"informationsGeneralesEGE.{n}" for n in EGE_GENERAL_REQUIRED
                    if text_of(general.get(n)) == "" and general.get(n) not in (0,)]
    return missing


def _first(items) -> dict:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def json_fields(legal: dict, site: dict) -> dict:
    """An establishment of the JSON feed under the CSV's field names."""
    # Every field read with its expected JSON type: a number where a string is expected is
    # written out, an object or list where a string is expected is empty (never a crash).
    general = dict_of(site.get("informationsGeneralesEGE"))
    address = _first(site.get("adresse"))
    telecom = dict_of(_first(site.get("contact")).get("telecom"))
    insee = text_of(address.get("cogCommune")) or None
    town = " ".join(p for p in (text_of(address.get("codePostal")), text_of(address.get("ligneAcheminement"))) if p)
    place = dict_of(address.get("coordonneesGeographique"))
    return {
        "nofinesset": text_of(general.get("numFinessEge")),
        "nofinessej": text_of(dict_of(legal.get("informationsGeneralesPMEJ")).get("numFinessPm")),
        "rs": text_of(general.get("nomEgeCourt")), "rslongue": text_of(general.get("nomEgeLong")),
        "numvoie": text_of(address.get("numeroVoie")), "typvoie": text_of(address.get("typeVoie")),
        "voie": text_of(address.get("libelleVoie")), "compvoie": text_of(address.get("complementVoie")),
        "lieuditbp": text_of(address.get("lieuDit")), "ligneacheminement": town,
        "code_insee": insee, "departement": departement_of(insee),
        "telephone": text_of(telecom.get("telephone")), "courriel": text_of(telecom.get("courriel")),
        "categetab": text_of(site.get("categorieentiteGeographiqueExercice")),
        "siret": text_of(general.get("siret")), "datemaj": text_of(site.get("dateDerniereMaj")),
        "lat": place.get("directionLatitude"), "lon": place.get("directionLongitude"),
    }
