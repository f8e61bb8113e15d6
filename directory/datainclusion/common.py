"""Shared helpers of the data·inclusion export: publishable free texts, slugs, names within
the schema's bounds, phone numbers, dates, enum values and field ordering."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from directory.plain import SOURCE_FLAG
from directory.schema import PLACEHOLDER_PHONE

_NAME_MAX = 150
# Confidence flags of the reference written inside our texts: "[?]" uncertain, "[K]" general
# knowledge not verified, "[ILL]" illustrative, "[S3]" project sheet; "[V:R16]" cites a
# verified source of the internal reference (meaningless outside, dropped).
_DOUBT_FLAG = re.compile(r"\s*\[(?:\?|K|ILL|S\d)\]")
# A placeholder number quoted inside a free text (same pattern as PLACEHOLDER_PHONE).
_PLACEHOLDER_IN_TEXT = re.compile(r"\b02 ?43 ?00 ?00 ?\d\d\b")


# --------------------------------------------------------------------------- helpers


def slugify(text: str) -> str:
    """Lowercase ASCII slug (accents dropped, other characters as single hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def public_text(text: str | None) -> str | None:
    """A free text for publication: internal source citations dropped, doubt flags spelled
    out as « (à confirmer) » so that an uncertain fact never reads as a verified one, and
    placeholder numbers (``02 43 00 00 xx``) masked."""
    if not text:
        return None
    text = SOURCE_FLAG.sub("", text)
    text = _PLACEHOLDER_IN_TEXT.sub("(numéro non communiqué)", text)
    return _DOUBT_FLAG.sub(" (à confirmer)", text).strip() or None


def _as_data(item: Any) -> dict:
    """Entry data of a dict, a ``ServiceEntry`` or a stored ``Service`` row."""
    if isinstance(item, Mapping):
        return dict(item)
    if hasattr(item, "to_data"):
        return item.to_data()
    from directory.storage import row_to_data  # a DB row: imported lazily, no DB needed otherwise

    return row_to_data(item)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _values(members: Iterable[Any]) -> list[str] | None:
    """Sorted enum values (JSON-ready), or None when empty."""
    values = sorted({member.value for member in members})
    return values or None


def _short_name(name: str) -> str:
    """A name within the schema's 3–150 characters, not ending with a period."""
    name = " ".join(name.split())
    if len(name) > _NAME_MAX:
        name = name[: _NAME_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"
    if name.endswith(".") and not name.endswith("etc."):
        name = name.rstrip(".")
    return name


def _ordered(model: type, values: dict) -> dict:
    """Values keyed in the model's field order, every field present (None when unknown)."""
    unknown = set(values) - set(model.model_fields)
    if unknown:  # a programming error: the model would silently ignore these keys
        raise KeyError(f"{model.__name__} has no field {sorted(unknown)}")
    return {name: values.get(name) for name in model.model_fields}


def export_phone(phone: Mapping | None) -> str | None:
    """The number to publish, or None for a missing or placeholder number.

    Numbers are given in E.164 (``+33243415300``) when they are ordinary French numbers;
    short numbers (``115``, ``3919``) are kept as dialled.
    """
    if not phone or not phone.get("number") or phone.get("placeholder", True):
        return None
    number = " ".join(str(phone["number"]).split())
    if PLACEHOLDER_PHONE.match(number):  # defensive: a placeholder is never a real number
        return None
    digits = number.replace(" ", "")
    if len(digits) == 10 and digits.startswith("0"):
        return "+33" + digits[1:]
    return digits
