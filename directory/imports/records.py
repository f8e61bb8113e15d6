"""What an import reads from a register: records, issues, and the fields a register owns."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from directory.paths import DATA_DIR, SAFE_LOADER

# The fields a register may fill or change. Everything else (zone, eligibility, waits, how
# to refer, notes, status…) is what only the network knows: an import never changes it.
REGISTER_PATHS = ("name", "operator", "description", "site.commune", "site.address", "site.lat", "site.lon",
                  "contacts.phone", "contacts.email", "contacts.website", "hours.osm",
                  "identifiers.finess", "identifiers.siret", "identifiers.data_inclusion")
# Filled only when the record becomes a new entry (a coordinator's classification stays).
NEW_ENTRY_PATHS = ("types", "problems")

_PHONE_DIGITS = re.compile(r"^(?:\+33|0033|0)([1-9]\d{8})$")


@dataclass(frozen=True)
class RecordIssue:
    """A record that could not be read: where (line or index) and why, in French."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where} : {self.message}"


OTHER_DEPARTEMENT = "hors du département demandé"


@dataclass(frozen=True)
class Skipped:
    """A record the directory does not take (a pharmacy in the FINESS file): counted only."""

    reason: str


@dataclass
class ImportedRecord:
    """One structure or service of a register, in the directory's terms.

    ``values`` maps paths of ``REGISTER_PATHS`` and ``NEW_ENTRY_PATHS`` to values
    (``contacts.phone`` is a whole phone block); ``departement`` is where it is sited."""

    source: str  # "data-inclusion" | "finess"
    source_id: str  # the register's own identifier, e.g. "finess:720000123"
    source_label: str  # « FINESS (data.gouv) », shown as the provenance of each field
    source_date: dt.date
    where: str  # line or index in the file, for the summary
    departement: str | None
    values: dict[str, Any] = field(default_factory=dict)


def departement_of(insee: str | None) -> str | None:
    """The département code of an INSEE commune code (three characters overseas)."""
    if not insee:
        return None
    return insee[:3] if insee.startswith("97") else insee[:2]


def french_phone(raw: Any) -> str | None:
    """« 0243…», « +33 2 43 … », « 02.43.… » → « 02 43 29 30 20 »; None for anything else
    (short numbers, foreign numbers): nothing is guessed."""
    if raw in (None, ""):
        return None
    digits = re.sub(r"[\s.\-/()]", "", str(raw))
    match = _PHONE_DIGITS.match(digits)
    if not match:
        return None
    national = "0" + match.group(1)
    return " ".join(national[i:i + 2] for i in range(0, 10, 2))


def clean_email(raw: Any) -> str | None:
    """An e-mail address the directory's validator accepts, else None (never repaired)."""
    from directory.schema import EMAIL

    text = str(raw or "").strip()
    return text if text and EMAIL.match(text) else None


def clean_url(raw: Any) -> str | None:
    """A web address the directory's validator accepts, else None."""
    from directory.schema import URL

    text = str(raw or "").strip()
    return text if text and URL.match(text) else None


def phone_block(raw: Any, source_label: str) -> dict | None:
    """A real phone block with its source, or None."""
    number = french_phone(raw)
    return {"number": number, "placeholder": False, "source": source_label} if number else None


@lru_cache(maxsize=4)
def _mapping(path: str) -> dict:
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def register_mapping(data_dir: Path = DATA_DIR) -> dict:
    """``data/registers.yaml``: how register codes become Maillage's types and problems."""
    return _mapping(str(Path(data_dir) / "registers.yaml"))


MAX_NESTING = 64  # a register file nests a handful of levels; 200,000 is an attack


def load_json(path: Path):
    """A register's JSON, or ``RecordIssue`` when it cannot be read: not UTF-8, malformed,
    or nested deeper than any register (the standard parser would recurse until it fails)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return RecordIssue("fichier", f"JSON illisible : pas en UTF-8 (octet {error.start})")
    if _nesting(text) > MAX_NESTING:
        return RecordIssue("fichier", f"JSON trop imbriqué (plus de {MAX_NESTING} niveaux)")
    try:
        return json.loads(text.replace("\\u0000", ""))
    except (json.JSONDecodeError, RecursionError) as error:
        return RecordIssue("fichier", f"JSON illisible ({error})")


def _nesting(text: str) -> int:
    """The deepest bracket nesting of a JSON text (brackets inside strings not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def text_of(value: Any) -> str:
    """A field read as text whatever its JSON type: a string stripped of NUL characters,
    a number written out, anything else (object, list, boolean, null) empty."""
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def dict_of(value: Any) -> dict:
    """A field expected to be an object: itself, or an empty one when it is not."""
    return value if isinstance(value, dict) else {}
