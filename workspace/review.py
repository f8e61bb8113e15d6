"""The review queue: proposals of register imports, stored, then accepted or rejected by a
coordinator (all of it, or field by field). An accepted field goes through the entry's
validator and its history like any edit, and its source is kept (``FieldSource``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from directory.diff import value_at
from directory.imports.proposals import ImportSummary, Proposal, apply_changes, field_key, propose
from directory.imports.records import ImportedRecord, RecordIssue, Skipped
from directory.invalid import InvalidInput
from directory.models import FieldSource, Service, utcnow
from directory.reference import ReferenceData
from directory.schema import validate_entry
from directory.storage import row_to_data
from search.sync import IndexSync
from workspace.editing import save_entry
from workspace.models import StoredProposal

ACTION = "proposition"
# Paths whose source is shown under another name (the phone block is its number).
# (The provenance of hours is read under « hours », where the sheet shows them.)
SOURCE_PATHS = {"contacts.phone": "contacts.phone.number", "hours.osm": "hours"}


def known_fingerprints(session: Session) -> set[str]:
    """Fingerprints of every proposal ever made (pending or decided), and of each field
    an update proposed."""
    known = set()
    for fingerprint, source_id, changes in session.exec(
            select(StoredProposal.fingerprint, StoredProposal.source_id, StoredProposal.changes)):
        known.add(fingerprint)
        known.update(field_key(source_id, path, change.get("proposed")) for path, change in (changes or {}).items())
    return known


def import_records(engine: Engine, reference: ReferenceData, records: Iterable[ImportedRecord | RecordIssue | Skipped],
                   batch: str, departement: str | None = None) -> ImportSummary:
    """Match the records with the directory and store what they propose (in one
    transaction); nothing is applied to an entry. Returns the summary."""
    with Session(engine) as session:
        current = [row_to_data(row) for row in session.exec(select(Service))]
        proposals, summary = propose(records, current, reference, known_fingerprints(session), departement)
        for proposal in proposals:
            session.add(_row(proposal, batch))
        try:
            session.commit()
        except IntegrityError:
            # Another import proposed some of the same records at the same moment: each
            # record on its own (a savepoint each), theirs stand and ours are all kept.
            session.rollback()
            _store_one_by_one(session, proposals, batch, summary)
    return summary


def _store_one_by_one(session: Session, proposals: list[Proposal], batch: str, summary: ImportSummary) -> None:
    """Store proposals each in its own savepoint: one already proposed (by a concurrent
    import) is counted as such, never a reason to lose the others."""
    for proposal in proposals:
        try:
            with session.begin_nested():
                session.add(_row(proposal, batch))
        except IntegrityError:
            summary.already_proposed += 1
            if proposal.kind == "new":
                summary.new -= 1
            else:
                summary.updates -= 1
    session.commit()


def _row(proposal: Proposal, batch: str) -> StoredProposal:
    record = proposal.record
    return StoredProposal(
        fingerprint=proposal.fingerprint, batch=batch[:80], kind=proposal.kind, service_id=proposal.service_id,
        source=record.source, source_id=record.source_id[:300], source_label=record.source_label[:120],
        source_date=record.source_date, match=proposal.match,
        changes={path: {"current": current, "proposed": proposed}
                 for path, (current, proposed) in proposal.changes.items()},
        entry=proposal.entry)


def pending(session: Session, offset: int = 0, limit: int | None = None) -> list[StoredProposal]:
    """Proposals waiting for a decision, oldest first (a page of them with ``limit``)."""
    query = select(StoredProposal).where(StoredProposal.status == "pending").order_by(StoredProposal.id).offset(offset)
    return list(session.exec(query.limit(limit) if limit is not None else query))


def pending_count(session: Session) -> int:
    """How many proposals wait for a decision."""
    waiting = select(func.count()).select_from(StoredProposal).where(StoredProposal.status == "pending")
    return session.exec(waiting).one()


def decided_for(session: Session, service_id: str) -> list[StoredProposal]:
    """Decided proposals about a service, newest first (part of its history)."""
    query = (select(StoredProposal).where(StoredProposal.service_id == service_id, StoredProposal.status != "pending")
             .order_by(StoredProposal.decided_at.desc()))
    return list(session.exec(query))


@dataclass(frozen=True)
class Decision:
    """What a coordinator decided about one proposal."""

    status: str  # accepted | partial | rejected
    accepted: tuple[str, ...]
    rejected: tuple[str, ...]
    version: int | None  # the entry's new version, when something was applied


def decide(engine: Engine, index: IndexSync | None, reference: ReferenceData, proposal_id: int,
           accepted: Iterable[str] | None, user_email: str, today: dt.date | None = None) -> Decision:
    """Accept the ``accepted`` paths of a proposal (None: all of it; empty: reject it)."""
    with Session(engine) as session:
        row = session.get(StoredProposal, proposal_id)
        if row is None or row.status != "pending":
            raise InvalidInput.on("proposal", "proposition inconnue ou déjà traitée", status=409)
        paths = list(row.changes) if row.kind == "update" else ["(fiche)"]
        chosen = [p for p in paths if accepted is None or p in set(accepted)]
        unknown = set(accepted or ()) - set(paths)
        if unknown:
            raise InvalidInput.on("fields", f"champ non proposé « {sorted(unknown)[0]} »")
    version = _apply(engine, index, reference, row, chosen, user_email) if chosen else None
    status = "rejected" if not chosen else "accepted" if len(chosen) == len(paths) else "partial"
    with Session(engine) as session:
        stored = session.get(StoredProposal, proposal_id)
        stored.status = status
        stored.decided_at = utcnow()
        stored.decided_by = user_email
        stored.decisions = {p: ("accepted" if p in chosen else "rejected") for p in paths}
        if chosen:
            _record_sources(session, stored, chosen)
        session.add(stored)
        session.commit()
    return Decision(status, tuple(chosen), tuple(p for p in paths if p not in chosen), version)


def _apply(engine, index, reference, row: StoredProposal, chosen: list[str], user_email: str) -> int:
    if row.kind == "new":
        entry, errors = validate_entry(row.entry, reference)
        if errors:
            raise InvalidInput(errors)
        return save_entry(engine, index, reference, entry, user_email, None)
    with Session(engine) as session:
        service = session.get(Service, row.service_id)
        if service is None:
            raise InvalidInput.on("id", "cette structure n'existe plus", status=409)
        data, version = row_to_data(service), service.version
    changed = apply_changes(data, {path: row.changes[path]["proposed"] for path in chosen}, row.source_label)
    entry, errors = validate_entry(changed, reference)
    if errors:
        raise InvalidInput(errors)
    return save_entry(engine, index, reference, entry, user_email, version, ACTION)


def _record_sources(session: Session, row: StoredProposal, chosen: list[str]) -> None:
    """The register as the source of each accepted field (of every register field given,
    for a new entry)."""
    paths = chosen if row.kind == "update" else [
        p for p in ("name", "site.address", "contacts.phone", "contacts.email", "contacts.website", "hours.osm")
        if value_at(row.entry, p) not in (None, "", [], {})]
    for path in paths:
        key = SOURCE_PATHS.get(path, path)
        source = session.get(FieldSource, (row.service_id, key)) or FieldSource(service_id=row.service_id, path=key,
                                                                                source_label=row.source_label,
                                                                                source_date=row.source_date)
        source.source_label, source.source_date, source.recorded_at = row.source_label, row.source_date, utcnow()
        session.add(source)
