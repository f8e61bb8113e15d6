"""Relays to the territorial platforms (« signalements »), JSON API.

``POST /api/situations`` records a caretaker's relay (201 ``{id, platform, status}``);
``GET /api/situations`` lists the caller's; ``GET /api/situations/<id>`` shows one as the
caller may see it (404 for a situation the caller may not know exists); ``PATCH`` with
``{"status": …}`` moves it along (platform members). Nothing personal is
logged; every read and change is journaled in the database.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from web.params import json_body
from web.security import acting_user, signed_in_required
from web.state import current_state, db_session
from workspace.models import PLATFORM_ROLES
from workspace.situations import change_status, list_situations, read_situation, relay_situation

bp = Blueprint("situations_api", __name__, url_prefix="/api/situations")

# REFERENCE §6: an emergency is called first, the relay comes after.
EMERGENCY_FIRST = "Danger immédiat : appelez d'abord le 112 (ou le 15, 17, 18 ; 114 par SMS), puis transmettez."


@bp.post("")
@signed_in_required
def relay():
    """Relay a situation to the platform serving its commune."""
    user = acting_user()
    if user.role not in PLATFORM_ROLES:
        abort(403)
    state = current_state()
    relayed = relay_situation(state.engine, state.reference, state.platforms, state.cipher, json_body(request), user)
    body = {"id": relayed.id, "platform": relayed.platform.code, "platform_name": relayed.platform.name,
            "status": relayed.status}
    if relayed.emergency:
        body["emergency"] = EMERGENCY_FIRST
    return jsonify(body), 201


@bp.get("")
@signed_in_required
def situations():
    """The situations of the caller's platforms and those the caller relayed."""
    return jsonify({"situations": list_situations(db_session(), acting_user())})


@bp.get("/<situation_id>")
@signed_in_required
def situation(situation_id: str):
    """One situation, as the caller may see it."""
    state = current_state()
    return jsonify(read_situation(state.engine, state.cipher, acting_user(), situation_id))


@bp.patch("/<situation_id>")
@signed_in_required
def move_situation(situation_id: str):
    """A platform member changes a situation's status (journaled)."""
    state = current_state()
    status = change_status(state.engine, acting_user(), situation_id, json_body(request))
    return jsonify({"id": situation_id, "status": status})
