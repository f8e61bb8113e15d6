"""Reading a data·inclusion file (schema v1): structures and services, each validated by
the official ``data-inclusion-schema`` models, in the directory's terms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import opening_hours
from data_inclusion.schema import v1
from pydantic import ValidationError

from directory.imports.records import (
    ImportedRecord,
    RecordIssue,
    clean_email,
    clean_url,
    departement_of,
    load_json,
    phone_block,
)
from directory.invalid import french_message

SOURCE = "data-inclusion"


def _issue(where: str, error: ValidationError) -> RecordIssue:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(enregistrement)'} : {french_message(e)}"
             for e in error.errors()[:4]]
    return RecordIssue(where, "non conforme au schéma data·inclusion v1 — " + " ; ".join(parts))


def _address(item: Any) -> str | None:
    street = ", ".join(p for p in (item.adresse, item.complement_adresse) if p)
    town = " ".join(p for p in (item.code_postal, item.commune) if p)
    return ", ".join(p for p in (street, town) if p) or None


def _types(structure: v1.Structure | None, mapping: dict) -> list[str]:
    reseaux = sorted(r.value for r in (structure.reseaux_porteurs or ())) if structure else []
    table = mapping["reseaux_types"]
    return list(dict.fromkeys(table[r] for r in reseaux if r in table))


def _problems(service: v1.Service | None, mapping: dict) -> list[str]:
    themes = sorted(t.value for t in (service.thematiques or ())) if service else []
    table = mapping["thematiques_problems"]
    return list(dict.fromkeys(p for t in themes for p in table.get(t, ())))


def _record(structure: v1.Structure | None, service: v1.Service | None, where: str, mapping: dict) -> ImportedRecord:
    item = service or structure
    # The public label names a source data·inclusion publishes, never a string of the file.
    known = mapping.get("sources") or {}
    label = f"data·inclusion ({known[item.source]})" if item.source in known else "data·inclusion"
    insee = (service.code_insee if service else None) or (structure.code_insee if structure else None)
    place = item if item.code_insee or not structure else structure
    hours = item.horaires_accueil or (structure.horaires_accueil if structure else None)
    key = f"{item.source}:{item.id}" if service else f"{item.source}:structure:{item.id}"
    values = {
        "name": item.nom,
        "operator": structure.nom if structure and service else None,
        "description": item.description or None,
        "site.commune": insee,
        "site.address": _address(place),
        "site.lat": place.latitude, "site.lon": place.longitude,
        "contacts.phone": phone_block(item.telephone or (structure.telephone if structure else None), label),
        "contacts.email": clean_email(item.courriel or (structure.courriel if structure else None)),
        "contacts.website": clean_url(structure.site_web) if structure and structure.site_web else None,
        # data·inclusion writes hours in the OpenStreetMap syntax, as Maillage does.
        "hours.osm": hours if hours and opening_hours.validate(hours) else None,
        "identifiers.siret": structure.siret if structure else None,
        "identifiers.data_inclusion": key,
        "types": _types(structure, mapping),
        "problems": _problems(service, mapping),
    }
    return ImportedRecord(SOURCE, key, label, item.date_maj, where, departement_of(insee),
                          {k: v for k, v in values.items() if v not in (None, "", [])})


def _validated(data: dict, name: str, model):
    """Yield an issue for each record of ``data[name]`` the official model refuses;
    return the (index, model) of the others."""
    valid = []
    for index, raw in enumerate(data.get(name, [])):
        try:
            valid.append((index, model.model_validate(raw)))
        except ValidationError as error:
            yield _issue(f"{name}[{index}]", error)
    return valid


def read_data_inclusion(path: Path, mapping: dict) -> Iterator[ImportedRecord | RecordIssue]:
    """Records of a data·inclusion file: ``{"structures": […], "services": […]}`` (as the
    API and Maillage's own export give them) or a list of services. Each service becomes
    a record with its structure; a structure without a service becomes one too."""
    data = load_json(path)
    if isinstance(data, RecordIssue):
        yield data
        return
    if isinstance(data, list):
        data = {"structures": [], "services": data}
    if not isinstance(data, dict) or not isinstance(data.get("structures", []), list) \
            or not isinstance(data.get("services", []), list):
        yield RecordIssue("fichier", "attendu : un objet {\"structures\": […], \"services\": […]} ou une liste")
        return
    structures: dict[tuple[str, str], v1.Structure] = {}
    positions: dict[tuple[str, str], int] = {}
    for index, structure in (yield from _validated(data, "structures", v1.Structure)):
        structures[(structure.source, structure.id)] = structure
        positions[(structure.source, structure.id)] = index
    with_service: set[tuple[str, str]] = set()
    for index, service in (yield from _validated(data, "services", v1.Service)):
        key = (service.source, service.structure_id)
        with_service.add(key)
        yield _record(structures.get(key), service, f"services[{index}]", mapping)
    for key, structure in structures.items():
        if key not in with_service:
            yield _record(structure, None, f"structures[{positions[key]}]", mapping)
