"""Services of the territory for a suggested type (G4), from the directory storage."""

from __future__ import annotations

from sqlmodel import Session

from directory.gazetteer import Commune
from directory.models import Service
from directory.present import coordinates, distance_from, phone_view, wait_view
from directory.reference import ReferenceData
from directory.storage import services_covering, services_of_types
from directory.town_halls import replace_generic

MAX_SERVICES = 3
MAX_DISTANT = 2
# Under this population a commune need not have a CCAS (loi NOTRe, 2015, art. 79).
CCAS_OPTIONAL_BELOW = 1500
SMALL_COMMUNE_NOTE = ("Commune de moins de 1 500 habitants : elle n'a pas forcément de CCAS (loi NOTRe, 2015) ; "
                      "la mairie est l'interlocuteur de l'aide sociale.")
NO_CCAS_LISTED_NOTE = ("Le CCAS de la commune n'est pas encore dans l'annuaire : la mairie en donne les "
                       "coordonnées et l'accueil.")


def _how_to_refer(row: Service) -> str | None:
    referral = row.referral or {}
    parts = [referral.get("text")]
    if referral.get("documents"):
        parts.append("Documents : " + ", ".join(referral["documents"]) + ".")
    return " ".join(p for p in parts if p) or None


def _view(row: Service, commune: Commune, covers: bool, reference: ReferenceData) -> dict:
    place = coordinates(row, reference)
    distance = distance_from(commune, place)
    eligibility = row.eligibility or {}
    return {
        "id": row.id,
        "name": row.name,
        "domain": row.domain,
        "covers_commune": covers,
        "distance_km": distance,
        "wait": wait_view(row.wait),
        "phone": phone_view(row.contacts),
        "how_to_refer": _how_to_refer(row),
        "status": row.status,
        "lat": place[0] if place else None,
        "lon": place[1] if place else None,
        "age_range": (eligibility.get("age_min"), eligibility.get("age_max")),
        "note": None,
    }


def _order(view: dict) -> tuple:
    wait = (view["wait"] or {}).get("days_max")
    return (not view["covers_commune"], view["status"] != "active",
            view["distance_km"] if view["distance_km"] is not None else 10_000,
            wait if wait is not None else 10_000, view["name"])


class ServiceFinder:
    """``find(type, commune)`` for the engine, bound to a database session."""

    def __init__(self, session: Session, reference: ReferenceData):
        self.session = session
        self.reference = reference

    def __call__(self, type_code: str, commune: Commune) -> list[dict]:
        """Covering services first (coverage, status, distance, wait); for types that are
        not sectorised and have no covering service, the nearest ones of the département,
        flagged as not covering the commune."""
        covering = [r for r in services_covering(self.session, commune.insee, commune.departement, [type_code])
                    if r.status != "closed"]
        covering = self._with_own_town_hall(covering, commune)
        views = [_view(r, commune, True, self.reference) for r in covering]
        if not views and type_code == "ccas":
            views = self._town_hall_for_social_aid(commune)
        service_type = self.reference.taxonomy.service_types[type_code]
        if not views and not service_type.sectorised:
            # Nearest services of the same département only: beyond it, a service is no answer.
            others = [r for r in services_of_types(self.session, [type_code], commune.departement)
                      if r.status != "closed"]
            distant = sorted((_view(r, commune, False, self.reference) for r in others), key=_order)
            views = distant[:MAX_DISTANT]
        return sorted(views, key=_order)[:MAX_SERVICES]

    def _own_town_hall(self, row: Service, commune: Commune) -> bool:
        local = self.reference.taxonomy.local_only_types
        return row.site_commune == commune.insee and bool(local.intersection(row.types))

    def _with_own_town_hall(self, rows: list[Service], commune: Commune) -> list[Service]:
        """The commune's own town hall replaces the generic « mairie de la commune de
        résidence » (an entry without a place of the same type)."""
        return replace_generic(rows, self.reference.taxonomy.local_only_types, lambda r: r.types,
                               lambda r: self._own_town_hall(r, commune), lambda r: r.site_commune is None)

    def _town_hall_for_social_aid(self, commune: Commune) -> list[dict]:
        """No CCAS listed for the commune: its town hall, saying why (a small commune
        need not have a CCAS; a larger one has one the town hall will name)."""
        local = sorted(self.reference.taxonomy.local_only_types)
        halls = [r for r in services_covering(self.session, commune.insee, commune.departement, local)
                 if r.status != "closed" and self._own_town_hall(r, commune)]
        note = SMALL_COMMUNE_NOTE if commune.population < CCAS_OPTIONAL_BELOW else NO_CCAS_LISTED_NOTE
        return [{**_view(r, commune, True, self.reference), "note": note} for r in halls[:1]]
