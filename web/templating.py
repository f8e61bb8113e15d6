"""Template helpers: emergency numbers on every page, French dates and numbers, labels."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from directory.plain import plain_text
from directory.provenance import MONTHS
from web.state import current_state


def french_date(value: dt.date | str | None) -> str:
    """``2026-11-22`` → ``22 novembre 2026``; the first of the month is « 1er »."""
    if not value:
        return "date inconnue"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def french_number(value: float | int | None, digits: int = 1) -> str:
    """``40.1`` → ``40,1`` (French decimal comma); ``40.0`` → ``40``."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else str(round(value))
    return text.replace(".", ",")


def sentence_case(text: str | None) -> str:
    """First letter upper-case, the rest untouched (Jinja's ``capitalize`` lowers the
    rest: « le mans » for « Le Mans »)."""
    return (text[:1].upper() + text[1:]) if text else ""


def init_app(app: Flask) -> None:
    """Register filters and the context shared by every page."""
    app.jinja_env.filters["french_date"] = french_date
    app.jinja_env.filters["french_number"] = french_number
    # The reference's working marks ([V:R16], [?], « REFERENCE §8.6 »…) in plain French.
    app.jinja_env.filters["plain"] = plain_text
    app.jinja_env.filters["sentence"] = sentence_case
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _shared_context():
        taxonomy = current_state().reference.taxonomy
        return {
            "today": dt.date.today(),
            "taxonomy": taxonomy,
            "urgent_lines": taxonomy.lines_in_block("urgences"),
            "social_lines": taxonomy.lines_in_block("urgences_sociales"),
        }
