"""Directory JSON API: services and communes."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from directory.present import service_detail
from directory.provenance import field_sources
from directory.storage import communes_served
from recommender.triage import search_triage
from web.params import int_param, text_param
from web.search_params import parse_search_params
from web.security import acting_user, is_coordinator
from web.state import current_state, db_session, get_service_or_404

bp = Blueprint("directory_api", __name__, url_prefix="/api")


def detail_response(session, row, status: int = 200):
    """A service's full JSON, with its version as ``ETag`` (for If-Match on writes); the
    internal fields only for an authenticated coordinator."""
    reference = current_state().reference
    internal = is_coordinator(acting_user())
    response = jsonify(service_detail(row, reference, communes_served(session, row.id, reference.gazetteer),
                                      internal=internal, sources=field_sources(session, row.id)))
    response.status_code = status
    response.headers["ETag"] = f'"{row.version}"'
    return response


@bp.get("/services/<service_id>")
def service_json(service_id: str):
    """One service, every field."""
    session = db_session()
    return detail_response(session, get_service_or_404(service_id, session))


@bp.get("/services")
def services_json():
    """Search the directory: ``q``, ``commune``, ``type``, ``domain``, ``problem``,
    ``status``, ``open_now``, ``limit``, ``offset`` (all optional)."""
    params = parse_search_params(request.args, default_limit=20)
    state = current_state()
    answer = state.search_answer(db_session(), params)
    triage = search_triage(state.reference, answer)
    if triage:
        answer.update(triage)
    return jsonify(answer)


@bp.get("/communes")
def communes_json():
    """Commune autocomplete by name prefix or postcode."""
    query = text_param(request.args, "q", max_length=100)
    limit = int_param(request.args, "limit", 10, 1, 50)
    departement = text_param(request.args, "departement", max_length=3) or None
    found = current_state().reference.gazetteer.search(query, limit=limit,
                                                       departement=departement)
    return jsonify({"results": [c.as_dict() for c in found]})
