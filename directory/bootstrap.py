"""First start: fill an empty database from the bundled directory files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from directory.loader import LoadResult, check_file
from directory.reference import ReferenceData
from directory.storage import count_services, upsert_entries


class BundledDataError(RuntimeError):
    """A bundled directory file does not validate: a packaging defect."""


def data_files(setting: str | os.PathLike) -> list[Path]:
    """The files of ``MAILLAGE_DATA_FILE``: one path, or several joined by ``os.pathsep``."""
    return [Path(part) for part in str(setting).split(os.pathsep) if part.strip()]


# Checked bundled files, by file version and reference data: parsing a file with its
# line marks is most of a first start (0.8 s for the town halls), and every application
# of one process (each test's, each worker's) starts from the same files.
_CHECKED: dict[tuple, tuple[ReferenceData, LoadResult]] = {}


def _checked(path: Path, reference: ReferenceData) -> LoadResult:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size,
           id(reference.taxonomy), id(reference.gazetteer), id(reference.zones))
    cached = _CHECKED.get(key)
    if cached is None:
        if len(_CHECKED) >= 8:
            _CHECKED.clear()
        # The reference is kept with the result so that the ids of the key stay its own.
        cached = _CHECKED[key] = (reference, check_file(path, reference))
    return cached[1]


def ensure_seeded(engine: Engine, reference: ReferenceData, files: Iterable[Path]) -> int:
    """Load the directory files when the database has no service; return how many
    entries were loaded. Every file is checked before anything is written, and an id
    given by two files is an error: a first start loads all of them or nothing."""
    with Session(engine) as session:
        if count_services(session):
            return 0
    entries, origin = [], {}
    for path in files:
        result = _checked(path, reference)
        if not result.ok:
            first = "; ".join(str(issue) for issue in result.issues[:3])
            raise BundledDataError(f"{len(result.issues)} erreur(s) dans {path} : {first}")
        for entry in result.entries:
            if entry.id in origin:
                raise BundledDataError(f"identifiant « {entry.id} » présent dans {origin[entry.id]} et {path}")
            origin[entry.id] = path
        entries += result.entries
    try:
        summary = upsert_entries(engine, entries, reference)
    except IntegrityError:
        # Another worker process seeded the same empty database at the same moment.
        return 0
    return summary.created
