"""Write API of the directory: coordinators only (session + CSRF header, or bearer token).

Optimistic locking: ``GET /api/services/<id>`` answers an ``ETag`` with the version; ``PUT``
and ``PATCH`` must send it back in ``If-Match`` (428 without it, 409 with what changed
when it is stale — nothing is lost, nothing half-written).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from directory.schema import validate_entry
from directory.storage import get_service, row_to_data
from web.params import error_list, json_body
from web.security import acting_user, coordinator_required
from web.state import current_state, db_session
from web.views.directory_api import detail_response
from workspace.editing import EditError, StaleVersion, save_entry, set_closed

bp = Blueprint("workspace_api", __name__, url_prefix="/api")


def _errors(errors, status: int = 400):
    return jsonify({"error": errors[0].message, "field": errors[0].field, "status": status,
                    **error_list(errors)}), status


def _conflict(stale: StaleVersion):
    return jsonify({"error": "la structure a été modifiée entre-temps : rechargez-la et refaites "
                             "vos changements sur la version actuelle",
                    "field": "version", "status": 409, "current_version": stale.current_version,
                    "changes": [c.as_dict() for c in stale.theirs], "current": stale.current}), 409


def _expected_version():
    raw = (request.headers.get("If-Match") or "").strip().strip('W/').strip('"')
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


def _if_match_required():
    return jsonify({"error": "en-tête If-Match obligatoire (version lue, cf. ETag)",
                    "field": "If-Match", "status": 428}), 428


def _body() -> dict | None:
    body = json_body(request)
    return body if isinstance(body, dict) else None


def _detail(service_id: str, status: int = 200):
    session = db_session()
    session.expire_all()  # the save ran in its own session
    return detail_response(session, get_service(session, service_id), status)


def _save(data: dict, expected: int | None, action: str):
    state = current_state()
    entry, errors = validate_entry(data, state.reference)
    if errors:
        return _errors(errors)
    editor = acting_user().email
    # The save runs in its own transaction: the request's connection goes back to the pool
    # first (two held per request starve the pool under a burst of writes).
    db_session().close()
    try:
        save_entry(state.engine, state.sync, state.reference, entry, editor, expected, action)
    except StaleVersion as stale:
        return _conflict(stale)
    except EditError as error:
        return _errors(error.errors, 409 if error.errors[0].field == "id" else 400)
    return _detail(entry.id, 201 if expected is None else 200)


@bp.post("/services")
@coordinator_required
def create_service():
    """Create a service from a full entry (same validator as the YAML loader)."""
    body = _body()
    if body is None:
        return jsonify({"error": "corps JSON attendu (objet)", "field": "(corps)", "status": 400}), 400
    return _save(body, None, "create")


def _write_context(service_id: str):
    """(expected version, body, stored row) of a PUT/PATCH, or an error response."""
    expected = _expected_version()
    if expected is None:
        return None, _if_match_required()
    body = _body()
    if body is None:
        return None, (jsonify({"error": "corps JSON attendu (objet)", "field": "(corps)", "status": 400}), 400)
    if body.get("id", service_id) != service_id:
        return None, (jsonify({"error": "l'identifiant ne peut pas changer", "field": "id", "status": 400}), 400)
    row = get_service(db_session(), service_id)
    if row is None:
        return None, (jsonify({"error": f"service « {service_id} » introuvable", "field": "id",
                               "status": 404}), 404)
    return (expected, body, row), None


@bp.put("/services/<service_id>")
@coordinator_required
def replace_service(service_id: str):
    """Replace a service's entry (``If-Match`` required)."""
    context, problem = _write_context(service_id)
    if problem:
        return problem
    expected, body, _row = context
    return _save({**body, "id": service_id}, expected, "update")


@bp.patch("/services/<service_id>")
@coordinator_required
def patch_service(service_id: str):
    """Change some top-level fields (``If-Match`` required)."""
    context, problem = _write_context(service_id)
    if problem:
        return problem
    expected, body, row = context
    return _save({**row_to_data(row), **body}, expected, "update")


@bp.delete("/services/<service_id>")
@coordinator_required
def close_service(service_id: str):
    """Close a service: kept with its history, shown as closed, never suggested."""
    state = current_state()
    row = get_service(db_session(), service_id)
    if row is None:
        return jsonify({"error": f"service « {service_id} » introuvable", "field": "id", "status": 404}), 404
    expected = _expected_version()
    if expected is None:
        return _if_match_required()
    try:
        set_closed(state.engine, state.sync, state.reference, service_id, True, acting_user().email, expected)
    except StaleVersion as stale:
        return _conflict(stale)
    return _detail(service_id)
