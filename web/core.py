"""Core pages: home and health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from directory.storage import count_services
from web.state import db_session

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    """Home: search box, entry points for each kind of user."""
    return render_template("home.html", services=count_services(db_session()))


@bp.get("/healthz")
def healthz():
    """Liveness and data check for monitoring."""
    return jsonify({"status": "ok", "services": count_services(db_session())})
