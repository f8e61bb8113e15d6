"""Field-by-field differences between two versions of a directory entry.

Entries are compared in their flat form: nested blocks become dotted paths
(``site.commune``, ``wait.days_max``, ``contacts.phone.number``) while lists stay whole
values (``types``, ``zone``, ``problems``…). The same paths name the CSV columns
(``directory.transfer``) and the lines of the change history, with French labels for
the coordinators.
"""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from directory.schema import ServiceEntry

EMPTY = "(vide)"
MAX_SHOWN = 80  # characters of a value shown in a sentence before it is cut


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The model class of a nested block (``Site``, ``Wait | None``…), else None."""
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    for candidate in typing.get_args(annotation) if is_union else (annotation,):
        if inspect.isclass(candidate) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _walk(model: type[BaseModel], prefix: str, leaves: dict, blocks: dict) -> list[str]:
    """Collect the leaf fields of ``model`` under ``prefix``; return the leaf paths."""
    paths: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        nested = _submodel(info.annotation)
        if nested is None:
            leaves[path] = info
            paths.append(path)
        else:
            blocks[path] = tuple(_walk(nested, f"{path}.", leaves, blocks))
            paths.extend(blocks[path])
    return paths


def _schema_paths() -> tuple[dict[str, FieldInfo], dict[str, tuple[str, ...]]]:
    leaves: dict[str, FieldInfo] = {}
    blocks: dict[str, tuple[str, ...]] = {}
    _walk(ServiceEntry, "", leaves, blocks)
    return leaves, blocks


# Every leaf path of an entry, in the order of ``ServiceEntry.to_data()``, with its pydantic
# field (type, default); and every nested block with the leaf paths it holds.
ENTRY_FIELDS, BLOCK_PATHS = _schema_paths()
ENTRY_PATHS: tuple[str, ...] = tuple(ENTRY_FIELDS)


def schema_field(path: str) -> FieldInfo:
    """The pydantic field of a dotted path, leaf or block (``wait``, ``contacts.phone``)."""
    model: type[BaseModel] | None = ServiceEntry
    *parents, leaf = path.split(".")
    for part in parents:
        model = _submodel(model.model_fields[part].annotation) if model else None
    if model is None or leaf not in model.model_fields:
        raise KeyError(path)
    return model.model_fields[leaf]

FIELD_LABELS: dict[str, str] = {
    "id": "Identifiant",
    "ref": "Référence",
    "name": "Nom",
    "operator": "Organisme gestionnaire",
    "types": "Types de service",
    "domain": "Domaine",
    "description": "Description",
    "site.commune": "Commune",
    "site.address": "Adresse",
    "site.address_confidential": "Adresse confidentielle",
    "site.lat": "Latitude",
    "site.lon": "Longitude",
    "zone": "Territoire couvert",
    "zone_label": "Libellé du territoire",
    "sectorisation": "Sectorisation",
    "eligibility.age_min": "Âge minimum",
    "eligibility.age_max": "Âge maximum",
    "eligibility.requires": "Conditions d'accès",
    "eligibility.text": "Public (précisions)",
    "referral.by": "Prescripteurs",
    "referral.documents": "Documents à fournir",
    "referral.text": "Démarche",
    "cost": "Coût",
    "anonymous": "Anonymat",
    "wait.days_min": "Délai minimum (jours)",
    "wait.days_max": "Délai maximum (jours)",
    "wait.saturation": "Saturation",
    "wait.stated_at": "Délai constaté le",
    "wait.text": "Délai (précisions)",
    "contacts.phone.number": "Téléphone",
    "contacts.phone.placeholder": "Numéro fictif",
    "contacts.phone.source": "Source du numéro",
    "contacts.email": "E-mail",
    "contacts.website": "Site web",
    "hours.osm": "Horaires (format OpenStreetMap)",
    "hours.text": "Horaires",
    "hours.source": "Source des horaires",
    "problems": "Problèmes traités",
    "status": "Statut",
    "source": "Source",
    "confidence": "Niveau de confiance",
    "last_verified_at": "Dernière vérification",
    "verified_by": "Vérifié par",
    "notes": "Notes",
    "identifiers.finess": "N° FINESS",
    "identifiers.siret": "SIRET",
    "identifiers.data_inclusion": "Identifiant data·inclusion",
}


def value_at(data: dict | None, path: str) -> Any:
    """The value at a dotted path of an entry dict (None where a block is missing)."""
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def flatten(data: dict) -> dict[str, Any]:
    """Entry dict (``ServiceEntry.to_data()`` shape) → ``{dotted path: value}``.

    Nested dicts become dotted paths; lists stay whole values. A block that is null
    (``wait: null``, ``contacts.phone: null``) gives null for each of its paths, so that a
    valid entry always flattens to the same keys, ``ENTRY_PATHS``.
    """
    return _flatten(data, "")


def _flatten(data: dict, prefix: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        elif value is None and path in BLOCK_PATHS:
            flat.update(dict.fromkeys(BLOCK_PATHS[path]))
        else:
            flat[path] = value
    return flat


@dataclass(frozen=True)
class FieldChange:
    """One field whose value differs between two versions of an entry."""

    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict:
        """JSON representation (change history, import preview)."""
        return {"field": self.field, "old": self.old, "new": self.new}


def _is_empty(value: Any) -> bool:
    # Null, an empty text and an empty list all mean "nothing recorded".
    return value is None or value == "" or value == [] or value == {}


# Lists whose order means nothing (``types`` is ordered: its first is the main type).
UNORDERED = frozenset({"problems", "zone", "eligibility.requires", "referral.by", "referral.documents"})


def _default(field: str) -> Any:
    info = ENTRY_FIELDS.get(field)
    default = getattr(info, "default", None) if info is not None else None
    return default if isinstance(default, (str, int, float, bool)) else None


def _same(old: Any, new: Any, field: str = "") -> bool:
    if _is_empty(old) and _is_empty(new):
        return True
    # An absent value and the schema's default say the same (« saturation : inconnue »).
    default = _default(field)
    if default is not None and {_is_empty(old), _is_empty(new)} == {True, False} \
            and (old if not _is_empty(old) else new) == default:
        return True
    if field in UNORDERED and isinstance(old, list) and isinstance(new, list):
        return sorted(map(str, old)) == sorted(map(str, new))
    # True == 1 in Python: a boolean only ever equals a boolean.
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return old == new


def diff_entries(old: dict | None, new: dict | None) -> list[FieldChange]:
    """Changed fields between two versions of an entry, sorted by field path.

    ``old=None`` is a creation (every filled field is new), ``new=None`` a removal (every
    filled field is gone). Null, empty text and empty list count as the same value.
    """
    before = flatten(old) if old is not None else {}
    after = flatten(new) if new is not None else {}
    changes = []
    for field in sorted(before.keys() | after.keys()):
        old_value, new_value = before.get(field), after.get(field)
        if not _same(old_value, new_value, field):
            changes.append(FieldChange(field, old_value, new_value))
    return changes


def format_value(value: Any) -> str:
    """A value as shown to a coordinator: lists joined with « , », booleans oui/non,
    null as « (vide) », long texts cut."""
    if _is_empty(value):
        return EMPTY
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (list, tuple)):
        text = ", ".join(format_value(item) for item in value)
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1].rstrip() + "…"


def describe(change: FieldChange, labels: dict[str, Any] | None = None) -> str:
    """A short French sentence for a change, e.g. « Délai maximum (jours) : 30 → 90 ».
    ``labels`` gives, by field, a function naming a code (``problems``: the problem's label,
    never its code)."""
    label = FIELD_LABELS.get(change.field, change.field)
    name = (labels or {}).get(change.field) or str
    old, new = change.old, change.new
    if change.field in UNORDERED and isinstance(old, list) and isinstance(new, list):
        # A set: what was added and removed, not two long lists.
        added = [name(v) for v in new if v not in old]
        removed = [name(v) for v in old if v not in new]
        parts = ([f"ajouté {format_value(added)}"] if added else []) + \
                ([f"retiré {format_value(removed)}"] if removed else [])
        return f"{label} : {' ; '.join(parts)}"
    if name is not str:
        old, new = ([name(v) for v in value] if isinstance(value, list) else value for value in (old, new))
    return f"{label} : {format_value(old)} → {format_value(new)}"


def describer(taxonomy) -> Any:
    """``describe`` with the taxonomy's labels for codes (problems, types)."""
    labels = {"problems": taxonomy.problem_label, "types": taxonomy.type_label}

    def describe_change(change: FieldChange) -> str:
        return describe(change, labels)

    return describe_change
