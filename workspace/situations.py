"""Relays (« signalements ») to a territorial platform: a caretaker's relay in one minute,
seen only by the members of the platform serving the commune (and by its creator, until a
member takes it up), every read and change journaled, personal fields encrypted at rest
and erased on schedule.

Who sees what (``access_for``):
- a ``referent_social`` member of the situation's platform: everything;
- its creator: everything until a member takes it up (``handed_over_at``), then its
  status and dates only;
- anyone else (another platform, a coordinator or an administrator who is not a member):
  nothing, and not even that it exists (``InvalidInput`` with status 404).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from directory.commune_choice import choose_commune
from directory.gazetteer import Commune
from directory.invalid import InvalidInput, context_value, field_errors, known_code
from directory.models import utcnow
from directory.reference import ReferenceData
from workspace.models import User
from workspace.platforms import Platform, platform_for
from workspace.privacy import DataCipher
from workspace.situation_models import (
    CONSENT_STATUSES,
    SITUATION_STATUSES,
    PlatformMember,
    Situation,
    SituationEvent,
)

MAX_OBSERVATIONS = 4000
MAX_NOTE = 1000
MAX_HOUSING_REF = 200
EXAMINERS = ("referent_social",)

FULL, STATUS_ONLY = "full", "status_only"

_problem = known_code(lambda info: ref.taxonomy.problems if (ref := context_value(info, "reference")) else None,
                      "code problème inconnu")


class _Consent(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    status: Literal[CONSENT_STATUSES]  # type: ignore[valid-type]
    note: Annotated[str, Field(max_length=MAX_NOTE)] | None = None


class RelayInput(BaseModel):
    """What a caretaker relays: observations, not diagnoses (REFERENCE §1.4)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    commune: Annotated[str, Field(min_length=1, max_length=100)]
    housing_ref: Annotated[str, Field(min_length=1, max_length=MAX_HOUSING_REF)]
    observations: Annotated[str, Field(min_length=1, max_length=MAX_OBSERVATIONS)]
    problems: Annotated[list[Annotated[str, _problem]], Field(max_length=40)] = []
    consent: _Consent


@dataclass(frozen=True)
class Relayed:
    """A relay just recorded."""

    id: str
    platform: Platform
    status: str
    emergency: bool


def _clean(text: str | None) -> str | None:
    """Control characters out (line breaks kept), spaces trimmed."""
    if text is None:
        return None
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip() or None


def relay_situation(engine: Engine, reference: ReferenceData, platforms: dict[str, Platform], cipher: DataCipher,
                    data: Any, user: User) -> Relayed:
    """Record a relay to the platform serving the commune; ``InvalidInput`` names every
    faulty field and nothing is written then."""
    if not isinstance(data, dict):
        raise InvalidInput.on("(corps)", "le corps doit être un objet JSON")
    errors = []
    try:
        relay = RelayInput.model_validate(data, context={"reference": reference})
    except ValidationError as exc:
        relay, errors = None, field_errors(exc)
    # The commune is checked even when other fields are wrong: every error is said at once.
    commune_text = data.get("commune") if isinstance(data.get("commune"), str) else ""
    commune = platform = None
    if commune_text.strip() and not any(e.field == "commune" for e in errors):
        try:
            commune, platform = _platform_of(reference, platforms, commune_text)
        except InvalidInput as problem:
            errors += problem.errors
    if errors or relay is None:
        raise InvalidInput(errors)
    observations, housing_ref = _clean(relay.observations), _clean(relay.housing_ref)
    if not observations or not housing_ref:
        raise InvalidInput.on("observations" if not observations else "housing_ref", "ne doit pas être vide")
    situation = Situation(id=secrets.token_hex(16), platform=platform.code, commune=commune.insee,
                          problems=list(dict.fromkeys(relay.problems)), consent_status=relay.consent.status,
                          housing_ref_enc=cipher.encrypt(housing_ref), observations_enc=cipher.encrypt(observations),
                          consent_note_enc=cipher.encrypt(_clean(relay.consent.note)), created_by=user.id)
    situation_id = situation.id
    with Session(engine) as session:
        session.add(situation)
        session.add(SituationEvent(situation_id=situation_id, user_email=user.email, action="create",
                                   detail={"platform": platform.code}))
        session.commit()
    return Relayed(situation_id, platform, "new", relay.consent.status == "emergency")


def _platform_of(reference: ReferenceData, platforms: dict[str, Platform], text: str) -> tuple[Commune, Platform]:
    """The commune a text names and the platform serving it; ``InvalidInput`` on ``commune``."""
    commune = choose_commune(reference.gazetteer, text, frozenset({"72"})).commune
    platform = platform_for(platforms, commune.insee)
    if platform is None:
        names = ", ".join(p.name for p in platforms.values())
        raise InvalidInput.on("commune", f"aucune plateforme ne couvre {commune.name} ({commune.insee}) : "
                                         f"les plateformes sont {names}. Contactez le service social du bailleur.")
    return commune, platform


def user_platforms(session: Session, user: User) -> set[str]:
    """The platforms an account is attached to."""
    return set(session.exec(select(PlatformMember.platform).where(PlatformMember.user_id == user.id)))


def access_for(session: Session, user: User | None, situation: Situation) -> str | None:
    """``FULL``, ``STATUS_ONLY`` or None (see the module's docstring)."""
    if user is None:
        return None
    if user.role in EXAMINERS and situation.platform in user_platforms(session, user):
        return FULL
    if situation.created_by == user.id:
        return STATUS_ONLY if situation.handed_over_at is not None else FULL
    return None


def _not_found(situation_id: str) -> InvalidInput:
    return InvalidInput.on("id", f"situation « {situation_id[:40]} » introuvable", status=404)


def read_situation(engine: Engine, cipher: DataCipher, user: User, situation_id: str,
                   now: Callable[[], dt.datetime] = utcnow) -> dict:
    """A situation as its reader may see it; the read is journaled, and a platform
    member's first read hands it over (its creator then sees status and dates only)."""
    with Session(engine) as session:
        situation = session.get(Situation, situation_id)
        access = access_for(session, user, situation) if situation is not None else None
        if access is None:
            raise _not_found(situation_id)
        if access == FULL and user.id != situation.created_by and situation.handed_over_at is None:
            situation.handed_over_at = now()
            session.add(situation)
        session.add(SituationEvent(situation_id=situation.id, user_email=user.email, action="read",
                                   detail={"view": access}))
        view = situation_view(situation, cipher, access)
        session.commit()
        if access == FULL:
            view["timeline"] = timeline(session, situation_id)
    return view


def change_status(engine: Engine, user: User, situation_id: str, data: Any,
                  now: Callable[[], dt.datetime] = utcnow) -> str:
    """A platform member moves a situation along (new, to examine, oriented, followed,
    closed); closing dates it (the retention period starts), reopening clears the date.
    Journaled with the old and new status. Returns the new status."""
    status = data.get("status") if isinstance(data, dict) else None
    if set(data if isinstance(data, dict) else {}) - {"status"}:
        raise InvalidInput.on(sorted(set(data) - {"status"})[0], "champ inconnu (seul « status » se modifie ici)")
    if status not in SITUATION_STATUSES:
        raise InvalidInput.on("status", f"statut inconnu « {str(status)[:40]} » ({', '.join(SITUATION_STATUSES)})")
    with Session(engine) as session:
        situation = session.get(Situation, situation_id)
        access = access_for(session, user, situation) if situation is not None else None
        if access is None:
            raise _not_found(situation_id)
        if user.role not in EXAMINERS or situation.platform not in user_platforms(session, user):
            raise InvalidInput.on("status", "seuls les membres de la plateforme font avancer une situation",
                                  status=403)
        before, moment = situation.status, now()
        situation.status, situation.updated_at = status, moment
        situation.closed_at = (situation.closed_at or moment) if status == "closed" else None
        situation.handed_over_at = situation.handed_over_at or moment
        session.add(situation)
        session.add(SituationEvent(situation_id=situation_id, user_email=user.email, action="update",
                                   detail={"status": [before, status]}))
        session.commit()
    return status


def timeline(session: Session, situation_id: str) -> list[dict]:
    """The situation's journal, oldest first (who, when, what; never a personal field)."""
    events = session.exec(select(SituationEvent).where(SituationEvent.situation_id == situation_id)
                          .order_by(SituationEvent.at, SituationEvent.id))
    return [{"at": e.at.isoformat(), "who": e.user_email, "action": e.action, "detail": e.detail} for e in events]


def situation_view(situation: Situation, cipher: DataCipher, access: str) -> dict:
    """The JSON form of a situation for one level of access."""
    view = {"id": situation.id, "platform": situation.platform, "status": situation.status,
            "created_at": situation.created_at.isoformat(), "updated_at": situation.updated_at.isoformat(),
            "handed_over_at": situation.handed_over_at.isoformat() if situation.handed_over_at else None,
            "closed_at": situation.closed_at.isoformat() if situation.closed_at else None}
    if access != FULL:
        return view
    return {**view, "commune": situation.commune, "problems": list(situation.problems),
            "housing_ref": cipher.decrypt(situation.housing_ref_enc),
            "observations": cipher.decrypt(situation.observations_enc),
            "consent": {"status": situation.consent_status, "note": cipher.decrypt(situation.consent_note_enc)},
            "erased": situation.erased_at is not None}


def list_situations(session: Session, user: User) -> list[dict]:
    """The situations of the caller's platforms (members) and those it relayed, newest
    first, without any personal field."""
    platforms = user_platforms(session, user) if user.role in EXAMINERS else set()
    mine = Situation.created_by == user.id
    query = (select(Situation).where(or_(Situation.platform.in_(sorted(platforms)), mine) if platforms else mine)
             .order_by(Situation.created_at.desc()))
    rows = list(session.exec(query))
    return [{"id": s.id, "platform": s.platform, "status": s.status, "commune": s.commune,
             "problems": list(s.problems), "created_at": s.created_at.isoformat()} for s in rows]


def attach_to_platform(session: Session, user: User, platform_code: str, platforms: dict[str, Platform]) -> None:
    """Attach an account to a platform (the caller commits)."""
    if platform_code not in platforms:
        raise InvalidInput.on("platform", f"plateforme inconnue « {platform_code} » "
                                          f"({', '.join(platforms)})")
    exists = session.exec(select(PlatformMember).where(PlatformMember.user_id == user.id,
                                                       PlatformMember.platform == platform_code)).first()
    if exists is None:
        session.add(PlatformMember(user_id=user.id, platform=platform_code))
