"""Zones served by a service: tokens as written in the data, and their expansion.

A zone is a list of tokens:

- ``"72181"``: one commune (INSEE code);
- ``"departement:72"``: a whole département;
- ``"epci:<SIREN>"``: the member communes of an intercommunality;
- ``"zone:<code>"``: a named zone of ``data/zones.yaml`` (e.g. an illustrative CMP sector).

Tokens expand to *coverage keys* stored in a link table: ``c:<insee>`` for a commune,
``d:<code>`` for a département, so that one SQL query matches a commune on SQLite and
PostgreSQL alike (``zone_key IN ('c:72181', 'd:72')``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from directory.gazetteer import Gazetteer
from directory.paths import SAFE_LOADER

_INSEE = re.compile(r"^\d[0-9AB]\d{3}$")


@dataclass(frozen=True)
class NamedZone:
    """A named set of communes (CMP sector, platform territory…)."""

    code: str
    label: str
    status: str
    communes: tuple[str, ...]
    source: str = ""


class ZoneError(ValueError):
    """A zone token that cannot be resolved; the message is French."""


def commune_key(insee: str) -> str:
    """Coverage key of a commune."""
    return f"c:{insee}"


def departement_key(code: str) -> str:
    """Coverage key of a département."""
    return f"d:{code}"


def keys_for_commune(insee: str, departement: str) -> list[str]:
    """The coverage keys that make a service serve this commune."""
    return [commune_key(insee), departement_key(departement)]


def expand_token(token: str, gazetteer: Gazetteer, zones: dict[str, NamedZone]) -> set[str]:
    """Coverage keys of one zone token; raise ``ZoneError`` when it is unknown."""
    token = str(token).strip()
    if _INSEE.match(token):
        if token not in gazetteer:
            raise ZoneError(f"commune inconnue « {token} » (code INSEE)")
        return {commune_key(token)}
    kind, _, value = token.partition(":")
    if kind == "departement":
        if not gazetteer.has_departement(value):
            raise ZoneError(f"département inconnu « {value} »")
        return {departement_key(value)}
    if kind == "epci":
        if not gazetteer.has_epci(value):
            raise ZoneError(f"EPCI inconnu « {value} »")
        return {commune_key(c) for c in gazetteer.communes_of_epci(value)}
    if kind == "zone":
        if value not in zones:
            raise ZoneError(f"zone nommée inconnue « {value} » (voir data/zones.yaml)")
        return {commune_key(c) for c in zones[value].communes}
    raise ZoneError(
        f"zone « {token} » non reconnue : code INSEE, departement:NN, epci:SIREN ou zone:code"
    )


def expand_zone(tokens: list[str], gazetteer: Gazetteer, zones: dict[str, NamedZone]) -> set[str]:
    """Coverage keys of a whole zone."""
    keys: set[str] = set()
    for token in tokens:
        keys |= expand_token(token, gazetteer, zones)
    return keys


def covered_communes(keys: set[str], gazetteer: Gazetteer) -> list[str]:
    """INSEE codes covered by a set of coverage keys (départements expanded)."""
    communes: set[str] = set()
    for key in keys:
        kind, _, value = key.partition(":")
        if kind == "c":
            communes.add(value)
        elif kind == "d":
            communes.update(gazetteer.communes_of_departement(value))
    return sorted(communes)


def parse_zones(raw: dict | None, gazetteer: Gazetteer) -> dict[str, NamedZone]:
    """Named zones from the parsed ``zones.yaml``; raise ValueError on unknown communes."""
    zones = {}
    for item in (raw or {}).get("zones", []):
        communes = tuple(str(c) for c in item.get("communes", []))
        unknown = [c for c in communes if c not in gazetteer]
        if unknown:
            raise ValueError(f"zones.yaml : zone {item['code']} : communes inconnues {unknown[:5]}")
        zones[item["code"]] = NamedZone(item["code"], item.get("label", item["code"]),
                                        item.get("status", "illustrative"), communes,
                                        item.get("source", ""))
    return zones


@lru_cache(maxsize=4)
def load_zones(path: str, gazetteer: Gazetteer) -> dict[str, NamedZone]:
    """Named zones of a YAML file (empty when the file is absent), parsed once."""
    file = Path(path)
    if not file.exists():
        return {}
    with file.open(encoding="utf-8") as handle:
        return parse_zones(yaml.load(handle, Loader=SAFE_LOADER), gazetteer)
