"""data·inclusion records: one ``Service`` per exported entry, one ``Structure`` per
identified operator (or per entry when its operator is not identified), and the export
of the whole directory (``to_data_inclusion``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from data_inclusion.schema.v1 import (
    ModeMobilisation,
    PersonneMobilisatrice,
    Service,
    Structure,
)

from directory.datainclusion.common import (
    _as_data,
    _as_date,
    _ordered,
    _short_name,
    _values,
    export_phone,
    public_text,
    slugify,
)
from directory.datainclusion.mapping import (
    _ANYONE_REFERRERS,
    _USER_REFERRERS,
    COST_FRAIS,
    TYPE_RESEAUX,
    _modes_accueil,
    publics,
    thematiques,
)
from directory.datainclusion.places import _commune_fields, _site_fields, zone_eligibilite
from directory.reference import ReferenceData

SOURCE = "maillage"

# Statuses exported by default. "illustrative" entries are demonstration records that must
# never be presented as real; "closed" services no longer exist.
EXPORTED_STATUSES = ("active", "published", "seed_2014", "to_verify")

# Operator texts that do not name one identified structure: uncertain (anywhere in the
# text), or several operators (outside parentheses).
_UNCERTAIN_OPERATOR = re.compile(r"\[\?\]|à identifier|à préciser|à vérifier", re.IGNORECASE)
_SEVERAL_OPERATORS = re.compile(r";|\bou\b|\bet\b", re.IGNORECASE)
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_FLAGS = re.compile(r"\s*\[[^\[\]]*\]")


# --------------------------------------------------------------------------- services


def _publics_precisions(eligibility: Mapping) -> str | None:
    parts = []
    age_min, age_max = eligibility.get("age_min"), eligibility.get("age_max")
    if age_min is not None and age_max is not None:
        parts.append(f"De {age_min} à {age_max} ans.")
    elif age_min is not None:
        parts.append(f"À partir de {age_min} ans.")
    elif age_max is not None:
        parts.append(f"Jusqu'à {age_max} ans.")
    if eligibility.get("text"):
        parts.append(eligibility["text"])
    return public_text(" ".join(parts))


def _conditions_acces(data: Mapping, reference: ReferenceData) -> str | None:
    requirements = reference.taxonomy.requirements
    requires = [requirements.get(code, code) for code in (data.get("eligibility") or {}).get("requires") or []]
    documents = (data.get("referral") or {}).get("documents") or []
    lines = []
    if requires:
        lines.append("Conditions : " + " ; ".join(requires) + ".")
    if documents:
        lines.append("Pièces à fournir : " + " ; ".join(documents) + ".")
    if data.get("anonymous"):
        lines.append("Accueil anonyme possible.")
    return public_text("\n".join(lines))


def _mobilisation(data: Mapping, reference: ReferenceData, telephone: str | None,
                  courriel: str | None) -> dict:
    referral = data.get("referral") or {}
    by = list(referral.get("by") or [])
    who: set[PersonneMobilisatrice] = set()
    if set(by) & _USER_REFERRERS:
        who.add(PersonneMobilisatrice.USAGERS)
    if set(by) - _USER_REFERRERS or set(by) & _ANYONE_REFERRERS:
        who.add(PersonneMobilisatrice.PROFESSIONNELS)
    modes: set[ModeMobilisation] = set()
    if telephone:
        modes.add(ModeMobilisation.TELEPHONER)
    if courriel:
        modes.add(ModeMobilisation.ENVOYER_UN_COURRIEL)
    referrers = reference.taxonomy.referrers
    lines = []
    if by:
        lines.append("Orientation par : " + " ; ".join(referrers.get(code, code) for code in by) + ".")
    if referral.get("text"):
        lines.append(referral["text"])
    return {"mobilisable_par": _values(who), "modes_mobilisation": _values(modes),
            "mobilisation_precisions": public_text("\n".join(lines))}


def _description(data: Mapping, reference: ReferenceData) -> str:
    if public_text(data.get("description")):
        return public_text(data["description"])
    labels = [reference.taxonomy.type_label(code) for code in data.get("types") or []]
    return " ; ".join(labels) + "."


def service_record(data: Mapping, structure_id: str, reference: ReferenceData,
                   base_url: str | None = None) -> dict:
    """The data·inclusion ``Service`` dict of one entry (``ServiceEntry.to_data()`` shape)."""
    contacts = data.get("contacts") or {}
    telephone = export_phone(contacts.get("phone"))
    courriel = contacts.get("email") or None
    frais, frais_precisions = COST_FRAIS.get(data.get("cost") or "inconnu", (None, None))
    eligibility = data.get("eligibility") or {}
    types = data.get("types") or []
    values = {
        "source": SOURCE,
        "structure_id": structure_id,
        "id": data["id"],
        "nom": _short_name(public_text(data["name"]) or data["name"]),
        "description": _description(data, reference),
        "lien_source": f"{base_url.rstrip('/')}/services/{quote(data['id'])}" if base_url else None,
        "date_maj": _as_date(data["last_verified_at"]).isoformat(),
        "thematiques": thematiques(types, data.get("problems") or []),
        "frais": frais.value if frais else None,
        "frais_precisions": frais_precisions,
        "publics": publics(types, eligibility),
        "publics_precisions": _publics_precisions(eligibility),
        "conditions_acces": _conditions_acces(data, reference),
        "telephone": telephone,
        "courriel": courriel,
        "modes_accueil": _modes_accueil(data),
        "zone_eligibilite": zone_eligibilite(data.get("zone") or [], reference),
        "horaires_accueil": (data.get("hours") or {}).get("osm") or None,
        **_site_fields(data.get("site") or {}, reference),
        **_mobilisation(data, reference, telephone, courriel),
    }
    return _ordered(Service, values)


# --------------------------------------------------------------------------- structures


def operator_name(operator: str | None) -> str | None:
    """The structure name of an operator text, or None when it names no single identified
    structure (missing, uncertain ``[?]``, "à identifier", several operators)."""
    if not operator or _UNCERTAIN_OPERATOR.search(operator):
        return None
    name = _FLAGS.sub("", operator).strip(" ,")
    bare = _PARENTHESES.sub("", name).strip(" ,")
    if _SEVERAL_OPERATORS.search(bare):
        return None
    # Parentheses hold details ("(coordination)", "(office public de l'habitat)"); they are
    # kept only when the name would otherwise be a single word ("État (préfecture…)").
    if len(bare.split()) > 1:
        name = bare
    name = _short_name(name)
    return name if len(name) >= 3 else None


def structure_key(data: Mapping) -> tuple[str, str, str | None]:
    """``(structure id, structure name, operator text kept as description)`` of an entry.

    An identified operator gives one structure shared by its entries (id = slug of its
    name); otherwise the entry gets its own structure, ``<entry id>--structure`` (a slug
    never contains ``--``, so the two kinds of ids cannot collide).
    """
    operator = data.get("operator")
    name = operator_name(operator)
    if name:
        return slugify(name), name, None
    description = public_text(f"Porteur : {operator}") if operator else None
    return f"{data['id']}--structure", _short_name(public_text(data["name"]) or data["name"]), description


def _structure_record(key: tuple[str, str, str | None], members: list[dict], reference: ReferenceData) -> dict:
    structure_id, name, description = key
    communes = {(m.get("site") or {}).get("commune") for m in members}
    websites = {(m.get("contacts") or {}).get("website") for m in members} - {None, ""}
    reseaux = {TYPE_RESEAUX[code] for m in members for code in m.get("types") or [] if code in TYPE_RESEAUX}
    values = {
        "source": SOURCE,
        "id": structure_id,
        "nom": name,
        "date_maj": max(_as_date(m["last_verified_at"]) for m in members).isoformat(),
        "description": description,
        "site_web": websites.pop() if len(websites) == 1 else None,
        "reseaux_porteurs": _values(reseaux),
        # Commune level only, and only when all its services share one commune.
        **(_commune_fields(communes.pop(), reference) if len(communes) == 1 else {}),
    }
    return _ordered(Structure, values)


# --------------------------------------------------------------------------- export


def to_data_inclusion(rows_or_entries: Iterable[Any], reference: ReferenceData, *,
                      statuses: Iterable[str] | None = EXPORTED_STATUSES,
                      base_url: str | None = None) -> dict[str, list[dict]]:
    """The directory in the data·inclusion v1 format: ``{"structures": [...], "services": [...]}``.

    ``rows_or_entries`` are entries in the ``ServiceEntry.to_data()`` shape (what
    ``directory.storage.row_to_data`` returns), ``ServiceEntry`` objects or stored rows.
    Only entries whose status is in ``statuses`` are exported (None: all of them); by
    default illustrative and closed entries are left out. ``base_url`` (the public address
    of this Maillage instance) gives each service a ``lien_source`` to its page.
    The result is JSON-ready (lists sorted by id, dates as ISO strings).
    """
    allowed = None if statuses is None else set(statuses)
    groups: dict[str, tuple[tuple[str, str, str | None], list[dict]]] = {}
    services = []
    for item in rows_or_entries:
        data = _as_data(item)
        if allowed is not None and data.get("status") not in allowed:
            continue
        key = structure_key(data)
        groups.setdefault(key[0], (key, []))[1].append(data)
        services.append(service_record(data, key[0], reference, base_url))
    structures = [_structure_record(key, members, reference) for key, members in groups.values()]
    return {"structures": sorted(structures, key=lambda s: s["id"]),
            "services": sorted(services, key=lambda s: s["id"])}
