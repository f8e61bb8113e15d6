"""Parsing of query and form parameters: bad input becomes a 400 naming the field."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.exceptions import BadRequest

from directory.invalid import InvalidInput


def int_param(args: Mapping, name: str, default: int, minimum: int, maximum: int) -> int:
    """An integer parameter within bounds."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise InvalidInput.on(name, f"« {name} » doit être un nombre entier") from None
    if not minimum <= value <= maximum:
        raise InvalidInput.on(name, f"« {name} » doit être compris entre {minimum} et {maximum}")
    return value


def text_param(args: Mapping, name: str, max_length: int = 500, default: str = "") -> str:
    """A free-text parameter: control characters removed, length bounded."""
    raw = args.get(name)
    if raw is None:
        return default
    text = "".join(ch if ch.isprintable() else " " for ch in str(raw)).strip()
    if len(text) > max_length:
        raise InvalidInput.on(name, f"« {name} » est trop long ({max_length} caractères au plus)")
    return text


# Answers list at most this many field errors (a hostile body can hold thousands).
MAX_ERRORS = 20


def json_body(request) -> object:
    """The request's JSON body; ``InvalidInput`` on a missing, malformed or too deeply nested one.

    The standard parser raises ``RecursionError`` (not ``ValueError``) on deep nesting, which
    Flask's ``silent`` parsing does not catch.
    """
    if not request.is_json:
        raise InvalidInput.on("(corps)", "corps JSON attendu (Content-Type: application/json)")
    try:
        return request.get_json(silent=False)
    except RecursionError:
        raise InvalidInput.on("(corps)", "corps JSON trop profondément imbriqué") from None
    except BadRequest:
        raise InvalidInput.on("(corps)", "corps JSON illisible") from None


def error_list(errors) -> dict:
    """The ``errors`` of a 400 answer, capped at ``MAX_ERRORS`` with the count of the rest."""
    shown = [{"field": e.field, "message": e.message,
              **({"options": [o.as_dict() for o in e.options]} if getattr(e, "options", None) else {})}
             for e in errors[:MAX_ERRORS]]
    body: dict = {"errors": shown}
    if len(errors) > MAX_ERRORS:
        body["errors_omitted"] = len(errors) - MAX_ERRORS
    return body
