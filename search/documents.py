"""What the search index holds for each service: its document, its partitions, read from
the database a chunk at a time (shared by the index maintenance and the parallel builders)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import case, func
from sqlmodel import Session, select

from directory.models import Service, ServiceZone
from directory.reference import ReferenceData
from search.backend import NATIONAL, SearchDocument, SearchIndex

# Rows fetched at a time when reading a whole table (a national one has millions of keys).
STREAM_ROWS = 10_000
# Ids per ``IN (…)`` query.
IN_CHUNK = 500


def taxonomy_signature(reference: ReferenceData) -> str:
    taxonomy = reference.taxonomy
    words = sum(len(p.lay_words) for p in taxonomy.problems.values())
    words += sum(len(t.lay_words) for t in taxonomy.service_types.values())
    return f"{len(taxonomy.service_types)}/{len(taxonomy.problems)}/{words}"


def problem_words(reference: ReferenceData, code: str) -> list[str]:
    """The words a problem is known by: its label, its lay and its stigmatising words."""
    problem = reference.taxonomy.problems.get(code)
    return [problem.label, *problem.lay_words, *problem.stigmatising_words] if problem else []


# taxonomy id -> (taxonomy, index term -> problem codes whose words contain it)
_PROBLEMS_BY_TERM: dict[int, tuple[object, dict[str, tuple[str, ...]]]] = {}


def problems_by_term(reference: ReferenceData, analyse) -> dict[str, tuple[str, ...]]:
    """Index term → the problem codes whose words hold it (``analyse`` is the index's
    analysis), computed once per taxonomy: a query word found in a problem's vocabulary
    matches the services of that problem."""
    taxonomy = reference.taxonomy
    cached = _PROBLEMS_BY_TERM.get(id(taxonomy))
    if cached is not None and cached[0] is taxonomy:
        return cached[1]
    found: dict[str, list[str]] = {}
    for code in taxonomy.problems:
        for term in analyse(" ".join(problem_words(reference, code)), limit=None):
            found.setdefault(term, []).append(code)
    mapping = {term: tuple(codes) for term, codes in found.items()}
    _PROBLEMS_BY_TERM[id(taxonomy)] = (taxonomy, mapping)
    return mapping


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
    vocabulary = [word for code in row.problems for word in problem_words(reference, code)]
    eligibility = " ".join(filter(None, [(row.eligibility or {}).get("text"),
                                         (row.referral or {}).get("text")]))
    hours = (row.hours or {}).get("osm")
    return SearchDocument(
        id=row.id, name=row.name, type_text=" ".join(type_words), operator=row.operator or "",
        problem_text=" ".join(vocabulary), description=row.description or "",
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


def partition_members(session: Session, reference: ReferenceData) -> dict[str, list[str]]:
    """Service ids of each partition. The départements of the coverage keys are worked out
    by the database (``DISTINCT`` over millions of keys in a national directory leaves one
    row per service and département), the sites' here."""
    departements: dict[str, set[str]] = {}
    for service_id, site in session.exec(select(Service.id, Service.site_commune)):
        departements[service_id] = set(departements_of(site, [], reference))
    key = ServiceZone.zone_key
    departement = case((key.like("d:%"), func.substr(key, 3)),
                       # Overseas (97x, 98x): three characters.
                       (key.like("c:97%") | key.like("c:98%"), func.substr(key, 3, 3)),
                       else_=func.substr(key, 3, 2))
    rows = select(ServiceZone.service_id, departement).distinct().execution_options(yield_per=STREAM_ROWS)
    for service_id, code in session.exec(rows):
        if service_id in departements and code:
            departements[service_id].add(code)
    members: dict[str, list[str]] = {}
    for service_id in sorted(departements):
        for partition in sorted(departements[service_id]) or (NATIONAL,):
            members.setdefault(partition, []).append(service_id)
    return members


_DOCUMENT_COLUMNS = [Service.__table__.c[name] for name in (
    "id", "name", "types", "operator", "problems", "description", "eligibility", "referral", "hours",
    "site_commune", "zone_label", "domain", "status")]


def documents_of(session: Session, reference: ReferenceData, ids: list[str]) -> Iterator[SearchDocument]:
    """Search documents of these services, in id order, read a chunk at a time (memory
    stays bounded whatever the number of ids)."""
    for chunk in _chunks(sorted(ids)):
        keys = zone_keys_by_service(session, chunk)
        # Plain rows of the columns a document needs, not ORM objects (a third of the time).
        rows = session.exec(select(*_DOCUMENT_COLUMNS).where(Service.id.in_(chunk)).order_by(Service.id))
        for row in rows:
            yield document_for(row, sorted(keys.get(row.id, [])), reference)


def partition_groups(session: Session, reference: ReferenceData, members: dict[str, list[str]]):
    """``(partition, documents)`` pairs, one département at a time."""
    for partition in sorted(members):
        yield partition, documents_of(session, reference, members[partition])


def write_partitions(session: Session, index: SearchIndex, reference: ReferenceData,
                     members: dict[str, list[str]]) -> int:
    """Write these partitions (ids by partition) from the database; the caller finishes."""
    return sum(index.write_partition(key, documents)
               for key, documents in partition_groups(session, reference, members))
