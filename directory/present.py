"""Plain-Python views of stored services for the API and the templates.

Keeps the rules of display in one place: a placeholder phone never gets a dial string
(so never a ``tel:`` link), a confidential address is never shown, labels are French.
"""

from __future__ import annotations

import datetime as dt

from directory.gazetteer import distance_km
from directory.models import Service
from directory.plain import plain_source, plain_text
from directory.provenance import provenance
from directory.reference import ReferenceData

STATUS_LABELS = {
    "active": "Active",
    "published": "Publiée par l'administration, non vérifiée par le réseau",
    "seed_2014": "Citée en 2014, à confirmer",
    "to_verify": "À vérifier",
    "illustrative": "Fiche illustrative (exemple)",
    "closed": "Fermée",
}
SATURATION_LABELS = {"faible": "faible", "moyenne": "moyenne", "forte": "forte",
                     "inconnue": "inconnue"}
COST_LABELS = {"gratuit": "Gratuit", "participation": "Participation financière",
               "loyer_redevance": "Loyer ou redevance", "inconnu": "Non renseigné"}


def phone_view(contacts: dict | None) -> dict | None:
    """Phone block for display: ``dial`` is set only for real (non-placeholder) numbers."""
    phone = (contacts or {}).get("phone")
    if not phone:
        return None
    placeholder = bool(phone.get("placeholder"))
    return {"number": phone["number"], "placeholder": placeholder,
            "dial": None if placeholder else phone["number"].replace(" ", ""),
            "source": phone.get("source")}


def wait_view(wait: dict | None) -> dict | None:
    """Wait block with a French summary sentence."""
    if not wait:
        return None
    low, high = wait.get("days_min"), wait.get("days_max")
    if low is not None and high is not None:
        summary = f"{low} à {high} jours" if low != high else f"{low} jours"
    elif high is not None:
        summary = f"jusqu'à {high} jours"
    elif low is not None:
        summary = f"au moins {low} jours"
    else:
        summary = plain_text(wait.get("text")) or "délai non renseigné"
    return {**wait, "summary": summary}


def commune_view(reference: ReferenceData, insee: str | None) -> dict | None:
    """``{insee, name}`` of a commune code."""
    if not insee:
        return None
    commune = reference.gazetteer.get(insee)
    return {"insee": insee, "name": commune.name if commune else insee}


def coordinates(row: Service, reference: ReferenceData) -> tuple[float, float] | None:
    """Where to place the service: its site, or its commune's centroid when the site is
    unknown or confidential (shelters are placed at commune level only)."""
    if row.lat is not None and row.lon is not None and not row.address_confidential:
        return row.lat, row.lon
    commune = reference.gazetteer.get(row.site_commune)
    if commune and commune.has_coordinates:
        return commune.lat, commune.lon
    return None


def distance_from(commune, place: tuple[float, float] | None) -> float | None:
    """Kilometres (one decimal) from a commune's centroid to a service's place, or None
    when either is unknown."""
    if commune is None or place is None or not commune.has_coordinates:
        return None
    return round(distance_km(commune.lat, commune.lon, *place), 1)


def service_summary(row: Service, reference: ReferenceData) -> dict:
    """Compact description of a service (lists, search results)."""
    taxonomy = reference.taxonomy
    return {
        "id": row.id,
        "name": row.name,
        "operator": row.operator,
        "types": list(row.types),
        "type_labels": [taxonomy.type_label(t) for t in row.types],
        "domain": row.domain,
        "commune": commune_view(reference, row.site_commune),
        "status": row.status,
        "wait": wait_view(row.wait),
        "phone": phone_view(row.contacts),
        "last_verified_at": row.last_verified_at.isoformat(),
    }


# Kept for the network: who verified (a staff e-mail) and the verification notes.
INTERNAL_FIELDS = ("verified_by", "notes")


def service_detail(row: Service, reference: ReferenceData, covered: list[str], internal: bool = False,
                   sources: dict | None = None) -> dict:
    """Full description of a service for its sheet and ``GET /api/services/<id>``; the
    ``INTERNAL_FIELDS`` only for the network's coordinators (``internal``); ``sources``
    are the recorded sources of its fields (``directory.provenance``)."""
    taxonomy = reference.taxonomy
    detail = service_summary(row, reference)
    eligibility = dict(row.eligibility or {})
    eligibility["requires_labels"] = [taxonomy.requirements.get(c, c)
                                      for c in eligibility.get("requires", [])]
    referral = dict(row.referral or {})
    referral["by_labels"] = [taxonomy.referrers.get(c, c) for c in referral.get("by", [])]
    detail.update({
        "ref": row.ref,
        "description": row.description,
        "address": None if row.address_confidential else row.address,
        "address_confidential": row.address_confidential,
        "coordinates": coordinates(row, reference),
        "zone": list(row.zone),
        "zone_label": row.zone_label,
        "communes_served": len(covered),
        "sectorisation": row.sectorisation,
        "eligibility": eligibility,
        "referral": referral,
        "cost": row.cost,
        "cost_label": COST_LABELS.get(row.cost, row.cost),
        "anonymous": row.anonymous,
        "email": (row.contacts or {}).get("email"),
        "website": (row.contacts or {}).get("website"),
        "hours": row.hours,
        "problems": list(row.problems),
        "problem_labels": [taxonomy.problem_label(p) for p in row.problems],
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "source": row.source,
        "source_label": plain_source(row.source),
        "confidence": row.confidence,
        "verified_by": row.verified_by,
        "notes": row.notes,
        "version": row.version,
        "identifiers": {k: v for k, v in (row.identifiers or {}).items() if v},
        "provenance": provenance(row, sources or {}, internal),
    })
    if not internal:
        for name in INTERNAL_FIELDS:
            del detail[name]
        _in_plain_french(detail)
    return detail


def _in_plain_french(detail: dict) -> None:
    """Free texts without the reference's working marks, for everyone but coordinators
    (``directory.plain``); the source in words instead of the reference's codes."""
    for name in ("operator", "description", "zone_label", "sectorisation"):
        if detail.get(name):
            detail[name] = plain_text(detail[name])
    for block in ("eligibility", "referral", "hours", "wait"):
        if detail.get(block) and detail[block].get("text"):
            detail[block] = {**detail[block], "text": plain_text(detail[block]["text"])}
    detail["source"] = detail["source_label"]


def age_in_days(day: dt.date, today: dt.date | None = None) -> int:
    """How many days ago a date was."""
    return ((today or dt.date.today()) - day).days
