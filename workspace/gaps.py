"""Coverage gaps: territories × key service types, and orientation gaps counted by commune
and type (never any household data)."""

from __future__ import annotations

import csv
import datetime as dt
import threading
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from directory.coverage import coverage_by_commune
from directory.paths import DATA_DIR
from directory.reference import ReferenceData
from workspace.models import OrientationGap

# Key types of REFERENCE §8 for tenants at risk; équipe mobile and médiation together.
KEY_TYPES = (("cmp",), ("ccas",), ("service_social_departemental",), ("plateforme_maintien",),
             ("equipe_mobile", "mediation"), ("csapa",), ("siao",), ("fsl",), ("masp",), ("mdph",))


@lru_cache(maxsize=1)
def epci_names(path: str = str(DATA_DIR / "epci.csv")) -> dict[str, str]:
    """EPCI SIREN → name."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def _combine(statuses: list[str]) -> str:
    order = ("covered", "distant", "not_covered")
    return min(statuses, key=order.index)


def coverage_table(session: Session, reference: ReferenceData, departement: str = "72") -> dict:
    """Rows = intercommunalities (EPCI) of the département, columns = key types; each cell
    ``covered`` (every commune), ``partial`` (some communes not covered), ``distant`` (served
    only by a site over 30 km away) or ``not_covered``, with the uncovered communes."""
    per_type: dict[tuple, dict[str, str]] = {}
    for group in KEY_TYPES:
        statuses: dict[str, list[str]] = defaultdict(list)
        for code in group:
            for commune in coverage_by_commune(session, reference, code, departement):
                statuses[commune["insee"]].append(commune["status"])
        per_type[group] = {insee: _combine(values) for insee, values in statuses.items()}
    names = epci_names()
    territories: dict[str, list[str]] = defaultdict(list)
    for insee in reference.gazetteer.communes_of_departement(departement):
        commune = reference.gazetteer.get(insee)
        territories[commune.epci or "sans-epci"].append(insee)
    rows = []
    for epci, communes in sorted(territories.items(), key=lambda kv: names.get(kv[0], kv[0])):
        cells = []
        for group in KEY_TYPES:
            values = [per_type[group].get(c, "not_covered") for c in communes]
            uncovered = [reference.gazetteer.get(c).name for c, v in zip(communes, values, strict=True)
                         if v == "not_covered"]
            if not uncovered and all(v == "covered" for v in values):
                status = "covered"
            elif len(uncovered) == len(values):
                status = "not_covered"
            elif uncovered:
                status = "partial"
            else:
                status = "distant"
            cells.append({"types": group, "status": status, "uncovered": uncovered})
        rows.append({"epci": epci, "name": names.get(epci, "Communes hors EPCI"), "communes": len(communes),
                     "cells": cells})
    return {"types": KEY_TYPES, "rows": rows, "departement": departement}


class RecentOrientations:
    """Orientations already counted in the last ``ttl_s`` seconds, by what the count
    itself holds (commune, problem codes, missing types): showing the same orientation
    again (a reload, its printable sheet, its bookmark) is not a new one. In memory only,
    per server process; nothing about the household is kept."""

    def __init__(self, ttl_s: float = 3600.0, size: int = 10_000):
        self.ttl_s, self.size = ttl_s, size
        self._seen: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def first_time(self, key: tuple, now: float | None = None) -> bool:
        """True the first time ``key`` is seen within the window (and remember it)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen < self.ttl_s:
                return False
            if len(self._seen) >= self.size:  # the oldest half goes
                for old in sorted(self._seen, key=self._seen.get)[: self.size // 2]:
                    del self._seen[old]
            self._seen[key] = now
            return True


def record_orientation_gaps(engine: Engine, recent: RecentOrientations, commune: str, problem_codes: list[str],
                            type_codes: list[str]) -> None:
    """Count the gaps of an orientation once however often it is shown (``RecentOrientations``)."""
    if type_codes and recent.first_time((commune, tuple(sorted(problem_codes)), tuple(sorted(type_codes)))):
        record_gaps(engine, commune, type_codes)


def record_gaps(engine: Engine, commune: str, type_codes: list[str], today: dt.date | None = None) -> None:
    """Count orientation gaps (commune, type) — no household data at all."""
    if not type_codes:
        return
    today = today or dt.date.today()
    for attempt in range(2):
        with Session(engine) as session:
            try:
                for code in dict.fromkeys(type_codes):
                    row = session.get(OrientationGap, (commune, code))
                    if row is None:
                        session.add(OrientationGap(commune=commune, type_code=code, count=1, last_seen=today))
                    else:
                        row.count += 1
                        row.last_seen = today
                session.commit()
                return
            except IntegrityError:
                # Another request created the same counter meanwhile: count again on it.
                session.rollback()
                if attempt:
                    raise


def gap_counts(session: Session, limit: int = 100) -> list[OrientationGap]:
    """Most frequent orientation gaps."""
    return list(session.exec(select(OrientationGap).order_by(OrientationGap.count.desc(),
                                                             OrientationGap.commune).limit(limit)))
