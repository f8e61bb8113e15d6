"""Validation of a data·inclusion export with the package's own ``Structure`` and
``Service`` models: blocking errors (``validate_export``) and non-blocking warnings
(``export_warnings``)."""

from __future__ import annotations

from collections.abc import Mapping

from data_inclusion.schema.v1 import Service, Structure
from pydantic import ValidationError


def _check(model: type, records: list[dict], label: str, *, warnings: bool) -> list[str]:
    """Messages of the package's validation of each record (errors, or warnings only)."""
    messages = []
    for index, record in enumerate(records):
        try:
            model.model_validate(record, context={"ignore_warnings": not warnings})
        except ValidationError as exc:
            for error in exc.errors():
                if (error["type"] == "avertissement") != warnings:
                    continue
                where = ".".join(str(part) for part in error["loc"]) or "(fiche)"
                messages.append(f"{label}[{index}] « {record.get('id')} » : {where} : {error['msg']}")
    return messages


def validate_export(payload: Mapping[str, list[dict]]) -> list[str]:
    """Validation errors of an export (empty list: valid), checked with the package's own
    ``Structure`` and ``Service`` models, plus the references between them (unique ids,
    every ``structure_id`` an exported structure, ``source`` consistent)."""
    structures = list(payload.get("structures") or [])
    services = list(payload.get("services") or [])
    errors = _check(Structure, structures, "structures", warnings=False)
    errors += _check(Service, services, "services", warnings=False)
    for label, records in (("structures", structures), ("services", services)):
        ids = [record.get("id") for record in records]
        errors += [f"{label} : identifiant en double « {i} »" for i in sorted({i for i in ids if ids.count(i) > 1})]
    known = {(s.get("source"), s.get("id")) for s in structures}
    for index, service in enumerate(services):
        if (service.get("source"), service.get("structure_id")) not in known:
            errors.append(f"services[{index}] « {service.get('id')} » : structure_id : "
                          f"structure absente de l'export « {service.get('structure_id')} »")
    return errors


def export_warnings(payload: Mapping[str, list[dict]]) -> list[str]:
    """Non-blocking warnings ("avertissements") the package raises on an export."""
    return (_check(Structure, list(payload.get("structures") or []), "structures", warnings=True)
            + _check(Service, list(payload.get("services") or []), "services", warnings=True))
