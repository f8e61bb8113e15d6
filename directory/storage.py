"""Storage of the directory: engine, schema, and the transactions that change services.

Functions that own a transaction commit it themselves and roll back on error, so a bulk
load is all-or-nothing. Readers take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event, func, insert, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, create_engine, delete, select

from directory.changes import record_changes
from directory.models import Service, ServiceTypeLink, ServiceZone, utcnow
from directory.reference import ReferenceData
from directory.schema import ServiceEntry
from directory.zones import covered_communes, expand_zone, keys_for_commune


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout per connection."""
    if url.startswith("sqlite"):
        # hide_parameters: a failed statement's log line never shows the values (e-mails, hashes).
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def create_schema(engine: Engine) -> None:
    """Create the tables that do not exist yet, and the columns added to existing ones."""
    SQLModel.metadata.create_all(engine)
    add_missing_columns(engine)


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the model columns an older database lacks (each has a server default); return them.

    The only schema change Maillage makes in place: a new column with a default, so a
    database created by an earlier release keeps working after an upgrade.
    """
    inspector = inspect(engine)
    added = []
    for table in SQLModel.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        existing = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in existing:
                continue
            if column.server_default is None:
                raise RuntimeError(f"colonne {table.name}.{column.name} sans valeur par défaut : migration manuelle")
            ddl = (f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type.compile(engine.dialect)} "
                   f"NOT NULL DEFAULT {column.server_default.arg}")
            try:
                with engine.begin() as connection:
                    connection.execute(text(ddl))
            except DBAPIError:
                # Another node added it at the same time.
                if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                    raise
            added.append(f"{table.name}.{column.name}")
    return added


def entry_to_columns(entry: ServiceEntry) -> dict:
    """Column values of a ``Service`` row for a validated entry."""
    data = entry.to_data()
    site = data.pop("site")
    data.update(site_commune=site["commune"], address=site["address"],
                address_confidential=site["address_confidential"],
                lat=site["lat"], lon=site["lon"])
    data["last_verified_at"] = entry.last_verified_at
    return data


def row_to_data(row: Service) -> dict:
    """The entry of a stored row, in the file's key order (as ``ServiceEntry.to_data``)."""
    return {
        "id": row.id, "ref": row.ref, "name": row.name, "operator": row.operator,
        "types": list(row.types), "domain": row.domain, "description": row.description,
        "site": {"commune": row.site_commune, "address": row.address,
                 "address_confidential": row.address_confidential,
                 "lat": row.lat, "lon": row.lon},
        "zone": list(row.zone), "zone_label": row.zone_label,
        "sectorisation": row.sectorisation, "eligibility": row.eligibility,
        "referral": row.referral, "cost": row.cost, "anonymous": row.anonymous,
        "wait": row.wait, "contacts": row.contacts, "hours": row.hours,
        "problems": list(row.problems), "status": row.status, "source": row.source,
        "confidence": row.confidence, "last_verified_at": row.last_verified_at.isoformat(),
        "verified_by": row.verified_by, "notes": row.notes,
        "identifiers": {"finess": None, "siret": None, "data_inclusion": None, **(row.identifiers or {})},
    }


@dataclass(frozen=True)
class UpsertSummary:
    """Counts of a bulk load."""

    created: int
    updated: int
    unchanged: int


def _write_links(session: Session, entry: ServiceEntry, reference: ReferenceData, new: bool = False) -> None:
    if not new:  # a new service has no links yet (foreign keys): no need to delete any
        session.exec(delete(ServiceZone).where(ServiceZone.service_id == entry.id))
        session.exec(delete(ServiceTypeLink).where(ServiceTypeLink.service_id == entry.id))
    for key in sorted(expand_zone(entry.zone, reference.gazetteer, reference.zones)):
        session.add(ServiceZone(service_id=entry.id, zone_key=key))
    for code in entry.types:
        session.add(ServiceTypeLink(service_id=entry.id, type_code=code))


def create_entry(session: Session, entry: ServiceEntry, reference: ReferenceData) -> None:
    """Insert a new entry inside the caller's transaction, never an update: when its id is
    taken (by another request, even one committed a moment ago) the key refuses it and
    SQLAlchemy raises ``IntegrityError`` — no read-then-write race."""
    session.add(Service(**entry_to_columns(entry), updated_at=utcnow()))
    session.flush()
    _write_links(session, entry, reference, new=True)


def apply_entry(session: Session, entry: ServiceEntry, reference: ReferenceData) -> str:
    """Insert or update one entry inside the caller's transaction; return what happened
    (bulk loads: an id already stored is updated)."""
    columns = entry_to_columns(entry)
    row = session.get(Service, entry.id)
    if row is None:
        create_entry(session, entry, reference)
        return "created"
    if row_to_data(row) == entry.to_data():
        return "unchanged"
    for key, value in columns.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    _write_links(session, entry, reference)
    return "updated"


def upsert_entries(engine: Engine, entries: Iterable[ServiceEntry],
                   reference: ReferenceData) -> UpsertSummary:
    """Store validated entries in one transaction (upsert by id): all or nothing. The
    changes go to the index feed in the same transaction.

    New services are inserted in batches (one multi-row statement per table and batch:
    a national first load writes millions of coverage keys); existing ones go through
    ``apply_entry``, which compares and updates."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    changed: list[str] = []
    with Session(engine) as session:
        try:
            for batch in _batches(entries, INSERT_BATCH):
                stored = set(session.exec(select(Service.id).where(Service.id.in_([e.id for e in batch]))))
                new, known = _split_new(batch, stored)
                insert_new_entries(session, new, reference)
                counts["created"] += len(new)
                changed += [entry.id for entry in new]
                for entry in known:
                    outcome = apply_entry(session, entry, reference)
                    counts[outcome] += 1
                    if outcome != "unchanged":
                        changed.append(entry.id)
            record_changes(session, changed)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    if counts["created"] + counts["updated"]:
        refresh_statistics(engine)
    return UpsertSummary(**counts)


# Entries per batch of a bulk load (a few thousand rows per multi-row INSERT).
INSERT_BATCH = 1000


def _batches(entries: Iterable[ServiceEntry], size: int) -> Iterable[list[ServiceEntry]]:
    batch: list[ServiceEntry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _split_new(batch: list[ServiceEntry], stored: set[str]) -> tuple[list[ServiceEntry], list[ServiceEntry]]:
    """(entries to insert, entries to compare and update): an id seen twice in the batch is
    inserted once, then updated by its later occurrence (the last one wins)."""
    new: dict[str, ServiceEntry] = {}
    known: list[ServiceEntry] = []
    for entry in batch:
        if entry.id in stored or entry.id in new:
            known.append(entry)
        else:
            new[entry.id] = entry
    return list(new.values()), known


def insert_new_entries(session: Session, entries: list[ServiceEntry], reference: ReferenceData) -> None:
    """Insert services known to be absent, with their coverage keys and type links, as
    multi-row statements inside the caller's transaction (no ORM object per row)."""
    if not entries:
        return
    now = utcnow()
    services, zones, types = [], [], []
    for entry in entries:
        services.append({**entry_to_columns(entry), "updated_at": now, "version": 1})
        zones += [{"service_id": entry.id, "zone_key": key}
                  for key in sorted(expand_zone(entry.zone, reference.gazetteer, reference.zones))]
        types += [{"service_id": entry.id, "type_code": code} for code in dict.fromkeys(entry.types)]
    session.flush()  # ORM changes of earlier entries go first
    session.execute(insert(Service.__table__), services)
    if zones:
        session.execute(insert(ServiceZone.__table__), zones)
    if types:
        session.execute(insert(ServiceTypeLink.__table__), types)


def refresh_statistics(engine: Engine) -> None:
    """Refresh the query planner's statistics after a bulk change.

    Without them SQLite starts a "services of type T covering commune C" query from the
    type (thousands of rows in a national directory) instead of the commune's few
    coverage keys: orientation was twice as slow at 10,000 services.
    """
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # Sampled statistics: a bounded cost whatever the size of the tables.
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE service, service_zone, service_type")
        connection.commit()


def count_services(session: Session) -> int:
    """Number of stored services."""
    return session.exec(select(func.count()).select_from(Service)).one()


def get_service(session: Session, service_id: str) -> Service | None:
    """The service with this id, or None."""
    return session.get(Service, service_id)


def all_services(session: Session) -> list[Service]:
    """Every service, ordered by id (export, index build)."""
    return list(session.exec(select(Service).order_by(Service.id)))


def services_covering(session: Session, insee: str, departement: str,
                      type_codes: Iterable[str] | None = None) -> list[Service]:
    """Services whose zone includes the commune (département-wide services included)."""
    query = (select(Service).join(ServiceZone, ServiceZone.service_id == Service.id)
             .where(ServiceZone.zone_key.in_(keys_for_commune(insee, departement))))
    if type_codes is not None:
        query = (query.join(ServiceTypeLink, ServiceTypeLink.service_id == Service.id)
                 .where(ServiceTypeLink.type_code.in_(list(type_codes))))
    return list(session.exec(query.distinct().order_by(Service.id)))


def services_of_types(session: Session, type_codes: Iterable[str],
                      departement: str | None = None) -> list[Service]:
    """Services having one of the type codes (sited in a département when one is given)."""
    query = (select(Service).join(ServiceTypeLink, ServiceTypeLink.service_id == Service.id)
             .where(ServiceTypeLink.type_code.in_(list(type_codes))))
    if departement:
        query = query.where(Service.site_commune.like(f"{departement}%"))
    return list(session.exec(query.distinct().order_by(Service.id)))


def communes_served(session: Session, service_id: str, gazetteer) -> list[str]:
    """INSEE codes of every commune a service serves (départements expanded)."""
    return covered_communes(set(zone_keys_of(session, service_id)), gazetteer)


def zone_keys_of(session: Session, service_id: str) -> list[str]:
    """Coverage keys stored for a service."""
    query = select(ServiceZone.zone_key).where(ServiceZone.service_id == service_id)
    return sorted(session.exec(query))
