"""Keeping the search index in step with the database: built at start when missing or
stale, rebuilt in bulk (in parallel when large), updated when a service changes."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import func
from sqlmodel import Session, select

from directory.models import Service, ServiceZone
from directory.reference import ReferenceData
from search.backend import SearchIndex
from search.documents import (
    document_for,
    partition_groups,
    partition_members,
    taxonomy_signature,
    zone_keys_by_service,
)
from search.parallel import rebuild_in_processes

log = logging.getLogger("maillage")

# Above this many changed services, the index is rebuilt rather than updated in place.
BULK_REINDEX_THRESHOLD = 2000
# Below this many services, forking index builders costs more than it saves.
PARALLEL_BUILD_MIN = 5000


def data_fingerprint(session: Session, reference: ReferenceData) -> str:
    """Hash of what the index is built from: services (id, version) and the vocabulary."""
    digest = hashlib.sha256()
    rows = session.exec(select(Service.id, Service.version).order_by(Service.id))
    for service_id, version in rows:
        digest.update(f"{service_id}:{version};".encode())
    digest.update(str(session.exec(select(func.count()).select_from(ServiceZone)).one()).encode())
    digest.update(taxonomy_signature(reference).encode())
    return digest.hexdigest()[:32]


def rebuild_index(session: Session, index: SearchIndex, reference: ReferenceData, processes: int = 1,
                  fingerprint: str | None = None) -> int:
    """Rebuild the whole index from the database, one département partition at a time;
    with ``processes`` > 1 and a large file index, partitions are written in parallel.
    ``fingerprint`` is the data's, when the caller has just computed it. Return how many
    services were indexed."""
    fingerprint = fingerprint or data_fingerprint(session, reference)
    members = partition_members(session, reference)
    total = sum(len(ids) for ids in members.values())
    if (processes > 1 and index.path is not None and len(members) > 1 and total >= PARALLEL_BUILD_MIN
            and _reachable_from_another_process(session)):
        rebuild_in_processes(session, index, reference, members, fingerprint, processes)
    else:
        index.rebuild(partition_groups(session, reference, members), fingerprint)
    return len({service_id for ids in members.values() for service_id in ids})


def _reachable_from_another_process(session: Session) -> bool:
    url = session.get_bind().url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def ensure_index(session: Session, index: SearchIndex, reference: ReferenceData, processes: int = 1) -> bool:
    """Rebuild the index when missing or built from other data; True when rebuilt."""
    fingerprint = data_fingerprint(session, reference)
    if index.is_current(fingerprint) or index.restore_snapshot(fingerprint):
        return False
    count = rebuild_index(session, index, reference, processes, fingerprint)
    log.info("Index de recherche reconstruit : %s services", count)
    return True


def reindex_services(session: Session, index: SearchIndex, reference: ReferenceData,
                     service_ids: list[str]) -> None:
    """Update the index for changed services (removed ids are dropped from it)."""
    if len(service_ids) > BULK_REINDEX_THRESHOLD:
        # A bulk load: rewriting each partition once is faster than updating in place.
        rebuild_index(session, index, reference)
        return
    keys = zone_keys_by_service(session, list(service_ids))
    documents, removed = [], set()
    for service_id in service_ids:
        row = session.get(Service, service_id)
        if row is None:
            removed.add(service_id)
        else:
            documents.append(document_for(row, sorted(keys.get(row.id, [])), reference))
    index.update(documents, removed, data_fingerprint(session, reference))
