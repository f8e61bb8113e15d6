"""Coverage of the territory by a service type: which communes a type serves, and how."""

from __future__ import annotations

from sqlmodel import Session, select

from directory.gazetteer import distance_km
from directory.models import ServiceZone
from directory.present import coordinates
from directory.reference import ReferenceData
from directory.storage import services_of_types

# Beyond this distance a commune is "served" only on paper: the nearest site is far away.
DISTANT_KM = 30.0


def coverage_by_commune(session: Session, reference: ReferenceData, type_code: str,
                        departement: str) -> list[dict]:
    """Every commune of a département with its coverage status for a service type:
    ``covered``, ``distant`` (served by a zone but the nearest site is over 30 km away) or
    ``not_covered`` (no service of that type includes it)."""
    gazetteer = reference.gazetteer
    rows = [r for r in services_of_types(session, [type_code]) if r.status != "closed"]
    ids = [r.id for r in rows]
    keys_by_service: dict[str, set[str]] = {}
    if ids:
        for service_id, key in session.exec(select(ServiceZone.service_id, ServiceZone.zone_key)
                                            .where(ServiceZone.service_id.in_(ids))):
            keys_by_service.setdefault(service_id, set()).add(key)
    sites = {r.id: coordinates(r, reference) for r in rows}
    result = []
    for insee in sorted(gazetteer.communes_of_departement(departement)):
        commune = gazetteer.get(insee)
        if commune is None or not commune.has_coordinates:
            continue
        serving = [sid for sid, keys in keys_by_service.items()
                   if f"c:{insee}" in keys or f"d:{departement}" in keys]
        if not serving:
            status = "not_covered"
        else:
            distances = [distance_km(commune.lat, commune.lon, *sites[s]) for s in serving if sites.get(s)]
            status = "distant" if distances and min(distances) > DISTANT_KM else "covered"
        result.append({"insee": insee, "name": commune.name, "lat": commune.lat, "lon": commune.lon,
                       "status": status, "services": serving})
    return result
