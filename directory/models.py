"""Database tables (SQLModel), portable between SQLite and PostgreSQL.

A service row keeps every field of the entry: scalar fields as columns, nested blocks
(eligibility, referral, wait, contacts, hours) and lists as JSON. Two link tables make
filtering portable: ``service_zone`` (coverage keys ``c:<insee>`` / ``d:<dep>``) and
``service_type``. ``version`` is SQLAlchemy's optimistic-locking counter.

JSON columns are always assigned whole new values (never mutated in place), so no
mutation tracking is needed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

_JSON = JSON().with_variant(JSONB(), "postgresql")


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(_JSON, nullable=False))


def _json_dict(nullable: bool = False) -> Any:
    kwargs = {"default": None} if nullable else {"default_factory": dict}
    return Field(**kwargs, sa_column=Column(_JSON, nullable=nullable))


# Created before the class so the mapper can use it as the optimistic-locking counter.
_VERSION = Column("version", Integer, nullable=False)


def utcnow() -> dt.datetime:
    """Timezone-aware now, for timestamps."""
    return dt.datetime.now(dt.UTC)


class Service(SQLModel, table=True):
    """A service entry of the directory."""

    __tablename__ = "service"

    id: str = Field(primary_key=True, max_length=120)
    ref: str | None = None
    name: str = Field(index=True)
    operator: str | None = None
    types: list[str] = _json_list()
    domain: str = Field(index=True)
    description: str | None = None
    site_commune: str | None = Field(default=None, index=True, max_length=5)
    address: str | None = None
    address_confidential: bool = False
    lat: float | None = None
    lon: float | None = None
    zone: list[str] = _json_list()
    zone_label: str | None = None
    sectorisation: str | None = None
    eligibility: dict = _json_dict()
    referral: dict = _json_dict()
    cost: str = "inconnu"
    anonymous: bool | None = None
    wait: dict | None = _json_dict(nullable=True)
    contacts: dict = _json_dict()
    hours: dict | None = _json_dict(nullable=True)
    problems: list[str] = _json_list()
    status: str = Field(index=True)
    source: str
    confidence: str | None = None
    last_verified_at: dt.date
    verified_by: str | None = None
    notes: str | None = None
    # Register numbers (FINESS, SIRET, data·inclusion); added after the first release.
    identifiers: dict = Field(default_factory=dict,
                              sa_column=Column(_JSON, nullable=False, server_default=text("'{}'")))
    version: int = Field(default=1, sa_column=_VERSION)
    updated_at: dt.datetime = Field(default_factory=utcnow)

    __mapper_args__ = {"version_id_col": _VERSION}


class ServiceZone(SQLModel, table=True):
    """Coverage key of a service: ``c:<insee>`` or ``d:<departement>``."""

    __tablename__ = "service_zone"
    __table_args__ = (Index("ix_service_zone_key", "zone_key"),)

    service_id: str = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    zone_key: str = Field(primary_key=True, max_length=12)


class ServiceTypeLink(SQLModel, table=True):
    """Service-type code of a service (a service may have several)."""

    __tablename__ = "service_type"
    __table_args__ = (Index("ix_service_type_code", "type_code"),)

    service_id: str = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    type_code: str = Field(primary_key=True, max_length=40)


class IndexChange(SQLModel, table=True):
    """One change of what the search index holds, appended in the writer's transaction.

    ``service_id`` is the service to reindex; NULL means "rebuild everything" (a bulk
    load). Ids grow in commit order (writers take a lock before appending), so a node
    that applied change ``n`` has applied everything committed before it.
    """

    __tablename__ = "index_change"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    service_id: str | None = Field(default=None, max_length=120)
    changed_at: dt.datetime = Field(default_factory=utcnow)


class IndexFeedOrigin(SQLModel, table=True):
    """The feed's identity (one row): an index built from another database, or from this
    one before it was emptied and reloaded, is never taken for current."""

    __tablename__ = "index_feed_origin"

    id: int = Field(default=1, primary_key=True)
    token: str = Field(max_length=32)
    created_at: dt.datetime = Field(default_factory=utcnow)


class FieldSource(SQLModel, table=True):
    """Where one field of an entry comes from, when a register gave it (accepted proposal)."""

    __tablename__ = "field_source"

    service_id: str = Field(primary_key=True, max_length=120)
    path: str = Field(primary_key=True, max_length=60)
    source_label: str = Field(max_length=120)
    source_date: dt.date
    recorded_at: dt.datetime = Field(default_factory=utcnow)
