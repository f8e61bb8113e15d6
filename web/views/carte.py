"""The partner cartography page: every service by domain, filters and coverage view."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from sqlmodel import Session, select

from directory.coverage import coverage_by_commune
from directory.invalid import InvalidInput
from directory.models import Service
from directory.outlines import outline_path, outlined_communes
from directory.present import coordinates
from directory.storage import services_covering, services_of_types
from search.finder import resolve_commune
from web.maps.builders import COVERAGE_COLOURS, DOMAIN_COLOURS, Outlines, TileSettings, cartography_map
from web.params import text_param
from web.state import current_state, db_session

bp = Blueprint("maps", __name__)
# The layer of the town halls (352 in the Sarthe): off until asked for, they would bury
# the network's partners under their clusters.
TOWN_HALL_LAYER = "mairies"
OUTLINES_MAX_AGE = 24 * 3600


def tile_settings() -> TileSettings:
    """Tile layer of the configuration ('' disables tiles)."""
    return TileSettings(current_app.config.get("TILES_URL") or "",
                        current_app.config.get("TILES_ATTRIBUTION") or "")


def _filtered_services(session: Session, type_code: str, problem: str, commune) -> list[Service]:
    if commune is not None:
        rows = services_covering(session, commune.insee, commune.departement,
                                 [type_code] if type_code else None)
    elif type_code:
        rows = services_of_types(session, [type_code])
    else:
        rows = list(session.exec(select(Service)))
    rows = [r for r in rows if r.status != "closed"]
    if problem:
        rows = [r for r in rows if problem in (r.problems or [])]
    return rows


@bp.get("/carte")
def cartography():
    """All services on a map, one layer per domain; coverage of a chosen type."""
    state = current_state()
    taxonomy = state.reference.taxonomy
    error = None
    type_code = problem = coverage_type = ""
    commune = None
    try:
        type_code = text_param(request.args, "type", 60)
        problem = text_param(request.args, "problem", 60)
        coverage_type = text_param(request.args, "coverage", 60)
        for name, value, table in (("type", type_code, taxonomy.service_types),
                                   ("problem", problem, taxonomy.problems),
                                   ("coverage", coverage_type, taxonomy.service_types)):
            if value and value not in table:
                raise InvalidInput.on(name, f"code inconnu « {value} »")
        choice = resolve_commune(state.reference, text_param(request.args, "commune", 100) or None,
                                 territory=state.search.territory(),
                                 services_by_departement=state.search.services_by_departement)
        commune = choice.commune if choice else None
    except InvalidInput as problem_found:
        error = problem_found
        type_code = problem = coverage_type = ""
        commune = None
    session = db_session()
    layers: dict[str, list[list]] = {code: [] for code in taxonomy.domains}
    layers[TOWN_HALL_LAYER] = []
    local_types = taxonomy.local_only_types
    for row in _filtered_services(session, type_code, problem, commune):
        place = coordinates(row, state.reference)
        if place:
            label = taxonomy.type_label(row.types[0]) if row.types else ""
            layer = TOWN_HALL_LAYER if local_types.intersection(row.types) else row.domain
            layers.setdefault(layer, []).append(
                [round(place[0], 5), round(place[1], 5), row.id, row.name,
                 DOMAIN_COLOURS.get(row.domain, "#374151"), label])
    departement = commune.departement if commune else "72"
    coverage = coverage_by_commune(session, state.reference, coverage_type, departement) if coverage_type else None
    labels = {code: domain.label for code, domain in taxonomy.domains.items()}
    labels[TOWN_HALL_LAYER] = "Mairies"
    hidden = frozenset() if type_code in local_types or commune is not None else frozenset({TOWN_HALL_LAYER})
    outlines = None
    if coverage is not None:
        codes = outlined_communes(state.data_dir, departement)
        outlines = Outlines(url_for("maps.outlines", departement=departement), codes) if codes else None
    fmap = cartography_map(layers, labels, coverage, tile_settings(), outlines, hidden)
    counts = None
    if coverage is not None:
        counts = {status: sum(1 for c in coverage if c["status"] == status)
                  for status in ("covered", "distant", "not_covered")}
    return render_template(
        "maps/carte.html", map=fmap, layers=layers, labels=labels, error=error,
        types=sorted(taxonomy.service_types.values(), key=lambda t: t.short_label.lower()),
        problems=list(taxonomy.problems.values()), selected={
            "type": type_code, "problem": problem, "coverage": coverage_type,
            "commune": commune.name if commune else ""},
        coverage=coverage, counts=counts, tiles_enabled=bool(tile_settings().url),
        map_colours=DOMAIN_COLOURS, coverage_colours=COVERAGE_COLOURS, hidden=hidden,
        areas=outlines is not None,
    ), 400 if error else 200


@bp.get("/carte/contours/<departement>.geojson")
def outlines(departement: str):
    """The département's commune outlines (bundled, simplified), cached by the browser."""
    path = outline_path(current_state().data_dir, departement)
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/geo+json", max_age=OUTLINES_MAX_AGE, conditional=True)
