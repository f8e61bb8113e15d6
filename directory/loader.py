"""Read a directory YAML file and validate every entry, reporting all errors at once.

Each error names the file, the line, the entry id and the field, in French, so that a
coordinator can fix a file in one pass. Nothing is written here: storing a checked file
is ``directory.storage.upsert_entries``, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from directory.paths import SAFE_LOADER
from directory.reference import ReferenceData
from directory.schema import ServiceEntry, validate_entry

# libyaml's parser when available (about ten times faster), same nodes and line marks.
_SafeLoader = SAFE_LOADER


@dataclass(frozen=True)
class LoadIssue:
    """One error of a directory file."""

    file: str
    line: int | None
    entry_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        entry = f" · entrée « {self.entry_id} »" if self.entry_id else ""
        return f"{where}{entry} · champ {self.field} : {self.message}"

    def as_dict(self) -> dict:
        """JSON representation (API, import preview)."""
        return {"file": self.file, "line": self.line, "id": self.entry_id,
                "field": self.field, "message": self.message}


@dataclass
class LoadResult:
    """Entries that passed validation and the issues found; valid only when no issue."""

    entries: list[ServiceEntry]
    issues: list[LoadIssue]

    @property
    def ok(self) -> bool:
        """True when the whole file is valid."""
        return not self.issues


def line_of(node: Node | None, loc: tuple) -> int | None:
    """Line (1-based) of the deepest node reachable along ``loc``."""
    if node is None:
        return None
    current = node
    for part in loc:
        child = None
        if isinstance(current, MappingNode) and isinstance(part, str):
            for key, value in current.value:
                if getattr(key, "value", None) == part:
                    child = value if isinstance(value, (MappingNode, SequenceNode)) else key
                    break
        elif isinstance(current, SequenceNode) and isinstance(part, int) and part < len(current.value):
            child = current.value[part]
        if child is None:
            break
        current = child
    return current.start_mark.line + 1


def _first_alias(text: str) -> tuple[int, str] | None:
    """(line, name) of the first anchor or alias of a document, if any.

    Directory files never need them, and an alias bomb (aliases of aliases) would make a
    300 KB file expand into gigabytes once validated: they are refused before composing.
    """
    if "&" not in text and "*" not in text:
        return None
    for event in yaml.parse(text, Loader=_SafeLoader):
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent) or anchor:
            return event.start_mark.line + 1, anchor or ""
    return None


def parse_yaml_document(text: str, label: str) -> tuple[Any, Node | None, list[LoadIssue]]:
    """Parse a YAML document keeping its node tree (for line numbers); a syntax error, an
    anchor or an alias becomes an issue with its line."""
    try:
        alias = _first_alias(text)
        if alias is not None:
            return None, None, [LoadIssue(label, alias[0], None, "(fichier)",
                                          f"ancres et alias YAML non acceptés (« {alias[1]} ») : "
                                          "écrivez chaque valeur en entier")]
        loader = _SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        return None, None, [LoadIssue(label, mark.line + 1 if mark else None, None, "(fichier)",
                                      f"syntaxe YAML invalide : {problem}")]
    return data, root, []


def parse_yaml_text(text: str, label: str) -> tuple[list, list[Node | None], list[LoadIssue]]:
    """Parse a directory document; return raw entries, their YAML nodes and file-level issues."""
    data, root, issues = parse_yaml_document(text, label)
    if issues:
        return [], [], issues
    if isinstance(data, dict) and isinstance(data.get("services"), list):
        seq = next(v for k, v in root.value if getattr(k, "value", None) == "services")
        return data["services"], list(seq.value), []
    if isinstance(data, list):
        return data, list(root.value), []
    return [], [], [LoadIssue(label, 1, None, "(fichier)",
                              "le fichier doit contenir une liste « services: » d'entrées")]


def check_entries(raw_entries: list, nodes: list[Node | None], reference: ReferenceData,
                  label: str, max_entries: int | None = None) -> LoadResult:
    """Validate raw entries (dicts) and detect duplicate ids; collect every issue. Beyond
    ``max_entries`` entries, the file is refused before any validation."""
    if max_entries is not None and len(raw_entries) > max_entries:
        return LoadResult([], [LoadIssue(label, None, None, "(fichier)",
                                         f"trop d'entrées ({len(raw_entries)}) : {max_entries} au plus par "
                                         "import ; chargez un annuaire plus grand avec « maillage load »")])
    entries: list[ServiceEntry] = []
    issues: list[LoadIssue] = []
    seen: dict[str, int | None] = {}
    for index, raw in enumerate(raw_entries):
        node = nodes[index] if index < len(nodes) else None
        entry_id = raw.get("id") if isinstance(raw, dict) else None
        entry_id = str(entry_id) if entry_id is not None else None
        entry, errors = validate_entry(raw, reference)
        for error in errors:
            issues.append(LoadIssue(label, line_of(node, error.loc), entry_id or f"n°{index + 1}",
                                    error.field, error.message))
        if entry_id is not None and entry_id in seen:
            first = seen[entry_id]
            issues.append(LoadIssue(label, line_of(node, ("id",)), entry_id, "id",
                                    f"identifiant en double (déjà utilisé ligne {first})"))
        elif entry_id is not None:
            seen[entry_id] = line_of(node, ("id",))
        if entry is not None:
            entries.append(entry)
    return LoadResult(entries, issues)


def check_text(text: str, reference: ReferenceData, label: str = "<texte>",
               max_entries: int | None = None) -> LoadResult:
    """Parse and validate a YAML document given as text (at most ``max_entries`` entries)."""
    raw_entries, nodes, issues = parse_yaml_text(text, label)
    if issues:
        return LoadResult([], issues)
    return check_entries(raw_entries, nodes, reference, label, max_entries)


def check_file(path: Path, reference: ReferenceData) -> LoadResult:
    """Parse and validate a YAML directory file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return LoadResult([], [LoadIssue(str(path), None, None, "(fichier)",
                                         f"lecture impossible : {error}")])
    return check_text(text, reference, str(path))
