"""Sessions, CSRF, rate limiting and security headers.

- Flask-Login sessions for coordinators; API writes also accept ``Authorization: Bearer``
  tokens created by an administrator.
- CSRF (Flask-WTF) on every state-changing form and session-authenticated API call; a
  request carrying a bearer token is exempt (no ambient credential to abuse), and so is
  the read-only ``POST /api/orientations`` computation.
- Login attempts are rate-limited (Flask-Limiter, storage given explicitly).
- Headers: a CSP whose inline scripts need this request's nonce (folium's generated map
  script, which carries no user text: markers come as JSON data), and the tile host only.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from functools import wraps
from urllib.parse import urlparse

from flask import Flask, abort, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup

from web.state import db_session
from workspace.accounts import user_for_token
from workspace.models import STAFF_ROLES, User

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

CSRF_EXEMPT_PATHS = ("/api/orientations",)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOGIN_AT_KEY = "login_at"
# Request bodies: small everywhere (an orientation or a service entry is a few KB), larger
# only for the import upload. Werkzeug answers 413 before reading more.
MAX_BODY = 256 * 1024
MAX_IMPORT_BODY = 6 * 1024 * 1024
LARGE_BODY_ENDPOINTS = ("transfer.import_file",)
# Answers about a household, or a coordinator's pages, are never kept by a browser or proxy.
NO_STORE_PREFIXES = ("/coordination", "/connexion", "/orientation", "/api/orientations")


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a session cookie, if the session is still valid.

    A session names the user and the user's session generation (``"12:3"``): logout and
    deactivation bump the generation, which ends every session of that user at once,
    whatever the browser or the server restart. A session also ends ``SESSION_HOURS``
    after login, even when it is used all along.
    """
    user_id, _, generation = (session_id or "").partition(":")
    try:
        user = db_session().get(User, int(user_id))
        generation_number = int(generation)
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or user.session_generation != generation_number:
        return None
    if not session_is_fresh(session.get(LOGIN_AT_KEY), current_app.config["SESSION_HOURS"]):
        return None
    return user


def session_is_fresh(login_at, hours: float, now: float | None = None) -> bool:
    """True while a session opened at ``login_at`` (epoch seconds) is younger than ``hours``."""
    if not isinstance(login_at, (int, float)):
        return False
    age = (time.time() if now is None else now) - login_at
    return 0 <= age < hours * 3600


def start_session(user: User) -> None:
    """Log a user in for at most ``SESSION_HOURS`` (the cookie expires then too). The
    pre-login session is dropped first: a cookie planted before login (and its CSRF token)
    is worth nothing after it."""
    session.clear()
    login_user(user)
    session[LOGIN_AT_KEY] = int(time.time())
    session.permanent = True


def has_bearer() -> bool:
    """True when the request authenticates with ``Authorization: Bearer`` (valid or not)."""
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def bearer_user() -> User | None:
    """The user of a valid ``Authorization: Bearer`` token on this request, if any."""
    if "bearer_user" not in g:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        g.bearer_user = user_for_token(db_session(), token) if token else None
    return g.bearer_user


def acting_user() -> User | None:
    """The authenticated user (token or session), or None. A request with a Bearer header
    is the token's alone: a bad token never falls back to the session's cookie."""
    if has_bearer():
        # A token opens the API only: never a coordination page (accounts, imports…).
        return bearer_user() if request.path.startswith("/api/") else None
    return current_user if current_user.is_authenticated else None


def is_coordinator(user: User | None) -> bool:
    """True for a coordinator or an administrator."""
    return user is not None and user.role in STAFF_ROLES


def coordinator_required(view):
    """Allow coordinators and admins; 401 when not authenticated, 403 otherwise."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = acting_user()
        if user is None:
            if request.path.startswith("/api/"):
                abort(401)
            return current_app.login_manager.unauthorized()
        if not is_coordinator(user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def signed_in_required(view):
    """Allow any signed-in account (session or token); 401 when not authenticated. The
    view decides what the account may see (situations: by platform membership)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if acting_user() is None:
            if request.path.startswith("/api/"):
                abort(401)
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    """Allow admins only."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = acting_user()
        if user is None:
            return current_app.login_manager.unauthorized()
        if not user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _csrf_for_writes():
    """CSRF for every write made with a session cookie; a Bearer token is checked instead."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    # An unknown route or method answers its 404/405, not a token error.
    if request.routing_exception is not None:
        return
    if request.method in SAFE_METHODS or request.path in CSRF_EXEMPT_PATHS:
        return
    if request.path.startswith("/api/"):
        # CSRF protects ambient credentials (a session cookie) only: a bearer token is
        # not ambient, and an anonymous call gets its 401 from the view.
        if has_bearer():
            if bearer_user() is None:
                abort(401)  # a bad token is refused, never a fallback to the cookie
            return
        if not current_user.is_authenticated:
            return
    csrf.protect()


def _content_security_policy(tiles_url: str) -> str:
    """The policy with a ``{nonce}`` placeholder: inline scripts run only with this request's nonce."""
    tile_host = ""
    if tiles_url:
        parsed = urlparse(tiles_url.replace("{s}", "a"))
        tile_host = f"{parsed.scheme}://{parsed.netloc.replace('a.', '*.', 1)}"
    images = " ".join(filter(None, ["'self'", "data:", tile_host]))
    # Styles stay 'unsafe-inline': folium and Leaflet set style attributes, which nonces cannot cover.
    return ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'; object-src 'none'")


def csp_nonce() -> str:
    """This request's script nonce (one per request, unguessable)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def with_nonce(markup: str) -> Markup:
    """Trusted generated HTML (folium's map header) with this request's nonce on its scripts."""
    return Markup(str(markup).replace("<script", f'<script nonce="{csp_nonce()}"'))


def init_app(app: Flask) -> None:
    """Attach the extensions and the request hooks."""
    production = app.config["ENV"] == "production"
    # Flask's defaults exist (False/None), so these are assigned, not defaulted.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = production and str(app.config.get("COOKIE_SECURE", "1")) != "0"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("RATELIMIT_STORAGE") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config["SESSION_HOURS"] = float(app.config.get("SESSION_HOURS") or 8)
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=app.config["SESSION_HOURS"])
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à l'espace coordination."
    csrf.init_app(app)
    limiter.init_app(app)
    policy = _content_security_policy(app.config.get("TILES_URL") or "")
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["with_nonce"] = with_nonce

    @app.before_request
    def _body_limit():
        if request.endpoint in LARGE_BODY_ENDPOINTS:
            request.max_content_length = MAX_IMPORT_BODY

    app.before_request(_csrf_for_writes)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", policy.replace("{nonce}", csp_nonce()))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if request.path.startswith(NO_STORE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
