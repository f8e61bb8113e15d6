"""Template helpers: emergency numbers on every page, French dates, labels."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from web.state import current_state

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


def french_date(value: dt.date | str | None) -> str:
    """``2026-11-22`` → ``22 novembre 2026``."""
    if not value:
        return "date inconnue"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def init_app(app: Flask) -> None:
    """Register filters and the context shared by every page."""
    app.jinja_env.filters["french_date"] = french_date
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
