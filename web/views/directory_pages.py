"""Directory pages: the service sheet."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from directory.diff import describer
from directory.invalid import InvalidInput
from directory.present import service_detail
from directory.provenance import field_sources
from directory.storage import communes_served
from recommender.triage import search_triage
from web.maps.builders import service_map
from web.search_params import parse_search_params
from web.security import acting_user, is_coordinator
from web.state import current_state, db_session, get_service_or_404
from web.views.carte import tile_settings
from workspace.editing import history

bp = Blueprint("directory_pages", __name__)


@bp.get("/services/<service_id>")
def service_sheet(service_id: str):
    """A service sheet: what, for whom, conditions, referral, wait, contacts, zone."""
    session = db_session()
    row = get_service_or_404(service_id, session)
    reference = current_state().reference
    covered = communes_served(session, row.id, reference.gazetteer)
    coordinator = is_coordinator(acting_user())
    detail = service_detail(row, reference, covered, internal=coordinator, sources=field_sources(session, row.id))
    communes = [c for c in (reference.gazetteer.get(code) for code in covered) if c]
    departement_wide = any(t.startswith("departement:") for t in row.zone)
    fmap = service_map(detail, row.domain, [] if departement_wide else communes, tile_settings())
    items = history(session, row.id)[:5] if coordinator else []
    return render_template("directory/service.html", service=detail, communes=communes[:60],
                           map=fmap, tiles_enabled=bool(tile_settings().url), coordinator=coordinator,
                           items=items, describe=describer(current_state().reference.taxonomy))


@bp.get("/annuaire")
def directory_search():
    """Search page: one field, commune, filters; results as cards with a call button."""
    state = current_state()
    taxonomy = state.reference.taxonomy
    error = params = None
    results = triage = None
    try:
        params = parse_search_params(request.args, default_limit=10)
        searched = bool(params.q or params.commune or params.types or params.domains
                        or params.problems)
        if searched:
            results = state.search_answer(db_session(), params)
            answered = request.args.get("danger", "")
            if answered in ("oui", "non"):
                results["questions"] = []  # answered: not asked again
            triage = search_triage(state.reference, results, danger_confirmed=answered == "oui")
    except InvalidInput as problem:
        # A commune to choose keeps the words typed; an unreadable parameter starts afresh.
        params = params or parse_search_params({})
        error = problem
    status = 400 if error else 200
    return render_template(
        "directory/search.html", params=params, results=results, error=error, triage=triage,
        helplines=taxonomy.lines_in_block("urgences_sociales"),
        useful_lines=taxonomy.lines_in_block("numeros_utiles"),
        types=sorted(taxonomy.service_types.values(), key=lambda t: t.short_label.lower()),
        domains=list(taxonomy.domains.values()),
    ), status
