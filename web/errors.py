"""Central error handlers: JSON with the field for ``/api/``, French pages elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge, SecurityError

from directory.invalid import InvalidInput
from search.backend import SearchUnavailable
from web.params import error_list

log = logging.getLogger("maillage")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

MESSAGES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Conflit de modification",
    413: "Envoi trop volumineux",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}


def wants_json() -> bool:
    """True for API requests, which always get JSON errors."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str | None = None, field: str | None = None, options=(),
                   errors=()):
    """A JSON or HTML error response in French; ``options`` are what to choose from
    instead (communes: ``CommuneOption``), ``errors`` every faulty field (``FieldError``)."""
    message = message or MESSAGES.get(status, "Erreur")
    if wants_json():
        body = {"error": message, "status": status}
        if field:
            body["field"] = field
        if options:
            body["options"] = [option.as_dict() for option in options]
        if errors:
            body.update(error_list(errors))
        return jsonify(body), status
    return render_template("errors/error.html", status=status,
                           title=MESSAGES.get(status, "Erreur"), message=message,
                           field=field, errors=list(errors)[1:]), status


def invalid_input_response(error: InvalidInput):
    """The one answer to input Maillage cannot take: JSON naming every field for the API,
    a French page elsewhere."""
    return error_response(error.status, error.message, error.field, error.options, error.errors)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    _register_edge_checks(app)
    _register_unavailable(app)

    app.register_error_handler(InvalidInput, invalid_input_response)

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError):
        return error_response(400, "Formulaire expiré ou incomplet (jeton de sécurité) : "
                                   "rechargez la page et recommencez.", "csrf_token")

    @app.errorhandler(SecurityError)
    def _untrusted_host(_error: SecurityError):
        # Raised before the URL adapter exists (no url_for, so no page template).
        return Response("Requête invalide : nom d'hôte non autorisé.\n", 400, mimetype="text/plain")

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge):
        limit = request.max_content_length or 0
        size = f"{limit // (1024 * 1024)} Mo" if limit >= 1024 * 1024 else f"{limit // 1024} Ko"
        return error_response(413, f"Envoi trop volumineux ({size} au plus).", "(corps)")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        description = None if status >= 500 or status == 404 else _french(error)
        body, code = error_response(status, description)
        response = app.make_response((body, code))
        # Keep the headers HTTP requires (Allow on 405, Retry-After on 429…).
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http_error(error)
        log.exception("Erreur non gérée sur %s %s", request.method, request.path)
        return error_response(500, "Une erreur interne est survenue ; l'équipe a été prévenue.")

    app.register_error_handler(InternalServerError, lambda e: error_response(500))


def _register_unavailable(app: Flask) -> None:
    """A database or index that cannot answer now: a 503 that says to retry, never a 500."""

    @app.errorhandler(OperationalError)
    def _database_down(_error: OperationalError):
        log.error("Base de données injoignable pendant %s %s", request.method, request.path)
        return error_response(503, "La base de données ne répond pas : réessayez dans quelques minutes.")

    @app.errorhandler(PoolTimeout)
    def _busy(_error: PoolTimeout):
        log.error("Plus de connexion libre à la base pendant %s %s", request.method, request.path)
        body, code = error_response(503, "Le service est très sollicité : réessayez dans un instant.")
        response = app.make_response((body, code))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(SearchUnavailable)
    def _search_unavailable(error: SearchUnavailable):
        log.error("Index de recherche illisible pendant %s %s : %s", request.method, request.path, str(error))
        body, code = error_response(503, "L'index de recherche est en cours de reconstruction : "
                                         "réessayez dans un instant.")
        response = app.make_response((body, code))
        response.headers["Retry-After"] = "30"
        return response


def _register_edge_checks(app: Flask) -> None:
    """What never reaches the database, and what it refuses: a 400 or a 409, never a 500."""

    @app.before_request
    def _refuse_nul_characters():
        """A NUL character never reaches the database (PostgreSQL refuses it in text, SQLite
        keeps it): the address and the form fields are checked at the edge (the query
        parameters are cleaned of control characters where they are read)."""
        for name, value in (("(adresse)", request.path),
                            *(request.form.items(multi=True) if request.mimetype in FORM_TYPES else ())):
            if "\x00" in value or "\x00" in name:
                return error_response(400, "Caractère nul refusé dans la requête.", name if name else "(adresse)")
        return None

    @app.errorhandler(DataError)
    def _value_refused(_error: DataError):
        # A value the database refuses (too long for its column, a character it cannot store):
        # the request is at fault, nothing was written (the transaction is rolled back).
        log.warning("Valeur refusée par la base pendant %s %s", request.method, request.path)
        return error_response(400, "Valeur refusée : texte trop long ou caractère non autorisé.", "(valeur)")

    @app.errorhandler(IntegrityError)
    def _conflict(_error: IntegrityError):
        log.warning("Conflit d'écriture pendant %s %s", request.method, request.path)
        return error_response(409, "Conflit : cette valeur existe déjà ou vient d'être modifiée ; "
                                   "rechargez et recommencez.")


def _french(error: HTTPException) -> str | None:
    # Werkzeug's descriptions are English: keep our French title unless a view gave one.
    description = error.description or ""
    return description if description and not description.isascii() else None
