"""Tables of the workspace: users, API tokens, service versions, orientation gap counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from directory.models import utcnow

_JSON = JSON().with_variant(JSONB(), "postgresql")
# Who maintains the directory (coordination pages, write API).
STAFF_ROLES = ("coordinateur", "admin")
# Who relays and examines situations, attached to platforms (data/platforms.yaml):
# caretakers and site correspondents relay; the landlord's social staff and platform
# members examine. Neither maintains the directory.
PLATFORM_ROLES = ("correspondant", "referent_social")
ROLES = STAFF_ROLES + PLATFORM_ROLES


class User(SQLModel, table=True):
    """A coordinator or administrator (readers need no account)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=254)
    password_hash: str
    role: str = Field(max_length=20)
    active: bool = True
    # Bumped by logout and deactivation: every session cookie naming an older one is refused.
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: dt.datetime = Field(default_factory=utcnow)

    # Flask-Login protocol, kept here so the web layer needs no wrapper.
    @property
    def is_authenticated(self) -> bool:
        """Always true for a stored user."""
        return True

    @property
    def is_active(self) -> bool:
        """Disabled accounts cannot log in."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """Stored users are never anonymous."""
        return False

    def get_id(self) -> str:
        """Session identifier: the user and the current session generation."""
        return f"{self.id}:{self.session_generation}"

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return self.role == "admin"


class ApiToken(SQLModel, table=True):
    """A bearer token for the write API, created by an administrator (only its hash is kept)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    label: str = Field(max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow)
    revoked: bool = False
    # After this moment the token is refused (a token made before expiries existed counts
    # from its creation, ``TOKEN_DAYS``).
    expires_at: dt.datetime | None = None


class ServiceVersion(SQLModel, table=True):
    """A saved state of a service entry: who, when, what (full data for restore)."""

    __tablename__ = "service_version"
    __table_args__ = (UniqueConstraint("service_id", "version"), Index("ix_version_service", "service_id"))

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(max_length=120)
    version: int
    action: str = Field(max_length=20)
    user_email: str = Field(max_length=254)
    changed_at: dt.datetime = Field(default_factory=utcnow)
    data: dict = Field(sa_column=Column(_JSON, nullable=False))


class OrientationGap(SQLModel, table=True):
    """How often a suggested type had no service for a commune (no household data)."""

    __tablename__ = "orientation_gap"

    commune: str = Field(primary_key=True, max_length=5)
    type_code: str = Field(primary_key=True, max_length=40)
    count: int = 0
    last_seen: dt.date = Field(default_factory=dt.date.today)


class StoredProposal(SQLModel, table=True):
    """A change an import proposes (a new entry, or fields of an existing one), waiting
    for a coordinator's decision; kept once decided, so that the same proposal is never
    made twice (``fingerprint``). Stored form of ``directory.imports.proposals.Proposal``
    (what an import proposes, in memory)."""

    __tablename__ = "proposal"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64, unique=True)
    batch: str = Field(max_length=80, index=True)
    kind: str = Field(max_length=10)  # new | update
    service_id: str = Field(max_length=120, index=True)
    source: str = Field(max_length=20)
    source_id: str = Field(max_length=300)
    source_label: str = Field(max_length=120)
    source_date: dt.date
    match: str | None = Field(default=None, max_length=80)
    # {path: {"current": …, "proposed": …}} for an update; the whole entry for a new one.
    changes: dict = Field(default_factory=dict, sa_column=Column(_JSON, nullable=False))
    entry: dict | None = Field(default=None, sa_column=Column(_JSON, nullable=True))
    status: str = Field(default="pending", max_length=10, index=True)  # pending|accepted|partial|rejected
    decisions: dict = Field(default_factory=dict, sa_column=Column(_JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    decided_at: dt.datetime | None = None
    decided_by: str | None = Field(default=None, max_length=254)

