"""CSV import and export of the directory, for coordinators working in a spreadsheet.

One row per entry, one column per flat path of an entry (``directory.diff.flatten``),
``;`` separator (``,`` is recognised too), lists joined with ``|``, booleans ``oui``/``non``,
empty cell = null. The format is described for coordinators in ``docs/CSV.md``.

Parsing only rebuilds raw entry dicts; validation stays with the one validator
(``directory.schema.validate_entry``, through ``directory.loader.check_entries``), so a CSV
file reports the same French errors as a YAML file, with the CSV line of each row.
Nothing here writes to the database: an import is previewed (``preview_import``), then
applied by the caller in one transaction.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import re
import types
import typing
from typing import Annotated, Any

from pydantic.fields import FieldInfo
from yaml.error import Mark
from yaml.nodes import ScalarNode

from directory.diff import BLOCK_PATHS, ENTRY_FIELDS, ENTRY_PATHS, FieldChange, diff_entries, flatten, schema_field
from directory.loader import LoadIssue, LoadResult, check_entries
from directory.reference import ReferenceData

CSV_COLUMNS: tuple[str, ...] = ENTRY_PATHS
SEPARATOR = ";"
LIST_SEPARATOR = "|"
TRUE_WORDS = frozenset({"oui", "true", "vrai", "1"})
FALSE_WORDS = frozenset({"non", "false", "faux", "0"})

INTEGER = re.compile(r"^[+-]?\d+$")
DECIMAL = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# A text cell that a spreadsheet would run as a formula is exported behind an apostrophe
# (itself kept when the text already starts with apostrophes), removed again on import.
FORMULA = re.compile(r"^'*[=+\-@\t\r]")


def _base_type(annotation: Any) -> Any:
    """``Annotated[int, …] | None`` → ``int``; ``list[…]`` → ``list``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    if typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_origin(annotation) or annotation


def _nullable(info: FieldInfo) -> bool:
    return type(None) in typing.get_args(info.annotation)


_KINDS = {bool: "bool", int: "int", float: "float", dt.date: "date", list: "list"}
# Conversion kind of each column ("text" when the cell is given as it is).
COLUMN_KINDS: dict[str, str] = {path: _KINDS.get(_base_type(info.annotation), "text")
                                for path, info in ENTRY_FIELDS.items()}
NULLABLE_COLUMNS = frozenset(path for path, info in ENTRY_FIELDS.items() if _nullable(info))
# Optional blocks (wait, hours, contacts.phone): null when all their cells are empty.
NULLABLE_BLOCKS = tuple(path for path in BLOCK_PATHS if _nullable(schema_field(path)))


# --- Export -------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    """Text of one cell; any cell that carries text (a text field or a joined list) is
    escaped against formula injection. Numbers, booleans and dates carry no text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        items = [str(item) for item in value]
        if any(LIST_SEPARATOR in item for item in items):
            raise ValueError(f"« {LIST_SEPARATOR} » interdit dans une valeur de liste : {items}")
        text = LIST_SEPARATOR.join(items)
    else:
        text = str(value)
    return f"'{text}" if FORMULA.match(text) else text


def entries_to_csv(entries: list[dict]) -> str:
    """CSV text (header + one row per entry, columns ``CSV_COLUMNS``) of entries given in
    the ``ServiceEntry.to_data()`` shape. Raises ValueError if a list item contains ``|``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for data in entries:
        flat = flatten(data)
        writer.writerow([_cell(flat.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


# --- Import -------------------------------------------------------------------------------

_OMIT = object()  # an empty cell of a non-nullable field: left out, so its default applies


def _value(column: str, cell: str) -> Any:
    """Python value of one cell; a value that does not convert is left as the raw text,
    so that the validator reports it with its field."""
    text = cell.strip()
    if not text:
        return None if column in NULLABLE_COLUMNS else _OMIT
    kind = COLUMN_KINDS[column]
    if kind in ("text", "list") and FORMULA.match(text) and text.startswith("'"):
        text = text[1:]  # the export's formula escape
    if kind == "list":
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    if kind == "bool":
        word = text.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else text
    if kind == "int":
        return int(text) if INTEGER.match(text) else text
    if kind == "float" and DECIMAL.match(text):
        number = float(text.replace(",", "."))
        return number if math.isfinite(number) else text
    if kind == "date" and (match := FRENCH_DATE.match(text)):
        day, month, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def _put(entry: dict, path: str, value: Any) -> None:
    """Set a dotted path in a nested dict, creating the blocks on the way."""
    *parents, leaf = path.split(".")
    for part in parents:
        entry = entry.setdefault(part, {})
    entry[leaf] = value


def _row_to_entry(cells: dict[str, str]) -> dict:
    """Nested raw entry of one row (``cells``: column → cell text)."""
    empty_blocks = [block for block in NULLABLE_BLOCKS
                    if not any(cells.get(path, "").strip() for path in BLOCK_PATHS[block])]
    entry: dict = {}
    for block in empty_blocks:
        _put(entry, block, None)
    for column, cell in cells.items():
        value = _value(column, cell)
        if value is not _OMIT and not any(column.startswith(f"{block}.") for block in empty_blocks):
            _put(entry, column, value)
    return entry


def _decode(text: str | bytes, label: str) -> tuple[str | None, list[LoadIssue]]:
    """Text of the file, or an encoding issue (UTF-8 expected, byte-order mark allowed)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            line = text[: error.start].count(b"\n") + 1
            return None, [LoadIssue(label, line, None, "(fichier)",
                                    "encodage invalide : enregistrer le fichier en « CSV UTF-8 »")]
    text = text.removeprefix("\ufeff")
    if "\ufffd" in text:
        line = text[: text.index("\ufffd")].count("\n") + 1
        return None, [LoadIssue(label, line, None, "(fichier)",
                                "caractère illisible : le fichier n'était pas en UTF-8 "
                                "(enregistrer en « CSV UTF-8 »)")]
    return text, []


def _sniff(text: str) -> str:
    """``;`` or ``,``: whichever the header line uses most (``;`` when tied)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return "," if header.count(",") > header.count(";") else ";"


def _check_header(row: list[str], line: int, label: str) -> tuple[dict[str, int], int, list[LoadIssue]]:
    """Column index of each known column, the number of columns, and the header's issues."""
    names = [cell.strip() for cell in row]
    while names and not names[-1]:
        names.pop()  # trailing separators left by some spreadsheets
    if not set(names) & set(CSV_COLUMNS):
        return {}, 0, [LoadIssue(label, line, None, "(en-tête)",
                                 "en-tête manquant : la première ligne doit nommer les colonnes "
                                 f"({SEPARATOR.join(CSV_COLUMNS[:4])}…)")]
    index: dict[str, int] = {}
    issues = []
    for position, name in enumerate(names):
        if name in index:
            issues.append(LoadIssue(label, line, None, name, "colonne en double"))
        elif name in CSV_COLUMNS:
            index[name] = position
        else:
            shown = name or f"(colonne n°{position + 1} sans nom)"
            issues.append(LoadIssue(label, line, None, shown, "colonne inconnue (faute de frappe ?)"))
    for name in CSV_COLUMNS:
        if name not in index:
            issues.append(LoadIssue(label, line, None, name, "colonne manquante"))
    return index, len(names), issues


def parse_csv(text: str | bytes, label: str) -> tuple[list[dict], list[int], list[LoadIssue]]:
    """Read a directory CSV: raw entry dicts (nested shape, not validated), the CSV line of
    each, and the file-level issues (encoding, header, unknown or missing columns, rows
    with the wrong number of cells). A row with the wrong number of cells is left out."""
    decoded, issues = _decode(text, label)
    if decoded is None:
        return [], [], issues
    if not decoded.strip():
        return [], [], [LoadIssue(label, None, None, "(fichier)", "fichier vide")]
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=_sniff(decoded))
    index: dict[str, int] | None = None
    width = 0
    entries: list[dict] = []
    lines: list[int] = []
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if index is None:
                index, width, issues = _check_header(row, line, label)
                if not index:
                    return [], [], issues
                continue
            while len(row) > width and not row[-1].strip():
                row.pop()
            if len(row) != width:
                entry_id = row[index["id"]].strip() if "id" in index and index["id"] < len(row) else None
                issues.append(LoadIssue(label, line, entry_id or None, "(ligne)",
                                        f"{len(row)} cellules au lieu de {width} "
                                        "(séparateur ou guillemets à vérifier)"))
                continue
            entries.append(_row_to_entry({column: row[i] for column, i in index.items()}))
            lines.append(line)
    except csv.Error as error:
        issues.append(LoadIssue(label, reader.line_num or None, None, "(fichier)", f"CSV illisible : {error}"))
        return [], [], issues
    if not entries and not issues:
        issues.append(LoadIssue(label, None, None, "(fichier)", "aucune entrée après l'en-tête"))
    return entries, lines, issues


def _row_node(line: int) -> ScalarNode:
    """A stand-in YAML node for a CSV row: ``directory.loader.line_of`` returns its line
    whatever the field, which is how ``check_entries`` reports CSV lines."""
    mark = Mark("csv", 0, line - 1, 0, None, None)
    return ScalarNode("tag:yaml.org,2002:str", "", mark, mark)


def _csv_wording(issue: LoadIssue) -> LoadIssue:
    # Booleans are written oui/non in a CSV file, true/false in YAML.
    if COLUMN_KINDS.get(issue.field) == "bool" and "true ou false" in issue.message:
        return dataclasses.replace(issue, message=issue.message.replace("true ou false", "oui ou non"))
    return issue


def check_csv(text: str | bytes, reference: ReferenceData, label: str = "<csv>",
              max_entries: int | None = None) -> LoadResult:
    """Parse and validate a directory CSV: every issue at once, each with the file, the CSV
    line, the entry id and the field (same result type as ``loader.check_text``)."""
    raw_entries, lines, issues = parse_csv(text, label)
    if not raw_entries:
        return LoadResult([], issues)
    result = check_entries(raw_entries, [_row_node(line) for line in lines], reference, label, max_entries)
    issues = sorted(issues + [_csv_wording(issue) for issue in result.issues],
                    key=lambda issue: issue.line or 0)
    return LoadResult(result.entries, issues)


# --- Preview ------------------------------------------------------------------------------

@dataclasses.dataclass
class ImportPreview:
    """What an import would do, compared by id with the stored directory."""

    added: list[dict] = dataclasses.field(default_factory=list)
    changed: list[tuple[dict, list[FieldChange]]] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Number of entries in each group."""
        return {"added": len(self.added), "changed": len(self.changed),
                "removed": len(self.removed), "unchanged": len(self.unchanged)}

    @property
    def has_changes(self) -> bool:
        """True when applying the import would change something."""
        return bool(self.added or self.changed or self.removed)


def preview_import(current: dict[str, dict], incoming: list[dict]) -> ImportPreview:
    """Compare incoming entries (validated, ``to_data()`` shape) with the stored ones
    (id → data); each group is sorted by id.

    ``removed`` lists the stored ids absent from the file, except entries already closed:
    the caller decides whether to apply removals, by closing them (status ``closed``),
    never by deleting them. Raises ValueError on a duplicate incoming id.
    """
    preview = ImportPreview()
    seen: set[str] = set()
    for data in sorted(incoming, key=lambda item: item["id"]):
        entry_id = data["id"]
        if entry_id in seen:
            raise ValueError(f"identifiant en double « {entry_id} »")
        seen.add(entry_id)
        if entry_id not in current:
            preview.added.append(data)
        elif changes := diff_entries(current[entry_id], data):
            preview.changed.append((data, changes))
        else:
            preview.unchanged.append(entry_id)
    preview.removed = sorted(entry_id for entry_id, data in current.items()
                             if entry_id not in seen and data.get("status") != "closed")
    return preview
