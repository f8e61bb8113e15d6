"""Building the search index from the database: at start when missing or built for
something else, in bulk (in parallel when large), or for a few changed services.

Which changes a node still has to apply is ``search.sync``'s business (the database's
change feed); this module only writes what it is asked to.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import func
from sqlmodel import Session, select

from directory.changes import feed_origin, latest_change
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

# Below this many services, forking index builders costs more than it saves.
PARALLEL_BUILD_MIN = 5000


def index_basis(session: Session, reference: ReferenceData) -> str:
    """What an index must have been built for to be reused: this database's feed (its
    origin token) and this vocabulary."""
    return f"{feed_origin(session.get_bind())}/{taxonomy_signature(reference)}"


def data_fingerprint(session: Session, reference: ReferenceData) -> str:
    """Hash of the services (id, version) and the vocabulary: the key of the in-memory
    snapshots that let test applications built from the same data share one index. Never
    a node's index state (that is the last change applied)."""
    digest = hashlib.sha256()
    rows = session.exec(select(Service.id, Service.version).order_by(Service.id))
    for service_id, version in rows:
        digest.update(f"{service_id}:{version};".encode())
    digest.update(str(session.exec(select(func.count()).select_from(ServiceZone)).one()).encode())
    digest.update(taxonomy_signature(reference).encode())
    return digest.hexdigest()[:32]


def rebuild_index(session: Session, index: SearchIndex, reference: ReferenceData, processes: int = 1,
                  snapshot_key: str | None = None) -> int:
    """Rebuild the whole index from the database, one département partition at a time;
    with ``processes`` > 1 and a large file index, partitions are written in parallel.
    ``snapshot_key``: the data's fingerprint when the caller already has it (in-memory
    index). Return how many services were indexed."""
    # Read before the data: a change committed while the build reads is applied again later.
    applied = latest_change(session)
    basis = index_basis(session, reference)
    if index.path is None and snapshot_key is None:
        snapshot_key = data_fingerprint(session, reference)
    members = partition_members(session, reference)
    total = sum(len(ids) for ids in members.values())
    if (processes > 1 and index.path is not None and len(members) > 1 and total >= PARALLEL_BUILD_MIN
            and _reachable_from_another_process(session)):
        rebuild_in_processes(session, index, reference, members, basis, applied, processes)
    else:
        index.rebuild(partition_groups(session, reference, members), basis, applied, snapshot_key)
    return len({service_id for ids in members.values() for service_id in ids})


def _reachable_from_another_process(session: Session) -> bool:
    url = session.get_bind().url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def ensure_index(session: Session, index: SearchIndex, reference: ReferenceData, processes: int = 1) -> bool:
    """Rebuild the index when missing or built for another database or vocabulary; True
    when rebuilt. A current index is brought up to the feed by ``search.sync``."""
    basis = index_basis(session, reference)
    if index.is_current(basis):
        return False
    snapshot_key = None
    if index.path is None:
        snapshot_key = data_fingerprint(session, reference)
        if index.restore_snapshot(snapshot_key, basis, latest_change(session)):
            return False
    count = rebuild_index(session, index, reference, processes, snapshot_key)
    log.info("Index de recherche reconstruit : %s services", count)
    return True


def reindex_services(session: Session, index: SearchIndex, reference: ReferenceData,
                     service_ids: list[str]) -> None:
    """Update the index for changed services (ids no longer stored are dropped from it)."""
    keys = zone_keys_by_service(session, list(service_ids))
    documents, removed = [], set()
    for service_id in service_ids:
        row = session.get(Service, service_id)
        if row is None:
            removed.add(service_id)
        else:
            documents.append(document_for(row, sorted(keys.get(row.id, [])), reference))
    index.update(documents, removed)
