"""One way to fail on input: ``InvalidInput`` listing every field error in French, and the
pydantic helpers that turn validation errors into those messages.

Every layer raises it (the directory's validator, the search parameters, an orientation
request, an edit, a commune nobody can resolve); ``web/errors.py`` has one handler per
output (JSON with the fields for the API, a French page elsewhere). Lowest layer: it
imports nothing of Maillage.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import AfterValidator, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError


@dataclass(frozen=True)
class FieldError:
    """One problem in one field (``field`` as the user sees it: ``contacts.phone[0].number``)."""

    field: str
    message: str
    loc: tuple = ()
    # What to choose from, when the value names several things or none (communes).
    options: tuple = ()


class InvalidInput(ValueError):
    """The input is not acceptable; ``errors`` names every faulty field (French messages).

    ``status`` is the HTTP status it deserves: 400 for a wrong value, 404 for something
    that does not exist, 409 for a value that clashes with what is stored.
    """

    def __init__(self, errors: Iterable[FieldError], status: int = 400):
        self.errors = list(errors) or [FieldError("(entrée)", "saisie invalide")]
        self.status = status
        super().__init__(self.errors[0].message)

    @classmethod
    def on(cls, field: str, message: str, options: Iterable = (), status: int = 400) -> InvalidInput:
        """One error on one field (with what to choose from, if anything)."""
        return cls([FieldError(field, message, (field,), tuple(options))], status)

    @property
    def field(self) -> str:
        """The first faulty field."""
        return self.errors[0].field

    @property
    def message(self) -> str:
        """The first error message."""
        return self.errors[0].message

    @property
    def options(self) -> tuple:
        """What to choose from for the first field (communes), if anything."""
        return self.errors[0].options

    def on_field(self, field: str) -> InvalidInput:
        """The same errors reported on another field (a commune read for ``near``)."""
        return InvalidInput([FieldError(field, e.message, (field,), e.options) for e in self.errors], self.status)


def fail(message: str) -> PydanticCustomError:
    """A validation error whose French message is kept as written."""
    return PydanticCustomError("maillage", message)


def known_code(lookup: Callable[[ValidationInfo], Container | None], message: str,
               extra: tuple[str, ...] = ()) -> AfterValidator:
    """An item validator: the value must be in the table ``lookup`` finds in the validation
    context (no table in the context: not checked); ``extra`` values are always accepted."""

    def check(value: str, info: ValidationInfo) -> str:
        known = lookup(info)
        if known is not None and value not in extra and value not in known:
            raise fail(f"{message} « {value} »")
        return value

    return AfterValidator(check)


def context_value(info: ValidationInfo, key: str) -> Any:
    """What the caller passed as ``key`` in the validation context (None when absent)."""
    return info.context.get(key) if isinstance(info.context, dict) else None


_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "string_type": "doit être un texte",
    "int_type": "doit être un nombre entier",
    "int_parsing": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier",
    "float_type": "doit être un nombre",
    "float_parsing": "doit être un nombre",
    "bool_type": "doit valoir true ou false",
    "bool_parsing": "doit valoir true ou false",
    "date_type": "date invalide (format AAAA-MM-JJ)",
    "date_parsing": "date invalide (format AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date invalide (format AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date invalide (format AAAA-MM-JJ)",
    "list_type": "doit être une liste",
    "model_type": "doit être un bloc de champs",
    "model_attributes_type": "doit être un bloc de champs",
    "dict_type": "doit être un bloc de champs",
    "extra_forbidden": "champ inconnu (faute de frappe ?)",
    "string_too_short": "ne doit pas être vide",
    "too_short": "ne doit pas être vide",
}


def french_message(error: dict) -> str:
    """French text of a pydantic error (custom messages kept as they are)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "maillage":
        return error["msg"]
    if error.get("input", "") is None and kind.endswith("_type"):
        # An empty form field arrives as None: it is missing, not « not a text ».
        return "champ obligatoire"
    if kind == "literal_error":
        return f"valeur non permise : choisir parmi {ctx.get('expected', '')}".replace("'", "")
    if kind == "string_too_long":
        return f"trop long ({ctx.get('max_length')} caractères au plus)"
    if kind == "too_long":
        return f"liste trop longue ({ctx.get('max_length')} éléments au plus)"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        word = "au moins" if kind == "greater_than_equal" else "au plus"
        return f"doit valoir {word} {bound}"
    return _MESSAGES.get(kind, error["msg"])


def format_loc(loc: tuple) -> str:
    """``('contacts', 'phone', 'number')`` → ``contacts.phone.number``; indices in brackets."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(entrée)"


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Every error of a pydantic validation, French, located by field (pydantic's union,
    literal and function branch markers dropped from the location)."""
    errors = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith(("literal[", "function-"))))
        errors.append(FieldError(format_loc(loc), french_message(error), loc))
    return errors
