"""Directory JSON API: services and communes."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from directory.present import service_detail, service_summary
from directory.storage import count_services, get_service, list_services, zone_keys_of
from directory.zones import covered_communes
from web.errors import error_response
from web.params import int_param, text_param
from web.state import current_state, db_session

bp = Blueprint("directory_api", __name__, url_prefix="/api")


@bp.get("/services/<service_id>")
def service_json(service_id: str):
    """One service, every field."""
    session = db_session()
    row = get_service(session, service_id)
    if row is None:
        return error_response(404, f"service « {service_id} » introuvable", "id")
    reference = current_state().reference
    covered = covered_communes(set(zone_keys_of(session, row.id)), reference.gazetteer)
    return jsonify(service_detail(row, reference, covered))


@bp.get("/services")
def services_json():
    """Services ordered by name, paginated with ``limit`` and ``offset``."""
    limit = int_param(request.args, "limit", 20, 1, 100)
    offset = int_param(request.args, "offset", 0, 0, 1_000_000)
    session = db_session()
    reference = current_state().reference
    rows = list_services(session, limit=limit, offset=offset)
    return jsonify({"total": count_services(session), "limit": limit, "offset": offset,
                    "results": [service_summary(r, reference) for r in rows]})


@bp.get("/communes")
def communes_json():
    """Commune autocomplete by name prefix or postcode."""
    query = text_param(request.args, "q", max_length=100)
    limit = int_param(request.args, "limit", 10, 1, 50)
    departement = text_param(request.args, "departement", max_length=3) or None
    found = current_state().reference.gazetteer.search(query, limit=limit,
                                                       departement=departement)
    return jsonify({"results": [c.as_dict() for c in found]})
