"""The one rule of town halls shared by the search and the orientation: the commune's own
town hall replaces the generic « mairie de la commune de résidence » (an entry without a
place) of the same type."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

Item = TypeVar("Item")


def replace_generic(items: Iterable[Item], local_types: frozenset[str], types_of: Callable[[Item], Iterable[str]],
                    is_own: Callable[[Item], bool], is_generic: Callable[[Item], bool]) -> list[Item]:
    """``items`` without the generic entries of a local type (``mairie``) that an own town
    hall among them answers for; the callables say how to read an item (search hit or row)."""
    items = list(items)
    own = {code for item in items if is_own(item) for code in types_of(item) if code in local_types}
    if not own:
        return items
    return [item for item in items if not (is_generic(item) and own.intersection(types_of(item)))]
