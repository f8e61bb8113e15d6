"""The change feed: what each write did to the services, for every node's search index.

Every transaction that changes what the index holds appends its changes here before it
commits (``record_changes``), so a change is in the feed exactly when it is in the
database. Nodes read the feed (``pending_changes``) and apply what they have not applied
yet; a node's index state is the last change id it applied, never a hash of the data.

Ordering: a sequence hands out ids when rows are inserted, not when transactions commit,
so two writers could commit ids 6 then 5 and a node reading in between would skip 5.
Writers therefore take one lock before appending (``pg_advisory_xact_lock`` on
PostgreSQL, held until commit; SQLite has a single writer anyway): ids then grow in
commit order. Appending is the last statement of a transaction, so the lock is held for
the commit only and cannot take part in a deadlock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, select

from directory.models import IndexChange, IndexFeedOrigin

# Above this many services in one transaction, one "rebuild" change replaces their rows.
BULK_CHANGE_THRESHOLD = 2000
# PostgreSQL: the advisory lock key of the feed, and the channel that wakes nodes.
FEED_LOCK_KEY = 7_246_101
NOTIFY_CHANNEL = "maillage_index"


@dataclass(frozen=True)
class PendingChanges:
    """Changes a node has not applied: services to reindex, or a full rebuild."""

    latest: int
    service_ids: tuple[str, ...]
    rebuild: bool

    @property
    def empty(self) -> bool:
        """True when there is nothing to apply."""
        return not self.rebuild and not self.service_ids


def record_changes(session: Session, service_ids: Iterable[str]) -> None:
    """Append the changes of these services to the feed, inside the caller's transaction
    (call it last, just before commit). Many services make one "rebuild" change."""
    ids = sorted(set(service_ids))
    if not ids:
        return
    _lock_feed(session)
    if len(ids) > BULK_CHANGE_THRESHOLD:
        _record_rebuild(session)
        return
    session.add_all([IndexChange(service_id=service_id) for service_id in ids])
    session.flush()
    _notify(session)


def _record_rebuild(session: Session) -> None:
    """Append a "rebuild everything" change (the feed is locked); older changes are
    dropped (a node behind it rebuilds whatever it missed), so the feed stays short."""
    marker = IndexChange(service_id=None)
    session.add(marker)
    session.flush()
    session.exec(delete(IndexChange).where(IndexChange.id < marker.id))
    _notify(session)


def _lock_feed(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=FEED_LOCK_KEY))


def _notify(session: Session) -> None:
    # Delivered at commit, never for a rolled-back transaction.
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_notify(:channel, '')").bindparams(channel=NOTIFY_CHANNEL))


def latest_change(session: Session) -> int:
    """The id of the newest change (0 when the feed is empty): one primary-key lookup."""
    return session.exec(select(func.max(IndexChange.id))).one() or 0


def pending_changes(session: Session, applied: int, limit: int = BULK_CHANGE_THRESHOLD) -> PendingChanges:
    """What a node that applied change ``applied`` must apply now. More than ``limit``
    services, a rebuild marker, or a feed that no longer matches ``applied`` (cut below
    it, or restored to an older state) mean a rebuild."""
    latest = latest_change(session)
    if latest == applied:
        return PendingChanges(latest, (), False)
    if latest < applied:  # the feed went back (a database restored from a backup): start over
        return PendingChanges(latest, (), True)
    rows = list(session.exec(select(IndexChange.id, IndexChange.service_id)
                             .where(IndexChange.id > applied).order_by(IndexChange.id).limit(limit + 1)))
    rebuild = len(rows) > limit or any(service_id is None for _, service_id in rows)
    if not rows:  # the feed was cut below ``applied`` meanwhile: start over
        rebuild = True
    else:
        latest = max(latest, rows[-1][0]) if rebuild else rows[-1][0]
    ids = () if rebuild else tuple(dict.fromkeys(service_id for _, service_id in rows))
    return PendingChanges(latest, ids, rebuild)


def oldest_pending_at(session: Session, applied: int) -> dt.datetime | None:
    """When the oldest change not yet applied was made (None when up to date)."""
    value = session.exec(select(func.min(IndexChange.changed_at)).where(IndexChange.id > applied)).one()
    return _aware(value) if value else None


def feed_origin(engine: Engine) -> str:
    """The feed's identity token, created with the schema (the first node to ask wins)."""
    with Session(engine) as session:
        row = session.get(IndexFeedOrigin, 1)
        if row is not None:
            return row.token
        session.add(IndexFeedOrigin(id=1, token=uuid.uuid4().hex))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
        return session.get(IndexFeedOrigin, 1).token


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
