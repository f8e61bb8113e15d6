"""Parsing of directory search parameters (shared by the page and the API)."""

from __future__ import annotations

from collections.abc import Mapping

from directory.invalid import InvalidInput
from search.finder import SearchParams
from web.params import int_param, text_param

MAX_QUERY_LENGTH = 500
TRUE_WORDS = {"1", "true", "oui", "on", "yes"}


def _codes(args, name: str) -> list[str]:
    values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
    codes = []
    for value in values:
        for part in str(value or "").split(","):
            part = part.strip()
            if part and part not in codes:
                if len(part) > 60:
                    raise InvalidInput.on(name, f"« {name} » : code trop long")
                codes.append(part)
    return codes


def parse_search_params(args: Mapping, default_limit: int = 10) -> SearchParams:
    """Search parameters from a query string; ``InvalidInput`` names the faulty field."""
    return SearchParams(
        q=text_param(args, "q", max_length=MAX_QUERY_LENGTH),
        commune=text_param(args, "commune", max_length=100) or None,
        types=_codes(args, "type"),
        domains=_codes(args, "domain"),
        problems=_codes(args, "problem"),
        statuses=_codes(args, "status"),
        open_now=str(args.get("open_now", "")).strip().lower() in TRUE_WORDS,
        limit=int_param(args, "limit", default_limit, 1, 100),
        offset=int_param(args, "offset", 0, 0, 100_000),
    )
