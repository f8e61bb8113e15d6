"""Tables of the relays (« signalements ») to the territorial platforms.

Personal fields (the housing reference, what was observed, the consent note) are stored
encrypted (``*_enc`` columns, ``workspace.privacy``); everything else is what the
statistics need and names nobody. Every read and change is journaled
(``SituationEvent``), without any personal field.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from directory.models import utcnow

_JSON = JSON().with_variant(JSONB(), "postgresql")

SITUATION_STATUSES = ("new", "to_examine", "oriented", "followed", "closed")
CONSENT_STATUSES = ("informed", "not_yet", "refused", "emergency")


class PlatformMember(SQLModel, table=True):
    """An account attached to a platform (a correspondent relays to it, a social referent
    examines its situations)."""

    __tablename__ = "platform_member"
    __table_args__ = (UniqueConstraint("user_id", "platform"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    platform: str = Field(max_length=40, index=True)


class Situation(SQLModel, table=True):
    """A situation relayed to a platform. ``id`` is random (never guessable nor counted)."""

    __tablename__ = "situation"

    id: str = Field(primary_key=True, max_length=32)
    platform: str = Field(max_length=40, index=True)
    commune: str = Field(max_length=10)  # INSEE code
    status: str = Field(default="new", max_length=20, index=True)
    problems: list = Field(default_factory=list, sa_column=Column(_JSON, nullable=False))
    consent_status: str = Field(max_length=20)
    # Encrypted (Fernet tokens); None once erased by the retention purge.
    housing_ref_enc: str | None = None
    observations_enc: str | None = None
    consent_note_enc: str | None = None
    created_by: int = Field(foreign_key="app_user.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    # When a member of the platform first took it up: the creator then sees status and dates only.
    handed_over_at: dt.datetime | None = None
    updated_at: dt.datetime = Field(default_factory=utcnow)
    closed_at: dt.datetime | None = Field(default=None, index=True)
    erased_at: dt.datetime | None = None


class SituationEvent(SQLModel, table=True):
    """One line of a situation's journal: who read or changed it, when, what (field names,
    never their content)."""

    __tablename__ = "situation_event"

    id: int | None = Field(default=None, primary_key=True)
    situation_id: str = Field(max_length=32, index=True)
    at: dt.datetime = Field(default_factory=utcnow)
    user_email: str = Field(max_length=254)
    action: str = Field(max_length=20)  # create | read | update | erase | export
    detail: dict = Field(default_factory=dict, sa_column=Column(_JSON, nullable=False))
