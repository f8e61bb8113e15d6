"""Write API of the directory: coordinators only (session + CSRF header, or bearer token).

Optimistic locking: ``GET /api/services/<id>`` answers an ``ETag`` with the version; ``PUT``
and ``PATCH`` must send it back in ``If-Match`` (428 without it, 409 with what changed
when it is stale — nothing is lost, nothing half-written).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from directory.invalid import InvalidInput
from directory.storage import get_service, row_to_data
from web.params import json_body
from web.security import acting_user, coordinator_required
from web.state import current_state, db_session, get_service_or_404
from web.views.directory_api import detail_response
from workspace.editing import StaleVersion, set_closed, submit_entry

bp = Blueprint("workspace_api", __name__, url_prefix="/api")


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


def _body() -> dict:
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput.on("(corps)", "corps JSON attendu (objet)")
    return body


def _detail(service_id: str, status: int = 200):
    session = db_session()
    session.expire_all()  # the save ran in its own session
    return detail_response(session, get_service(session, service_id), status)


def _save(data: dict, expected: int | None, action: str):
    state = current_state()
    editor = acting_user().email
    # The save runs in its own transaction: the request's connection goes back to the pool
    # first (two held per request starve the pool under a burst of writes).
    db_session().close()
    try:
        entry = submit_entry(state.engine, state.sync, state.reference, data, editor, expected, action)
    except StaleVersion as stale:
        return _conflict(stale)
    return _detail(entry.id, 201 if expected is None else 200)


@bp.post("/services")
@coordinator_required
def create_service():
    """Create a service from a full entry (same validator as the YAML loader)."""
    return _save(_body(), None, "create")


def _write_context(service_id: str):
    """(expected version, body, stored row) of a PUT/PATCH, or an error response."""
    expected = _expected_version()
    if expected is None:
        return None, _if_match_required()
    body = _body()
    if body.get("id", service_id) != service_id:
        raise InvalidInput.on("id", "l'identifiant ne peut pas changer")
    return (expected, body, get_service_or_404(service_id)), None


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
    get_service_or_404(service_id)
    expected = _expected_version()
    if expected is None:
        return _if_match_required()
    try:
        set_closed(state.engine, state.sync, state.reference, service_id, True, acting_user().email, expected)
    except StaleVersion as stale:
        return _conflict(stale)
    return _detail(service_id)
