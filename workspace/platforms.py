"""The territorial platforms (``data/platforms.yaml``): who examines a relayed situation,
by the commune of the household.

Each platform has a code, a name, the communes it serves (zone tokens, as the directory's
entries: INSEE code, ``epci:SIREN``, ``zone:code``), its coordinating body and the status
and source of what is known of it. Validated at load with French messages naming the
platform and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from directory.invalid import FieldError, InvalidInput, field_errors
from directory.reference import ReferenceData
from directory.zones import ZoneError, covered_communes, expand_zone

CODE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class _PlatformEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    zone: list[str] = Field(min_length=1, max_length=400)
    coordinator: str = Field(min_length=1, max_length=200)
    status: str = Field(pattern=r"^(active|seed_2014|to_verify|illustrative|closed)$")
    source: str = Field(min_length=1, max_length=500)
    last_verified_at: str | None = None

    @field_validator("zone")
    @classmethod
    def _tokens_are_strings(cls, value: list[str]) -> list[str]:
        return [str(token).strip() for token in value]


@dataclass(frozen=True)
class Platform:
    """One territorial platform and the communes (INSEE codes) it serves."""

    code: str
    name: str
    communes: frozenset[str]
    coordinator: str
    status: str
    source: str

    def as_dict(self) -> dict:
        """JSON form (without the list of communes)."""
        return {"code": self.code, "name": self.name, "coordinator": self.coordinator,
                "status": self.status, "source": self.source, "communes": len(self.communes)}


def load_platforms(path: Path, reference: ReferenceData) -> dict[str, Platform]:
    """The platforms of a file, by code; ``InvalidInput`` lists every error (« plateforme
    n° 2 (coulaines) › zone : commune inconnue … »)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    rows = raw.get("platforms") if isinstance(raw, dict) else None
    if not isinstance(rows, list):
        raise InvalidInput.on("platforms", f"{Path(path).name} : liste « platforms » attendue")
    platforms: dict[str, Platform] = {}
    errors: list[FieldError] = []
    for number, row in enumerate(rows, start=1):
        label = f"plateforme n° {number}" + (f" ({row.get('code')})" if isinstance(row, dict) else "")
        try:
            entry = _PlatformEntry.model_validate(row)
        except ValidationError as exc:
            errors += [FieldError(f"{label} › {e.field}", e.message) for e in field_errors(exc)]
            continue
        try:
            keys = expand_zone(entry.zone, reference.gazetteer, reference.zones)
        except ZoneError as error:
            errors.append(FieldError(f"{label} › zone", str(error)))
            continue
        if entry.code in platforms:
            errors.append(FieldError(f"{label} › code", f"code en double « {entry.code} »"))
            continue
        platforms[entry.code] = Platform(entry.code, entry.name, frozenset(covered_communes(keys, reference.gazetteer)),
                                         entry.coordinator, entry.status, entry.source)
    overlaps = _overlaps(platforms)
    errors += [FieldError("platforms › zone", message) for message in overlaps]
    if errors:
        raise InvalidInput(errors)
    return platforms


def _overlaps(platforms: dict[str, Platform]) -> list[str]:
    """A commune served by two platforms would make the relay's destination a guess."""
    seen: dict[str, str] = {}
    messages = []
    for platform in platforms.values():
        for commune in sorted(platform.communes):
            if commune in seen:
                messages.append(f"la commune {commune} est servie par « {seen[commune]} » et « {platform.code} »")
            seen[commune] = platform.code
    return messages


def platform_for(platforms: dict[str, Platform], insee: str) -> Platform | None:
    """The platform serving a commune, if any."""
    return next((p for p in platforms.values() if insee in p.communes), None)
