"""Coverage gaps: territories × key service types, and orientation gaps counted by commune
and type (never any household data)."""

from __future__ import annotations

import csv
import datetime as dt
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
