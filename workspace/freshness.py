"""Freshness of the directory: what a coordinator should call to re-verify."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session

from directory.storage import all_services

DEFAULT_MAX_AGE_DAYS = 182


@dataclass
class FreshnessReport:
    """Services needing attention, by reason, with counts per operator."""

    today: dt.date
    max_age_days: int
    stale: list = field(default_factory=list)
    placeholders: list = field(default_factory=list)
    to_verify: list = field(default_factory=list)
    old_waits: list = field(default_factory=list)
    by_operator: dict = field(default_factory=dict)
    total: int = 0


def freshness_report(session: Session, today: dt.date | None = None,
                     max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> FreshnessReport:
    """Services not verified for ``max_age_days``, still with a placeholder phone, with a
    status to verify, or whose waiting time was stated long ago; closed ones are left out."""
    today = today or dt.date.today()
    limit = today - dt.timedelta(days=max_age_days)
    report = FreshnessReport(today, max_age_days)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"total": 0, "stale": 0, "placeholders": 0,
                                                             "to_verify": 0, "old_waits": 0})
    for row in all_services(session):
        if row.status == "closed":
            continue
        report.total += 1
        operator = counts[row.operator or "(opérateur non renseigné)"]
        operator["total"] += 1
        if row.last_verified_at < limit:
            report.stale.append(row)
            operator["stale"] += 1
        phone = (row.contacts or {}).get("phone") or {}
        if phone.get("placeholder"):
            report.placeholders.append(row)
            operator["placeholders"] += 1
        if row.status in ("to_verify", "seed_2014", "illustrative"):
            report.to_verify.append(row)
            operator["to_verify"] += 1
        stated = (row.wait or {}).get("stated_at")
        if stated and dt.date.fromisoformat(str(stated)[:10]) < limit:
            report.old_waits.append(row)
            operator["old_waits"] += 1
    report.stale.sort(key=lambda r: r.last_verified_at)
    report.by_operator = dict(sorted(counts.items(), key=lambda kv: (-kv[1]["stale"] - kv[1]["placeholders"], kv[0])))
    return report
