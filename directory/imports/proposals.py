"""From register records to proposals: match each record with the directory, then
propose a new entry or the fields that differ. Plain Python over entry dicts: nothing
is written here (``workspace.review`` stores and decides)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from directory.diff import value_at
from directory.imports.records import (
    NEW_ENTRY_PATHS,
    OTHER_DEPARTEMENT,
    REGISTER_PATHS,
    ImportedRecord,
    RecordIssue,
    Skipped,
)
from directory.reference import ReferenceData
from directory.schema import validate_entry
from directory.text import name_key, slugify

# Same commune and names this close (token set ratio, accents and case aside): same service.
NAME_MATCH_MIN = 88
IDENTIFIER_PATHS = ("identifiers.finess", "identifiers.siret", "identifiers.data_inclusion")
# Filled by an import only where the directory has nothing yet (a register's wording
# never replaces the network's).
ONLY_WHEN_EMPTY = ("operator", "description", "site.lat", "site.lon", "site.address")


def field_key(source_id: str, path: str, proposed: Any) -> str:
    """One field proposed by one register record: once proposed, never again with the same
    value (pending, accepted or refused, a second import of a file proposes nothing new)."""
    body = json.dumps([source_id, path, proposed], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class Proposal:
    """A new entry (``entry``) or field changes to an existing one (``changes``:
    ``{path: (current, proposed)}``), with the record it comes from."""

    kind: str  # "new" | "update"
    service_id: str
    record: ImportedRecord
    match: str | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    entry: dict | None = None

    @property
    def fingerprint(self) -> str:
        """Same record, same target, same proposed values: the same proposal (a second
        import of a file proposes nothing new)."""
        body = {"source": self.record.source_id, "kind": self.kind, "service": self.service_id,
                "changes": {p: proposed for p, (_current, proposed) in sorted(self.changes.items())},
                "entry": self.entry}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    def field_keys(self) -> list[str]:
        """The ``field_key`` of each proposed field (an update's)."""
        return [field_key(self.record.source_id, path, proposed) for path, (_c, proposed) in self.changes.items()]


@dataclass
class ImportSummary:
    """What an import read and proposed, for the command's last lines and the page."""

    read: int = 0
    issues: list[RecordIssue] = field(default_factory=list)
    other_departement: int = 0
    duplicates: int = 0
    unchanged: int = 0
    already_proposed: int = 0
    new: int = 0
    updates: int = 0
    matched_by: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """The summary in French."""
        lines = [f"{self.read} enregistrement(s) lu(s)",
                 f"{self.new} nouvelle(s) fiche(s) proposée(s), {self.updates} mise(s) à jour proposée(s)",
                 f"{self.unchanged} déjà à jour, {self.already_proposed} déjà proposé(s) (rien de nouveau)"]
        if self.matched_by:
            lines.append("rapprochées par : " + ", ".join(f"{k} {v}" for k, v in sorted(self.matched_by.items())))
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"{count} non retenu(s) : {reason}")
        if self.other_departement:
            lines.append(f"{self.other_departement} hors du département demandé (ignorés)")
        if self.duplicates:
            lines.append(f"{self.duplicates} en double dans le fichier (ignorés)")
        if self.issues:
            lines.append(f"{len(self.issues)} erreur(s), rien d'appliqué pour ces enregistrements :")
            lines += [f"  {issue}" for issue in self.issues[:50]]
            if len(self.issues) > 50:
                lines.append(f"  … et {len(self.issues) - 50} autre(s)")
        return lines


def _put(data: dict, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    target = data
    for part in parents:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[leaf] = value


def apply_changes(data: dict, changes: dict[str, Any], source_label: str) -> dict:
    """A copy of an entry with values set at paths (``contacts.phone`` a whole block;
    ``hours.osm`` creates the hours block if needed, with the register as its source)."""
    result = json.loads(json.dumps(data, default=str))
    for path, value in changes.items():
        _put(result, path, value)
        if path == "hours.osm":
            result["hours"]["source"] = source_label
    return result


class Directory:
    """The entries an import is matched with: by register number, else by name and commune."""

    def __init__(self, entries: Iterable[dict]):
        self.by_id: dict[str, dict] = {}
        # Several entries may share a number (three establishments of one SIRET).
        self.by_identifier: dict[tuple[str, str], list[str]] = {}
        self.by_commune: dict[str | None, list[tuple[str, str]]] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: dict) -> None:
        """Know one more entry (a new one proposed in the same import included)."""
        self.by_id[entry["id"]] = entry
        for path in IDENTIFIER_PATHS:
            value = value_at(entry, path)
            if value:
                self.by_identifier.setdefault((path, value), []).append(entry["id"])
        commune = (entry.get("site") or {}).get("commune")
        self.by_commune.setdefault(commune, []).append((entry["id"], name_key(entry["name"])))

    def match(self, record: ImportedRecord) -> tuple[str | None, str | None]:
        """(service id, how) of the entry this record describes, or (None, None)."""
        for path in IDENTIFIER_PATHS:
            value = record.values.get(path)
            # A shared number (one SIRET, several FINESS establishments) matches only the entry
            # whose other numbers do not differ: never another establishment.
            candidates = [service_id for service_id in self.by_identifier.get((path, value), []) if value
                          and not self._numbers_differ(record, self.by_id[service_id])]
            if len(candidates) == 1:
                return candidates[0], path.split(".")[1].replace("_", "·")
        commune = record.values.get("site.commune")
        name = name_key(record.values.get("name", ""))
        best, score = None, 0.0
        for service_id, other in self.by_commune.get(commune, []) if commune else []:
            ratio = fuzz.token_set_ratio(name, other)
            if ratio > score:
                best, score = service_id, ratio
        if best is not None and score >= NAME_MATCH_MIN:
            # A number of the same register that differs says it is another service.
            if not self._numbers_differ(record, self.by_id[best]):
                return best, f"nom et commune ({round(score)} %)"
        return None, None

    @staticmethod
    def _numbers_differ(record: ImportedRecord, entry: dict) -> bool:
        """A number of the same register that differs says it is another service."""
        return any(record.values.get(p) and value_at(entry, p) and record.values[p] != value_at(entry, p)
                   for p in IDENTIFIER_PATHS)


def _same(current: Any, proposed: Any, path: str) -> bool:
    if path == "contacts.phone":
        return bool(current) and not current.get("placeholder") and current.get("number") == proposed.get("number")
    if path == "name":
        return name_key(current or "") == name_key(proposed or "")
    if isinstance(current, float) or isinstance(proposed, float):
        return current is not None and proposed is not None and abs(float(current) - float(proposed)) < 1e-4
    return current == proposed


def field_changes(current: dict, record: ImportedRecord) -> dict[str, tuple[Any, Any]]:
    """The register fields whose value the record would change in this entry."""
    changes = {}
    for path in REGISTER_PATHS:
        proposed = record.values.get(path)
        if proposed in (None, "", []):
            continue  # a register that says nothing changes nothing
        value = value_at(current, path)
        if path in ONLY_WHEN_EMPTY and value not in (None, ""):
            continue
        if path in IDENTIFIER_PATHS and value:
            continue  # a number in place stays (the match said it is the same service)
        if not _same(value, proposed, path):
            changes[path] = (value, proposed)
    return changes


def _slug(text: str) -> str:
    return slugify(text)[:70].strip("-") or "structure"


def _problems_of(types: list[str], reference: ReferenceData) -> list[str]:
    """The problems the taxonomy answers with these types (a register gave none)."""
    return [code for code, problem in reference.taxonomy.problems.items() if set(problem.service_types) & set(types)]


def new_entry(record: ImportedRecord, reference: ReferenceData, taken: set[str]) -> dict:
    """The entry a record would become: what the register says, status « à vérifier »,
    its source; the zone defaults to the site's commune and is left to the network."""
    values = record.values
    commune = values.get("site.commune")
    base = f"{_slug(values.get('name', ''))}-{commune or 'sans-commune'}"
    service_id, number = base, 2
    while service_id in taken:
        service_id, number = f"{base}-{number}", number + 1
    town = reference.gazetteer.get(commune) if commune else None
    hours = values.get("hours.osm")
    return {
        "id": service_id, "ref": None, "name": values.get("name"), "operator": values.get("operator"),
        "types": list(values.get("types") or []), "description": values.get("description"),
        "site": {"commune": commune, "address": values.get("site.address"), "address_confidential": False,
                 "lat": values.get("site.lat"), "lon": values.get("site.lon")},
        "zone": [commune] if commune else [],
        "zone_label": f"À préciser par le réseau (par défaut : {town.name if town else commune})",
        "contacts": {"phone": values.get("contacts.phone"), "email": values.get("contacts.email"),
                     "website": values.get("contacts.website")},
        "hours": {"osm": hours, "text": None, "source": record.source_label} if hours else None,
        "problems": list(values.get("problems") or _problems_of(values.get("types") or [], reference)),
        "status": "to_verify",
        "source": f"{record.source_label}, {record.source_id}, mis à jour le {record.source_date.isoformat()}"[:300],
        "last_verified_at": min(record.source_date, dt.date.today()).isoformat(),
        "notes": "Importée d'un registre national : zone, conditions, délais et démarche à renseigner par le réseau.",
        "identifiers": {p.split(".")[1]: values.get(p) for p in IDENTIFIER_PATHS},
    }


def propose(records: Iterable[ImportedRecord | RecordIssue | Skipped], current: Iterable[dict],
            reference: ReferenceData, known: set[str],
            departement: str | None = None) -> tuple[list[Proposal], ImportSummary]:
    """Proposals for the records (``known``: fingerprints of the proposals already made,
    whatever their decision) and the summary of the import."""
    summary = ImportSummary()
    directory = Directory(current)
    seen: set[str] = set()
    proposals: list[Proposal] = []
    for record in records:
        if isinstance(record, RecordIssue):
            summary.issues.append(record)
            continue
        summary.read += 1
        if isinstance(record, Skipped):
            if record.reason == OTHER_DEPARTEMENT:
                summary.other_departement += 1
            else:
                summary.skipped[record.reason] += 1
            continue
        if departement and record.departement != departement:
            summary.other_departement += 1
            continue
        if record.source_id in seen:
            summary.duplicates += 1
            continue
        seen.add(record.source_id)
        proposal = _proposal(record, directory, reference, summary)
        if proposal is None:
            continue
        if proposal.kind == "update":
            proposal.changes = {path: change for path, change in proposal.changes.items()
                                if field_key(record.source_id, path, change[1]) not in known}
        if proposal.fingerprint in known or (proposal.kind == "update" and not proposal.changes):
            summary.already_proposed += 1
            continue
        known.add(proposal.fingerprint)
        known.update(proposal.field_keys())
        proposals.append(proposal)
        if proposal.kind == "new":
            summary.new += 1
            directory.add(proposal.entry)
        else:
            summary.updates += 1
    return proposals, summary


def _proposal(record: ImportedRecord, directory: Directory, reference: ReferenceData,
              summary: ImportSummary) -> Proposal | None:
    service_id, how = directory.match(record)
    if service_id is not None:
        summary.matched_by[how.split(" (")[0]] += 1
        changes = field_changes(directory.by_id[service_id], record)
        if not changes:
            summary.unchanged += 1
            return None
        return Proposal("update", service_id, record, how, changes)
    entry = new_entry(record, reference, set(directory.by_id))
    valid, errors = validate_entry(entry, reference)
    if errors:
        message = "; ".join(f"{e.field} : {e.message}" for e in errors[:3])
        if not entry["types"]:
            message = "type de service inconnu pour ce registre (catégorie non retenue)"
        summary.issues.append(RecordIssue(record.where, f"ne peut devenir une fiche — {message}"))
        return None
    return Proposal("new", entry["id"], record, None, entry=valid.to_data())


__all__ = ["NEW_ENTRY_PATHS", "Directory", "ImportSummary", "Proposal", "apply_changes", "field_changes",
           "new_entry", "propose"]
