"""Where each fact of a service sheet comes from, and how old it is.

A field a register gave (an accepted import proposal) has its own recorded source
(``FieldSource``); a phone or hours block names its source; anything else comes from the
entry's source, as of its last verification."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from directory.models import FieldSource, Service
from directory.plain import plain_source

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
# The facts a reader checks before calling, in the sheet's order.
SHOWN_FIELDS = (("name", "Nom"), ("site.address", "Adresse"), ("contacts.phone.number", "Téléphone"),
                ("contacts.email", "E-mail"), ("contacts.website", "Site web"), ("hours", "Horaires"))


def month_year(day: dt.date) -> str:
    """``2026-10-01`` → « octobre 2026 »."""
    return f"{MONTHS[day.month - 1]} {day.year}"


# The source an edit by the network gives the fields it changes.
NETWORK_EDIT = "saisie du réseau"


def changed_shown_fields(before: dict, after: dict) -> list[str]:
    """The sheet's facts (``SHOWN_FIELDS``) whose value differs between two entries."""
    from directory.diff import value_at

    def fact(data: dict, path: str):
        if path == "contacts.phone.number":
            phone = value_at(data, "contacts.phone") or {}
            return phone.get("number"), phone.get("placeholder")
        return value_at(data, path)

    return [path for path, _label in SHOWN_FIELDS if fact(before, path) != fact(after, path)]


def record_edit_sources(session: Session, service_id: str, paths: list[str], day: dt.date) -> None:
    """An edit replaces the source of each fact it changes: « saisie du réseau », its date
    (a phone replaced by hand no longer credits the register that gave the old one)."""
    for path in paths:
        source = session.get(FieldSource, (service_id, path)) or FieldSource(
            service_id=service_id, path=path, source_label=NETWORK_EDIT, source_date=day)
        source.source_label, source.source_date = NETWORK_EDIT, day
        session.add(source)


def field_sources(session: Session, service_id: str) -> dict[str, FieldSource]:
    """The recorded sources of a service's fields, by path."""
    return {s.path: s for s in session.exec(select(FieldSource).where(FieldSource.service_id == service_id))}


def _value(row: Service, path: str):
    if path == "site.address":
        return None if row.address_confidential else row.address
    if path == "name":
        return row.name
    if path == "hours":
        return row.hours
    block, _, rest = path.partition(".")
    value = row.contacts or {}
    for part in rest.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if path == "contacts.phone.number" and ((row.contacts or {}).get("phone") or {}).get("placeholder"):
        return None  # a placeholder has no source: it is no fact
    return value


def provenance(row: Service, recorded: dict[str, FieldSource], internal: bool = False) -> list[dict]:
    """``[{field, label, source, date, text}]`` for the facts the sheet shows: « Téléphone :
    Annuaire de l'administration (…), octobre 2026 »."""
    entry_source = row.source if internal else plain_source(row.source)
    facts = []
    for path, label in SHOWN_FIELDS:
        if not _value(row, path):
            continue
        if path in recorded:
            source, date = recorded[path].source_label, recorded[path].source_date
        elif path == "contacts.phone.number" and ((row.contacts or {}).get("phone") or {}).get("source"):
            source, date = row.contacts["phone"]["source"], row.last_verified_at
        elif path == "hours" and (row.hours or {}).get("source"):
            source, date = row.hours["source"], row.last_verified_at
        else:
            source, date = entry_source, row.last_verified_at
        if not internal and path not in recorded:
            source = plain_source(source)
        when = month_year(date)
        text = f"{label} : {source}" + ("" if when in source else f", {when}")
        facts.append({"field": path, "label": label, "source": source, "date": date.isoformat(), "text": text})
    return facts
