"""Retention of the relayed situations: personal fields erased on schedule, the situation
kept anonymous for the statistics; an access request answered with everything held.

``purge`` erases the housing reference, the observations and the consent note of the
situations closed for ``retention_days`` or more (``maillage purge``, and a daily run in the
server). What stays (platform, commune, problems, status, dates) names nobody.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from directory.invalid import InvalidInput
from directory.models import utcnow
from workspace.privacy import DataCipher
from workspace.situation_models import Situation, SituationEvent

DEFAULT_RETENTION_DAYS = 365
PURGED_BY = "purge automatique"


def purge(engine: Engine, retention_days: int, as_of: dt.datetime | None = None) -> int:
    """Erase the personal fields of the situations closed ``retention_days`` before
    ``as_of`` (now by default); return how many were erased."""
    now = as_of or utcnow()
    limit = now - dt.timedelta(days=retention_days)
    erased = 0
    with Session(engine) as session:
        query = select(Situation).where(Situation.closed_at.is_not(None), Situation.erased_at.is_(None))
        for situation in session.exec(query):
            if _aware(situation.closed_at) > limit:
                continue
            situation.housing_ref_enc = situation.observations_enc = situation.consent_note_enc = None
            situation.erased_at = now
            session.add(situation)
            session.add(SituationEvent(situation_id=situation.id, user_email=PURGED_BY, action="erase",
                                       detail={"retention_days": retention_days}))
            erased += 1
        session.commit()
    return erased


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back (stored in UTC).
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def export_situation(engine: Engine, cipher: DataCipher, situation_id: str, operator: str) -> dict:
    """Everything held about one situation, decrypted, with its journal (an access request,
    GDPR art. 15); the export itself is journaled."""
    with Session(engine) as session:
        situation = session.get(Situation, situation_id)
        if situation is None:
            raise InvalidInput.on("id", f"situation « {situation_id[:40]} » introuvable", status=404)
        events = list(session.exec(select(SituationEvent).where(SituationEvent.situation_id == situation_id)
                                   .order_by(SituationEvent.at, SituationEvent.id)))
        export = {
            "id": situation.id, "platform": situation.platform, "commune": situation.commune,
            "status": situation.status, "problems": list(situation.problems),
            "housing_ref": cipher.decrypt(situation.housing_ref_enc),
            "observations": cipher.decrypt(situation.observations_enc),
            "consent": {"status": situation.consent_status, "note": cipher.decrypt(situation.consent_note_enc)},
            "created_at": situation.created_at.isoformat(), "closed_at": _iso(situation.closed_at),
            "erased_at": _iso(situation.erased_at),
            "journal": [{"at": e.at.isoformat(), "who": e.user_email, "action": e.action, "detail": e.detail}
                        for e in events],
        }
        session.add(SituationEvent(situation_id=situation_id, user_email=operator, action="export", detail={}))
        session.commit()
    return export


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
