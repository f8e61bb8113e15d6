"""First start: fill an empty database from the bundled directory file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from directory.loader import check_file
from directory.reference import ReferenceData
from directory.storage import count_services, upsert_entries


class BundledDataError(RuntimeError):
    """The bundled directory file does not validate: a packaging defect."""


def ensure_seeded(engine: Engine, reference: ReferenceData, data_file: Path) -> int:
    """Load ``data_file`` when the database has no service; return how many were loaded."""
    with Session(engine) as session:
        if count_services(session):
            return 0
    result = check_file(data_file, reference)
    if not result.ok:
        first = "; ".join(str(issue) for issue in result.issues[:3])
        raise BundledDataError(f"{len(result.issues)} erreur(s) dans {data_file} : {first}")
    try:
        summary = upsert_entries(engine, result.entries, reference)
    except IntegrityError:
        # Another worker process seeded the same empty database at the same moment.
        return 0
    return summary.created
