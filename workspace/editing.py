"""Editing services with history and optimistic locking.

Every save is one transaction: it checks the version the editor started from, writes the
entry (SQLAlchemy bumps ``version`` with ``UPDATE … WHERE version = n``, so two concurrent
saves can never both win), records the new state in ``service_version`` (who, when, full
data) and appends the change to the index feed; the node's search index then catches up
(``search.sync``): an index that cannot be written never fails a saved edit. A stale
save raises ``StaleVersion`` carrying what changed meanwhile: the caller shows it and keeps the user's input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from directory.changes import record_changes
from directory.diff import FieldChange, diff_entries
from directory.invalid import InvalidInput
from directory.models import Service
from directory.provenance import changed_shown_fields, record_edit_sources
from directory.reference import ReferenceData
from directory.schema import ServiceEntry, validate_entry
from directory.storage import apply_entry, create_entry, refresh_statistics, row_to_data
from search.sync import IndexSync
from workspace.models import ServiceVersion


class StaleVersion(Exception):
    """The entry changed since the editor opened it."""

    def __init__(self, current: dict, current_version: int, theirs: list[FieldChange]):
        super().__init__("modification concurrente")
        self.current = current
        self.current_version = current_version
        self.theirs = theirs


@dataclass(frozen=True)
class HistoryItem:
    """One saved version with what changed from the previous one."""

    version: int
    action: str
    user_email: str
    changed_at: dt.datetime
    changes: list[FieldChange]


def _record(session: Session, row: Service, action: str, user_email: str,
            changed_at: dt.datetime | None = None) -> None:
    version = ServiceVersion(service_id=row.id, version=row.version, action=action,
                             user_email=user_email, data=row_to_data(row))
    if changed_at is not None:
        version.changed_at = changed_at
    session.add(version)


def _ensure_baseline(session: Session, row: Service) -> None:
    """Entries loaded in bulk have no recorded version yet: keep their state as the origin."""
    exists = session.exec(select(ServiceVersion.id).where(ServiceVersion.service_id == row.id)).first()
    if exists is None:
        # Dated when the entry was written (the load), not at this first edit.
        _record(session, row, "import", "chargement initial", changed_at=row.updated_at)


def submit_entry(engine: Engine, index: IndexSync | None, reference: ReferenceData, data: dict,
                 user_email: str, expected_version: int | None, action: str) -> ServiceEntry:
    """Validate a whole entry as a form or the API sent it, then save it (create when
    ``expected_version`` is None); ``InvalidInput`` names every faulty field, nothing is
    written then. Returns the entry as saved."""
    entry, errors = validate_entry(data, reference)
    if errors:
        raise InvalidInput(errors)
    save_entry(engine, index, reference, entry, user_email, expected_version, action)
    return entry


def save_entry(engine: Engine, index: IndexSync | None, reference: ReferenceData, entry: ServiceEntry,
               user_email: str, expected_version: int | None, action: str = "update") -> int:
    """Create or update an entry; return its new version. ``expected_version`` is the version
    the editor started from (None for a creation)."""
    if expected_version is None:
        return _create(engine, index, reference, entry, user_email)
    with Session(engine) as session:
        try:
            row = session.get(Service, entry.id)
            if row is None:
                raise InvalidInput.on("id", "cette structure n'existe plus", status=409)
            if row.version != expected_version:
                current = row_to_data(row)
                raise StaleVersion(current, row.version, diff_entries(current, entry.to_data()))
            _ensure_baseline(session, row)
            before = row_to_data(row)
            outcome = apply_entry(session, entry, reference)
            session.flush()
            row = session.get(Service, entry.id)
            if outcome != "unchanged":
                _record(session, row, action, user_email)
                record_changes(session, [entry.id])
                record_edit_sources(session, entry.id, changed_shown_fields(before, entry.to_data()),
                                    dt.date.today())
            version = row.version
            session.commit()
        except StaleDataError:
            session.rollback()
            with Session(engine) as fresh:
                row = fresh.get(Service, entry.id)
                current = row_to_data(row)
                raise StaleVersion(current, row.version, diff_entries(current, entry.to_data())) from None
        except BaseException:
            session.rollback()
            raise
    _catch_up(index)
    return version


def _create(engine: Engine, index: IndexSync | None, reference: ReferenceData, entry: ServiceEntry,
            user_email: str) -> int:
    """A creation in one transaction that inserts or fails on the key: of concurrent
    creations of one id, the first committed wins and the others get « identifiant déjà
    utilisé » (never an update through a create path, never a 500)."""
    with Session(engine) as session:
        try:
            create_entry(session, entry, reference)
            row = session.get(Service, entry.id)
            _record(session, row, "create", user_email)
            record_changes(session, [entry.id])
            version = row.version
            session.commit()
        except IntegrityError:
            session.rollback()
            raise InvalidInput.on("id", f"identifiant déjà utilisé « {entry.id} »", status=409) from None
        except BaseException:
            session.rollback()
            raise
    _catch_up(index)
    return version


def _catch_up(index: IndexSync | None) -> None:
    """Bring this node's index up to the feed after a commit (never raises: what it cannot
    apply now stays in the feed)."""
    if index is not None:
        index.catch_up()


def update_fields(engine: Engine, index: IndexSync | None, reference: ReferenceData, service_id: str,
                  changes: dict | Callable[[dict], dict], user_email: str, expected_version: int,
                  action: str) -> int:
    """Apply a few field changes (status, verification) through the same validator;
    ``changes`` may be worked out from the entry as stored (a function of its data)."""
    with Session(engine) as session:
        row = session.get(Service, service_id)
        if row is None:
            raise InvalidInput.on("id", "cette structure n'existe pas", status=404)
        data = row_to_data(row)
    data.update(changes(data) if callable(changes) else changes)
    entry, errors = validate_entry(data, reference)
    if errors:
        raise InvalidInput(errors)
    return save_entry(engine, index, reference, entry, user_email, expected_version, action)


def mark_verified(engine, index, reference, service_id: str, user_email: str, expected_version: int,
                  today: dt.date | None = None) -> int:
    """« Vérifié aujourd'hui »: set the verification date and who verified; a service whose
    status asked for a check (« à vérifier », « citée en 2014 ») becomes « active » (an
    illustrative entry stays illustrative: it stands for no real structure; a closed one
    stays closed)."""
    day = (today or dt.date.today()).isoformat()

    def verified(data: dict) -> dict:
        status = {"status": "active"} if data.get("status") in VERIFIED_BECOMES_ACTIVE else {}
        return {"last_verified_at": day, "verified_by": user_email, **status}

    return update_fields(engine, index, reference, service_id, verified, user_email, expected_version, "verify")


VERIFIED_BECOMES_ACTIVE = ("to_verify", "seed_2014", "published")


def set_closed(engine, index, reference, service_id: str, closed: bool, user_email: str,
               expected_version: int, reopen_status: str | None = None) -> int:
    """Close a service (kept, shown as closed) or reopen it: with the status it had before
    it was closed (« Citée en 2014 » stays so), « à vérifier » when none is known."""
    status = "closed" if closed else (reopen_status or _status_before_closing(engine, service_id))
    return update_fields(engine, index, reference, service_id, {"status": status}, user_email,
                         expected_version, "close" if closed else "reopen")


def _status_before_closing(engine: Engine, service_id: str) -> str:
    with Session(engine) as session:
        versions = session.exec(select(ServiceVersion).where(ServiceVersion.service_id == service_id)
                                .order_by(ServiceVersion.version.desc()))
        for version in versions:
            status = (version.data or {}).get("status")
            if status and status != "closed":
                return status
    return "to_verify"


def history(session: Session, service_id: str) -> list[HistoryItem]:
    """Saved versions, newest first, each with its changes from the previous one."""
    versions = list(session.exec(select(ServiceVersion).where(ServiceVersion.service_id == service_id)
                                 .order_by(ServiceVersion.version)))
    items = []
    previous = None
    for version in versions:
        changes = diff_entries(previous, version.data) if previous is not None else []
        items.append(HistoryItem(version.version, version.action, version.user_email,
                                 version.changed_at, changes))
        previous = version.data
    return list(reversed(items))


def restore(engine, index, reference, service_id: str, version: int, user_email: str,
            expected_version: int) -> int:
    """Make an old version current again (as a new version)."""
    with Session(engine) as session:
        saved = session.exec(select(ServiceVersion).where(ServiceVersion.service_id == service_id,
                                                          ServiceVersion.version == version)).first()
        if saved is None:
            raise InvalidInput.on("version", f"version {version} introuvable", status=404)
        data = dict(saved.data)
    entry, errors = validate_entry(data, reference)
    if errors:
        raise InvalidInput(errors)
    return save_entry(engine, index, reference, entry, user_email, expected_version, "restore")


def apply_import(engine: Engine, index: IndexSync | None, reference: ReferenceData, entries: list[ServiceEntry],
                 close_ids: list[str], user_email: str) -> dict:
    """Apply an import in one transaction: upsert the entries, close the listed absent ones,
    record a version for every change. Nothing is written if anything fails."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "closed": 0}
    touched: list[str] = []
    with Session(engine) as session:
        try:
            for entry in entries:
                row = session.get(Service, entry.id)
                if row is not None:
                    _ensure_baseline(session, row)
                outcome = apply_entry(session, entry, reference)
                counts[outcome] += 1
                if outcome != "unchanged":
                    session.flush()
                    _record(session, session.get(Service, entry.id), "import", user_email)
                    touched.append(entry.id)
            for service_id in close_ids:
                row = session.get(Service, service_id)
                if row is None or row.status == "closed":
                    continue
                _ensure_baseline(session, row)
                data = {**row_to_data(row), "status": "closed"}
                entry, errors = validate_entry(data, reference)
                if errors:
                    raise InvalidInput(errors)
                apply_entry(session, entry, reference)
                session.flush()
                _record(session, session.get(Service, service_id), "close", user_email)
                counts["closed"] += 1
                touched.append(service_id)
            record_changes(session, touched)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    _catch_up(index)
    if touched:
        refresh_statistics(engine)
    return counts
