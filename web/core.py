"""Core pages: home and health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from directory.storage import count_services
from web.state import current_state, db_session

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    """Home: search box, entry points for each kind of user."""
    return render_template("home.html", services=count_services(db_session()))


@bp.get("/healthz")
def healthz():
    """Liveness and data check for monitoring: the services stored and how far this
    server's search index is behind the changes saved (``degraded`` past the threshold,
    still 200: the server answers, its search may miss recent changes)."""
    status = current_state().sync.status()
    return jsonify({"status": "degraded" if status.degraded else "ok",
                    "services": count_services(db_session()), "index": status.as_json()})
