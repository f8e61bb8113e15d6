"""What the search index holds for each service, and keeping the index in step with the
database (built at start when missing or stale, updated when a service changes)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator

from sqlalchemy import func
from sqlmodel import Session, select

from directory.models import Service, ServiceZone
from directory.reference import ReferenceData
from directory.search import NATIONAL, SearchDocument, SearchIndex

log = logging.getLogger("maillage")

# Above this many changed services, the index is rebuilt rather than updated in place.
BULK_REINDEX_THRESHOLD = 2000
# Below this many services, forking index builders costs more than it saves.
PARALLEL_BUILD_MIN = 5000
# Rows fetched at a time when reading a whole table (a national one has millions of keys).
STREAM_ROWS = 10_000
# Ids per ``IN (…)`` query.
IN_CHUNK = 500


def data_fingerprint(session: Session, reference: ReferenceData) -> str:
    """Hash of what the index is built from: services (id, version) and the vocabulary."""
    digest = hashlib.sha256()
    rows = session.exec(select(Service.id, Service.version).order_by(Service.id))
    for service_id, version in rows:
        digest.update(f"{service_id}:{version};".encode())
    digest.update(str(session.exec(select(func.count()).select_from(ServiceZone)).one()).encode())
    digest.update(_taxonomy_signature(reference).encode())
    return digest.hexdigest()[:32]


def _taxonomy_signature(reference: ReferenceData) -> str:
    taxonomy = reference.taxonomy
    words = sum(len(p.lay_words) for p in taxonomy.problems.values())
    words += sum(len(t.lay_words) for t in taxonomy.service_types.values())
    return f"{len(taxonomy.service_types)}/{len(taxonomy.problems)}/{words}"


def _place_text(row: Service, zone_keys: list[str], reference: ReferenceData) -> str:
    gazetteer = reference.gazetteer
    names = []
    site = gazetteer.get(row.site_commune) if row.site_commune else None
    if site:
        names.append(site.name)
    communes = [k[2:] for k in zone_keys if k.startswith("c:")]
    # Sector names help "CMP Sablé"; a whole département is named once, not commune by commune.
    if len(communes) <= 120:
        names += [c.name for c in (gazetteer.get(code) for code in communes) if c]
    names += [f"département {k[2:]}" for k in zone_keys if k.startswith("d:")]
    if row.zone_label:
        names.append(row.zone_label)
    return " ".join(dict.fromkeys(names))


def departement_of_key(key: str, reference: ReferenceData) -> str | None:
    """The département of a coverage key (``d:72`` or ``c:72181``)."""
    if key.startswith("d:"):
        return key[2:]
    commune = reference.gazetteer.get(key[2:]) if key.startswith("c:") else None
    return commune.departement if commune else None


def departements_of(site_commune: str | None, zone_keys: list[str], reference: ReferenceData) -> tuple[str, ...]:
    """The départements a service belongs to: those of its zone and of its site."""
    found = {departement_of_key(key, reference) for key in zone_keys}
    if site_commune and (site := reference.gazetteer.get(site_commune)):
        found.add(site.departement)
    found.discard(None)
    return tuple(sorted(found))


def document_for(row: Service, zone_keys: list[str], reference: ReferenceData) -> SearchDocument:
    """The search document of a stored service."""
    taxonomy = reference.taxonomy
    type_words = []
    for code in row.types:
        service_type = taxonomy.service_types.get(code)
        if service_type:
            type_words += [service_type.label, service_type.short_label, *service_type.lay_words]
    problem_words = []
    for code in row.problems:
        problem = taxonomy.problems.get(code)
        if problem:
            problem_words += [problem.label, *problem.lay_words, *problem.stigmatising_words]
    eligibility = " ".join(filter(None, [(row.eligibility or {}).get("text"),
                                         (row.referral or {}).get("text")]))
    hours = (row.hours or {}).get("osm")
    return SearchDocument(
        id=row.id, name=row.name, type_text=" ".join(type_words), operator=row.operator or "",
        problem_text=" ".join(problem_words), description=row.description or "",
        eligibility=eligibility, place_text=_place_text(row, zone_keys, reference),
        types=tuple(row.types), problems=tuple(row.problems), domain=row.domain,
        status=row.status, zones=tuple(zone_keys),
        # "placed": a service with a site; a generic entry (« médecin traitant du ménage ») has none.
        payload={"name": row.name, "closed": row.status == "closed", "hours": hours,
                 "placed": row.site_commune is not None},
        partitions=departements_of(row.site_commune, zone_keys, reference),
    )


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i:i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]


def zone_keys_by_service(session: Session, service_ids: list[str] | None = None) -> dict[str, list[str]]:
    """Coverage keys of every service (or of these services, a chunk of ids per query)."""
    keys: dict[str, list[str]] = {}
    query = select(ServiceZone.service_id, ServiceZone.zone_key)
    chunks = [None] if service_ids is None else _chunks(service_ids)
    for chunk in chunks:
        selected = query if chunk is None else query.where(ServiceZone.service_id.in_(chunk))
        for service_id, key in session.exec(selected):
            keys.setdefault(service_id, []).append(key)
    return keys


def _partition_members(session: Session, reference: ReferenceData) -> dict[str, list[str]]:
    """Service ids of each partition, streamed from the coverage keys (millions of rows in
    a national directory: only their départements are kept)."""
    departements: dict[str, set[str]] = {}
    for service_id, site in session.exec(select(Service.id, Service.site_commune)):
        departements[service_id] = set(departements_of(site, [], reference))
    keys = select(ServiceZone.service_id, ServiceZone.zone_key).execution_options(yield_per=STREAM_ROWS)
    for service_id, key in session.exec(keys):
        departement = departement_of_key(key, reference)
        if departement and service_id in departements:
            departements[service_id].add(departement)
    members: dict[str, list[str]] = {}
    for service_id in sorted(departements):
        for partition in sorted(departements[service_id]) or (NATIONAL,):
            members.setdefault(partition, []).append(service_id)
    return members


def documents_of(session: Session, reference: ReferenceData, ids: list[str]) -> Iterator[SearchDocument]:
    """Search documents of these services, in id order, read a chunk at a time (memory
    stays bounded whatever the number of ids)."""
    for chunk in _chunks(sorted(ids)):
        keys = zone_keys_by_service(session, chunk)
        rows = sorted(session.exec(select(Service).where(Service.id.in_(chunk))), key=lambda r: r.id)
        for row in rows:
            yield document_for(row, sorted(keys.get(row.id, [])), reference)
            session.expunge(row)  # indexed: no need to keep it in the session


def _partition_groups(session: Session, reference: ReferenceData, members: dict[str, list[str]]):
    """``(partition, documents)`` pairs, one département at a time."""
    for partition in sorted(members):
        yield partition, documents_of(session, reference, members[partition])


def rebuild_index(session: Session, index: SearchIndex, reference: ReferenceData, processes: int = 1,
                  fingerprint: str | None = None) -> int:
    """Rebuild the whole index from the database, one département partition at a time;
    with ``processes`` > 1 and a large file index, partitions are written in parallel.
    ``fingerprint`` is the data's, when the caller has just computed it. Return how many
    services were indexed."""
    fingerprint = fingerprint or data_fingerprint(session, reference)
    members = _partition_members(session, reference)
    total = sum(len(ids) for ids in members.values())
    if (processes > 1 and index.path is not None and len(members) > 1 and total >= PARALLEL_BUILD_MIN
            and _reachable_from_another_process(session)):
        from directory.parallel_index import rebuild_in_processes

        rebuild_in_processes(session, index, reference, members, fingerprint, processes)
    else:
        index.rebuild(_partition_groups(session, reference, members), fingerprint)
    return len({service_id for ids in members.values() for service_id in ids})


def _reachable_from_another_process(session: Session) -> bool:
    url = session.get_bind().url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def write_partitions(session: Session, index: SearchIndex, reference: ReferenceData,
                     members: dict[str, list[str]]) -> int:
    """Write these partitions (ids by partition) from the database; the caller finishes."""
    return sum(index.write_partition(key, documents)
               for key, documents in _partition_groups(session, reference, members))


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
