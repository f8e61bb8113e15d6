"""Directory search as the users see it: lay words understood, filters, facets, services
of the chosen commune first, "open now". Plain Python over the search adapter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import opening_hours
from sqlmodel import Session, select

from directory.models import Service
from directory.present import commune_view, coordinates, distance_from, phone_view, wait_view
from directory.reference import ReferenceData
from directory.search import Boost, SearchIndex, SearchRequest
from directory.vocabulary import vocabulary_for
from directory.zones import keys_for_commune

PARIS = ZoneInfo("Europe/Paris")
TYPE_NAMED_WEIGHT = 8.0
PROBLEM_WEIGHT = 2.0
PROBLEM_TYPE_WEIGHT = 4.0
# Emergency services are always shown in the emergency block; in search results they
# should not push the specialised services down.
DEMOTED_TYPES = {"urgences": 0.3, "forces_de_l_ordre": 0.3, "ligne_nationale": 0.3}


class InvalidSearch(ValueError):
    """A search parameter is not acceptable; ``field`` names it (French message)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class SearchParams:
    """What the user asked (already parsed, codes still to check)."""

    q: str = ""
    commune: str | None = None
    types: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    open_now: bool = False
    limit: int = 10
    offset: int = 0


def resolve_commune(reference: ReferenceData, text: str | None, field_name: str = "commune"):
    """The commune meant by an INSEE code, postcode or name; ``InvalidSearch`` if none."""
    if not text:
        return None
    found = reference.gazetteer.resolve(text)
    if not found:
        raise InvalidSearch(field_name, f"commune inconnue « {text} » (code INSEE, code postal ou nom)")
    return found[0]


def _check_codes(values: list[str], known, field_name: str, what: str) -> None:
    for value in values:
        if value not in known:
            raise InvalidSearch(field_name, f"{what} inconnu « {value} »")


def understand(reference: ReferenceData, text: str) -> tuple[list[dict], list[Boost]]:
    """Detected problems (for display) and the query boosts they bring."""
    vocabulary = vocabulary_for(reference.taxonomy)
    taxonomy = reference.taxonomy
    boosts: list[Boost] = []
    for code, _words in vocabulary.detect_types(text):
        boosts.append(Boost("types", code, TYPE_NAMED_WEIGHT))
    detected = []
    for code, words in vocabulary.detect_problems(text):
        problem = taxonomy.problems[code]
        detected.append({"code": code, "label": problem.label, "matched": words})
        boosts.append(Boost("problems", code, PROBLEM_WEIGHT))
        for rank, type_code in enumerate(problem.service_types):
            weight = PROBLEM_TYPE_WEIGHT / (1 + 0.35 * rank) * DEMOTED_TYPES.get(type_code, 1.0)
            boosts.append(Boost("types", type_code, weight))
    return detected, boosts


def is_open(hours_osm: str | None, now: dt.datetime) -> bool:
    """True when the structured hours say open at ``now`` (French public holidays closed)."""
    if not hours_osm:
        return False
    try:
        hours = opening_hours.OpeningHours(hours_osm, timezone=PARIS, country="FR")
        state, _comment = hours.state(now)
        return state == opening_hours.State.OPEN
    except Exception:  # noqa: BLE001 - unreadable hours are "not known to be open"
        return False


def search_directory(session: Session, index: SearchIndex, reference: ReferenceData,
                     params: SearchParams, now: dt.datetime | None = None) -> dict:
    """Run a directory search and shape the answer of ``GET /api/services``."""
    taxonomy = reference.taxonomy
    _check_codes(params.types, taxonomy.service_types, "type", "type de service")
    _check_codes(params.domains, taxonomy.domains, "domain", "domaine")
    _check_codes(params.problems, taxonomy.problems, "problem", "code problème")
    _check_codes(params.statuses, ("active", "seed_2014", "to_verify", "illustrative", "closed"),
                 "status", "statut")
    commune = resolve_commune(reference, params.commune)
    detected, boosts = understand(reference, params.q) if params.q else ([], [])
    request = SearchRequest(
        text=params.q, boosts=boosts, types=params.types, domains=params.domains,
        problems=params.problems, statuses=params.statuses,
        coverage_keys=keys_for_commune(commune.insee, commune.departement) if commune else [],
        # A commune's search reads its département's partition, not the whole country.
        partitions=[commune.departement] if commune else None,
    )
    outcome = index.query(request)
    hits = outcome.hits
    if params.open_now:
        moment = (now or dt.datetime.now(PARIS)).astimezone(PARIS)
        hits = [h for h in hits if is_open(h.payload.get("hours"), moment)]
    page = hits[params.offset:params.offset + params.limit]
    rows = {r.id: r for r in session.exec(select(Service).where(Service.id.in_([h.id for h in page])))}
    results = []
    for hit in page:
        row = rows.get(hit.id)
        if row is None:  # deleted since indexing; the index catches up on the next change
            continue
        results.append(_result(row, hit, commune, reference))
    return {
        "total": len(hits),
        "limit": params.limit,
        "offset": params.offset,
        "commune": commune.as_dict() if commune else None,
        "results": results,
        "facets": {"types": outcome.type_facets, "domains": outcome.domain_facets},
        "detected_problems": detected,
        "fuzzy": outcome.fuzzy,
    }


def _result(row: Service, hit, commune, reference: ReferenceData) -> dict:
    distance = distance_from(commune, coordinates(row, reference))
    return {
        "id": row.id,
        "name": row.name,
        "types": list(row.types),
        "type_labels": [reference.taxonomy.type_label(t) for t in row.types],
        "domain": row.domain,
        "commune": commune_view(reference, row.site_commune),
        "covers_commune": hit.covers,
        "distance_km": distance,
        "wait": wait_view(row.wait),
        "phone": phone_view(row.contacts),
        "status": row.status,
        "score": round(hit.score, 4),
    }
