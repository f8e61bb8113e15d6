"""Sessions, CSRF, rate limiting and security headers.

- Flask-Login sessions for coordinators; API writes also accept ``Authorization: Bearer``
  tokens created by an administrator.
- CSRF (Flask-WTF) on every state-changing form and session-authenticated API call; a
  request carrying a bearer token is exempt (no ambient credential to abuse), and so is
  the read-only ``POST /api/orientations`` computation.
- Login attempts are rate-limited (Flask-Limiter, storage given explicitly).
- Headers: a CSP that allows the inline scripts folium generates and the tile host only.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlparse

from flask import Flask, abort, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from web.state import db_session
from workspace.accounts import user_for_token
from workspace.models import User

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

CSRF_EXEMPT_PATHS = ("/api/orientations",)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        return db_session().get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def bearer_user() -> User | None:
    """The user of a valid ``Authorization: Bearer`` token on this request, if any."""
    if "bearer_user" not in g:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        g.bearer_user = user_for_token(db_session(), token) if token else None
    return g.bearer_user


def acting_user() -> User | None:
    """The authenticated user (token or session), or None."""
    user = bearer_user()
    if user is not None:
        return user
    return current_user if current_user.is_authenticated else None


def coordinator_required(view):
    """Allow coordinators and admins; 401 when not authenticated, 403 otherwise."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = acting_user()
        if user is None:
            if request.path.startswith("/api/"):
                abort(401)
            return current_app.login_manager.unauthorized()
        if user.role not in ("coordinateur", "admin"):
            abort(403)
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


def _content_security_policy(tiles_url: str) -> str:
    tile_host = ""
    if tiles_url:
        parsed = urlparse(tiles_url.replace("{s}", "a"))
        tile_host = f"{parsed.scheme}://{parsed.netloc.replace('a.', '*.', 1)}"
    images = " ".join(filter(None, ["'self'", "data:", tile_host]))
    return ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'; object-src 'none'")


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
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à l'espace coordination."
    csrf.init_app(app)
    limiter.init_app(app)
    policy = _content_security_policy(app.config.get("TILES_URL") or "")

    @app.before_request
    def _csrf_for_writes():
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.method in SAFE_METHODS or request.path in CSRF_EXEMPT_PATHS:
            return
        if request.path.startswith("/api/") and request.headers.get("Authorization", "").lower().startswith("bearer "):
            return
        csrf.protect()

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if request.path.startswith(("/coordination", "/connexion")):
            response.headers["Cache-Control"] = "no-store"
        return response
