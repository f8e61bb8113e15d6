"""Directory search as the users see it: lay words understood, filters, facets, services
of the chosen commune first, "open now". Plain Python over the search adapter."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import opening_hours
from sqlmodel import Session, select

from directory.commune_choice import CommuneChoice, choice_facts, choose_commune
from directory.invalid import InvalidInput
from directory.models import Service
from directory.present import commune_view, coordinates, distance_from, phone_view, wait_view
from directory.reference import ReferenceData
from directory.schema import STATUSES
from directory.zones import keys_for_commune
from reading.reader import reader_for
from search.answer import local_answers, relevant, select_answer, select_national
from search.backend import Boost, SearchIndex, SearchRequest
from search.documents import problems_by_term

PARIS = ZoneInfo("Europe/Paris")
TYPE_NAMED_WEIGHT = 8.0
PROBLEM_WEIGHT = 2.0
PROBLEM_TYPE_WEIGHT = 4.0
# A query word of a problem's vocabulary (the field boost the problem words had as text).
PROBLEM_WORD_WEIGHT = 1.0
# What a query nothing was understood from is searched in: names, types and places.
NAMED_FIELDS = ("name", "type_text", "place_text")
MEANINGFUL_WORD = 4


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


def resolve_commune(reference: ReferenceData, text: str | None, field_name: str = "commune",
                    territory: frozenset[str] = frozenset(), services_by_departement=None) -> CommuneChoice | None:
    """The commune meant by an INSEE code, postcode or name; ``InvalidInput`` with the
    communes to choose from when there are homonyms or none (``directory.commune_choice``)."""
    if not text:
        return None
    return choose_commune(reference.gazetteer, text, territory, services_by_departement, field_name)


def _check_codes(values: list[str], known, field_name: str, what: str) -> None:
    for value in values:
        if value not in known:
            raise InvalidInput.on(field_name, f"{what} inconnu « {value} »")


@dataclass
class Understanding:
    """What the reader understood of a query, and what it brings to the search."""

    detected: list[dict] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)
    boosts: list[Boost] = field(default_factory=list)
    named_types: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    signals: set[str] = field(default_factory=set)
    dangers: list[dict] = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # household facts written in the query (« 19 ans »)
    unread: list[str] = field(default_factory=list)  # words nothing was read from
    unread_words: list[str] = field(default_factory=list)
    text: str = ""  # the query without the words set aside (« boit pas » is not searched)


def vocabulary_boosts(reference: ReferenceData, index: SearchIndex, text: str) -> list[Boost]:
    """Each query word found in a problem's vocabulary matches the services of that
    problem (what a full-text field of every service's problem words used to do, at one
    posting per problem instead of a hundred per service)."""
    if not text:
        return []
    by_term = problems_by_term(reference, index.analyse)
    return [Boost("problems", code, PROBLEM_WORD_WEIGHT) for term in index.analyse(text)
            for code in by_term.get(term, ())]


def understand(reference: ReferenceData, text: str) -> Understanding:
    """Detected problems (for display), ignored matches, and the query boosts they bring."""
    reading = reader_for(reference.taxonomy).read(text)
    taxonomy = reference.taxonomy
    understanding = Understanding(signals=reading.signal_codes, facts=dict(reading.facts),
                                  ignored=[item.as_dict() for item in reading.ignored],
                                  dangers=[{"nature": f.code, "matched": list(f.evidence)} for f in reading.dangers],
                                  unread=list(reading.unread), unread_words=list(reading.unread_words))
    for finding in reading.types:
        understanding.named_types.append(finding.code)
        understanding.boosts.append(Boost("types", finding.code, TYPE_NAMED_WEIGHT))
    for finding in reading.problems:
        code = finding.code
        problem = taxonomy.problems[code]
        understanding.problems.append(code)
        understanding.detected.append({"code": code, "label": problem.label, "matched": list(finding.evidence),
                                       "worry": finding.worry, "inferred": finding.inferred})
        understanding.boosts.append(Boost("problems", code, PROBLEM_WEIGHT))
    searched = text
    for item in reading.ignored:
        searched = searched.replace(item.words, " ")
    understanding.text = searched
    return understanding


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
                     params: SearchParams, now: dt.datetime | None = None,
                     answer_types: Callable[[list[str], set[str], dict], list[str]] | None = None,
                     first_contacts: tuple[str, ...] = ()) -> dict:
    """Run a directory search and shape the answer of ``GET /api/services``.

    ``answer_types(problems, signals, facts)`` gives the service types that answer the problems
    understood in ``q``, best first (the orientation rules, ``Engine.rank_types``);
    without it, each problem's own list of types is used. When nothing is understood in
    ``q``, its words are searched in names, types and places only, and the answer names
    the ``first_contacts`` (types) to turn to."""
    taxonomy = reference.taxonomy
    _check_codes(params.types, taxonomy.service_types, "type", "type de service")
    _check_codes(params.domains, taxonomy.domains, "domain", "domaine")
    _check_codes(params.problems, taxonomy.problems, "problem", "code problème")
    _check_codes(params.statuses, STATUSES, "status", "statut")
    territory = index.territory() if params.commune else frozenset()
    choice = resolve_commune(reference, params.commune, territory=territory,
                             services_by_departement=index.services_by_departement)
    commune = choice.commune if choice else None
    understanding = understand(reference, params.q) if params.q else Understanding()
    understood = bool(understanding.problems or understanding.named_types)
    if params.q and not understood:
        # Nothing understood: the meaningful words alone (« rendu », « clés »), never « il »
        # or « les », and only in names, types and places (NAMED_FIELDS below).
        understanding.text = " ".join(w for w in understanding.unread_words if len(w) >= MEANINGFUL_WORD)
    wanted: list[str] = []
    if understanding.problems and not params.types:
        wanted = (answer_types(understanding.problems, understanding.signals, understanding.facts) if answer_types
                  else [t for p in understanding.problems for t in taxonomy.problems[p].service_types])
    boosts = understanding.boosts + [Boost("types", code, PROBLEM_TYPE_WEIGHT / (1 + 0.35 * rank))
                                     for rank, code in enumerate(wanted)]
    if understood or not params.q:
        boosts += vocabulary_boosts(reference, index, understanding.text)
    request = SearchRequest(
        text=understanding.text, boosts=boosts, types=params.types, domains=params.domains,
        problems=params.problems, statuses=params.statuses,
        coverage_keys=keys_for_commune(commune.insee, commune.departement) if commune else [],
        # A commune's search reads its département's partition, not the whole country.
        partitions=[commune.departement] if commune else None,
        text_fields=NAMED_FIELDS if params.q and not understood else None,
    )
    # A query is answered with the commune's own town hall only (never when the types are
    # chosen: a coordinator listing every mairie sees them all).
    local_types = taxonomy.local_only_types if params.q and not params.types else frozenset()
    nothing_to_search = bool(params.q) and not understood and not params.types and not index.analyse(request.text)
    national = index.national(request) if commune is None and not params.open_now and not nothing_to_search \
        else None
    if nothing_to_search:
        # Every word set aside or not worth searching: no list of unrelated services.
        total, page, facets, fuzzy = 0, [], {"types": {}, "domains": {}}, False
    elif national is not None:
        # Tens of thousands of matches: ranked over arrays, objects made for the page only.
        answer = select_national(national, bool(params.q), wanted, understanding.named_types,
                                 params.offset, params.limit, local_types)
        total, page, fuzzy = answer.total, answer.page, False
        facets = {"types": answer.type_facets, "domains": answer.domain_facets}
    else:
        outcome = index.query(request)
        outcome.hits = local_answers(outcome.hits, local_types, commune is not None)
        total, page, facets, fuzzy = _ranked(outcome, params, understanding, wanted, commune, now)
    rows = {r.id: r for r in session.exec(select(Service).where(Service.id.in_([h.id for h in page])))}
    results = []
    for hit in page:
        row = rows.get(hit.id)
        if row is None:  # deleted since indexing; the index catches up on the next change
            continue
        results.append(_result(row, hit, commune, reference))
    return {
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
        "commune": _commune_answer(choice, territory),
        "results": results,
        "facets": facets,
        "detected_problems": understanding.detected,
        "ignored": understanding.ignored,
        "unread": understanding.unread,
        "danger_signals": understanding.dangers,
        "fuzzy": fuzzy,
        "understood": understood if params.q else None,
        "first_contacts": [{"type": code, "type_label": taxonomy.type_label(code)} for code in first_contacts]
        if params.q and not understood and not params.types else [],
        # A town hall (or the generic entry standing for it) answers: its commune is needed.
        "commune_needed": commune is None and any(taxonomy.local_only_types.intersection(r["types"])
                                                  for r in results),
    }


def _commune_answer(choice: CommuneChoice | None, territory: frozenset[str]) -> dict | None:
    if choice is None:
        return None
    return {**choice.commune.as_dict(), **choice_facts(choice, territory)}


def _ranked(outcome, params: SearchParams, understanding: Understanding, wanted: list[str], commune,
            now: dt.datetime | None) -> tuple[int, list, dict, bool]:
    """Total, page, facets and fuzziness of a search answered hit by hit."""
    hits = outcome.hits
    if params.q and (understanding.problems or understanding.named_types):
        hits = select_answer(hits, wanted, understanding.named_types)
    elif params.q:
        # Scores compare within one partition only: the cut-off needs a commune's search.
        hits = select_answer(relevant(hits) if commune else hits, [], [])
    if params.open_now:
        moment = (now or dt.datetime.now(PARIS)).astimezone(PARIS)
        hits = [h for h in hits if is_open(h.payload.get("hours"), moment)]
    facets = _facets(hits) if params.q else {"types": outcome.type_facets, "domains": outcome.domain_facets}
    return len(hits), hits[params.offset:params.offset + params.limit], facets, outcome.fuzzy


def _facets(hits: list) -> dict:
    types: Counter = Counter()
    domains: Counter = Counter()
    for hit in hits:
        types.update(hit.types)
        domains[hit.domain] += 1
    return {"types": dict(types), "domains": dict(domains)}


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
