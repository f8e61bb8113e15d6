"""Login and logout of coordinators (readers need no account).

Login attempts are limited per client address, and per account *and* address: failed
attempts from other addresses never lock the owner out of their own account (argon2 and
the address limits keep guessing slow). Logout ends every session of the user.
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from web.security import limiter, start_session
from web.state import db_session
from workspace.accounts import authenticate, end_sessions
from workspace.models import PLATFORM_ROLES

bp = Blueprint("auth", __name__)
TOO_MANY = "Trop de tentatives de connexion : réessayez plus tard."


def _account_key() -> str:
    """One account from one address (an attacker elsewhere never uses up the owner's tries)."""
    return "account:" + (request.form.get("email") or "").strip().lower()[:254] + "@" + (request.remote_addr or "")


def safe_next(target: str | None, default: str | None = None) -> str:
    """Only local paths after login (no open redirect, no control character in a header);
    else ``default`` (the coordination dashboard)."""
    if (target and target.startswith("/") and not target.startswith(("//", "/\\"))
            and target.isprintable() and " " not in target and "\\" not in target
            and urlparse(target).netloc == ""):
        return target
    return default or url_for("coordination.dashboard")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"], error_message=TOO_MANY)
@limiter.limit("20 per hour", methods=["POST"], key_func=_account_key, error_message=TOO_MANY)
def login():
    """Login form; the same message whatever was wrong (no user enumeration)."""
    error = None
    if request.method == "POST":
        user = authenticate(db_session(), request.form.get("email", ""), request.form.get("password", ""))
        if user is not None:
            # Platform accounts relay from the answer pages; the dashboard is the coordinators'.
            home = url_for("core.home") if user.role in PLATFORM_ROLES else None
            target = safe_next(request.args.get("next"), home)
            start_session(user)
            return redirect(target)
        error = "Identifiants incorrects."
    return render_template("workspace/login.html", error=error), 401 if error else 200


@bp.post("/deconnexion")
def logout():
    """End the session, and every other session of the same user."""
    if current_user.is_authenticated:
        session = db_session()
        user = session.merge(current_user._get_current_object())
        end_sessions(user)
        session.commit()
    logout_user()
    return redirect(url_for("core.home"))
