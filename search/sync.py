"""Keeping one node's search index in step with the database's change feed.

Several servers share one database; each has its own index folder. A node's index state
is the last change of the feed it applied (``SearchIndex.applied``). ``IndexSync``:

- ``catch_up()`` applies the changes committed since, before a search (one primary-key
  lookup when there are none) and right after this node's own writes;
- a background thread per process wakes on PostgreSQL's ``NOTIFY`` (or polls) and
  applies them even when no search comes, and does the full rebuilds a bulk load asks
  for, so that no request waits for one;
- ``status()`` tells how far behind the node is, for ``/healthz`` and the search answer.

The processes of one node share its folder: one catch-up at a time (a lock file), so an
older copy of a service is never written over a newer one. Applying a change means
reindexing the service from the database as it is now, so applying one twice is harmless
and a failed write is simply tried again: nothing is ever lost, at worst late.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from directory.changes import NOTIFY_CHANNEL, latest_change, oldest_pending_at, pending_changes
from directory.models import utcnow
from directory.reference import ReferenceData
from search.backend import SearchIndex
from search.maintenance import rebuild_index, reindex_services

log = logging.getLogger("maillage")

# How long a search waits for another process of the node that is applying changes.
REQUEST_WAIT_S = 1.0
# After a failed catch-up, requests stop trying for this long when the background thread
# runs (searches never wait on a disk that refuses writes; the thread keeps trying).
RETRY_AFTER_FAILURE_S = 30.0
LOCK_FILE = "catch-up.lock"


@dataclass(frozen=True)
class SyncStatus:
    """How far a node's index is behind the database's feed."""

    applied: int
    latest: int
    lag_seconds: float
    degraded: bool

    @property
    def behind(self) -> int:
        """Changes committed that this node's index does not hold yet."""
        return max(0, self.latest - self.applied)

    @property
    def stale(self) -> bool:
        """True when search results may not reflect every saved change."""
        return self.behind > 0

    def as_json(self) -> dict:
        """The ``/healthz`` and search-answer view of the status."""
        return {"applied_change": self.applied, "latest_change": self.latest, "behind": self.behind,
                "lag_seconds": round(self.lag_seconds, 1), "stale": self.stale}


class IndexSync:
    """Applies the feed's changes to one node's index (thread- and process-safe)."""

    def __init__(self, engine: Engine, index: SearchIndex, reference: ReferenceData,
                 degraded_after_s: float = 30.0, processes: int = 1):
        self.engine = engine
        self.index = index
        self.reference = reference
        self.degraded_after_s = degraded_after_s
        self.processes = processes
        self._thread_lock = threading.Lock()
        self._wake = threading.Event()
        self._background_pid: int | None = None
        self._stop = threading.Event()
        self._failed_at: float | None = None

    # -- applying --------------------------------------------------------------------
    def catch_up(self, wait_s: float = REQUEST_WAIT_S, rebuild: bool | None = None) -> bool:
        """Apply the changes this index lacks; True when it holds every committed change.
        Never raises: what cannot be applied now stays in the feed for the next attempt.
        ``rebuild`` says whether a full rebuild may be done here (by default: only when no
        background thread of this process would do it)."""
        allow_rebuild = (not self.background_running) if rebuild is None else rebuild
        try:
            if self._up_to_date():
                return True  # the usual case: no lock taken, searches never queue here
            if wait_s <= REQUEST_WAIT_S and self.background_running and self._failing():
                # The index could not be written a moment ago (a full disk): a request answers
                # at once from the last good state, marked stale; the retries are the
                # background thread's (or the next request's, after a pause).
                return False
            with self._exclusive(wait_s) as acquired:
                if not acquired:
                    return False
                done = self._apply_pending(allow_rebuild)
                self._failed_at = None
                return done
        except Exception as error:  # noqa: BLE001 - the index must never fail a saved edit or a search
            self._failed_at = time.monotonic()
            log.warning("Index de recherche non mis à jour (%s) : nouvel essai plus tard", error)
            return False

    def _failing(self) -> bool:
        """True for ``RETRY_AFTER_FAILURE_S`` after a failed catch-up."""
        failed_at = self._failed_at
        return failed_at is not None and time.monotonic() - failed_at < RETRY_AFTER_FAILURE_S

    def _up_to_date(self) -> bool:
        """The cheap check: the feed's newest id (a primary-key lookup) against ours."""
        with Session(self.engine) as session:
            return latest_change(session) == self.index.applied

    def _apply_pending(self, allow_rebuild: bool) -> bool:
        with Session(self.engine) as session:
            pending = pending_changes(session, self.index.applied)
            if pending.empty:
                return True
            if pending.rebuild:
                if not allow_rebuild:
                    self._wake.set()
                    return False
                count = rebuild_index(session, self.index, self.reference, self.processes)
                log.info("Index de recherche reconstruit (changement %s) : %s services", pending.latest, count)
                return True
            reindex_services(session, self.index, self.reference, list(pending.service_ids))
            self.index.set_applied(pending.latest)
            return True

    @contextlib.contextmanager
    def _exclusive(self, wait_s: float) -> Iterator[bool]:
        """One catch-up at a time in this node: a thread lock, and a lock file shared by
        the node's processes (the index folder is theirs to share)."""
        if not self._thread_lock.acquire(timeout=wait_s):
            yield False
            return
        try:
            if self.index.path is None:
                yield True
                return
            with open(self.index.path / LOCK_FILE, "a+") as handle:
                if not _flock(handle, wait_s):
                    yield False
                    return
                try:
                    yield True
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    # -- status ----------------------------------------------------------------------
    def status(self) -> SyncStatus:
        """The node's lag: changes not applied and the age of the oldest one."""
        applied = self.index.applied
        with Session(self.engine) as session:
            latest = latest_change(session)
            oldest = oldest_pending_at(session, applied) if latest > applied else None
        lag = (utcnow() - oldest).total_seconds() if oldest else 0.0
        return SyncStatus(applied, latest, max(lag, 0.0), lag > self.degraded_after_s)

    # -- background ------------------------------------------------------------------
    @property
    def background_running(self) -> bool:
        """True when this process runs the background catch-up thread."""
        return self._background_pid == os.getpid()

    def start_background(self, poll_s: float = 2.0) -> None:
        """Start (once per process: a forked worker starts its own) the thread that
        applies changes as they come: woken by PostgreSQL's NOTIFY, else every ``poll_s``."""
        if self.background_running:
            return
        self._background_pid = os.getpid()
        self._stop.clear()
        thread = threading.Thread(target=self._run_background, args=(poll_s,), name="maillage-index-sync",
                                  daemon=True)
        thread.start()
        if self.engine.dialect.name == "postgresql":
            threading.Thread(target=self._listen, args=(poll_s,), name="maillage-index-listen",
                             daemon=True).start()

    def stop_background(self) -> None:
        """Ask the background threads to stop (tests)."""
        self._stop.set()
        self._wake.set()
        self._background_pid = None

    def _run_background(self, poll_s: float) -> None:
        while not self._stop.is_set():
            self._wake.wait(poll_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            # A rebuild may take a minute: the lock is waited for as long as it lasts.
            self.catch_up(wait_s=poll_s, rebuild=True)

    def _listen(self, poll_s: float) -> None:
        """Wake the background thread on each NOTIFY; on a lost connection, retry (the
        polling goes on meanwhile)."""
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stop.is_set():
                        for _notice in connection.notifies(timeout=poll_s, stop_after=1):
                            self._wake.set()
            except Exception as error:  # noqa: BLE001 - polling covers the gap
                log.warning("Écoute des changements PostgreSQL interrompue (%s) : sondage seul", error)
                self._stop.wait(max(poll_s, 5.0))


def _flock(handle, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

