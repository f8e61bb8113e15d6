"""Login and logout of coordinators (readers need no account)."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from web.security import limiter
from web.state import db_session
from workspace.accounts import authenticate

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local redirects after login (no open redirect)."""
    if target and urlparse(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("coordination.dashboard")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"],
               error_message="Trop de tentatives de connexion : réessayez dans une minute.")
def login():
    """Login form; the same message whatever was wrong (no user enumeration)."""
    error = None
    if request.method == "POST":
        user = authenticate(db_session(), request.form.get("email", ""), request.form.get("password", ""))
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        error = "Identifiants incorrects."
    return render_template("workspace/login.html", error=error), 401 if error else 200


@bp.post("/deconnexion")
def logout():
    """End the session."""
    logout_user()
    return redirect(url_for("core.home"))
