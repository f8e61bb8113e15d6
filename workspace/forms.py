"""The service edit form: field descriptions, form ↔ entry conversion, errors per field.

Plain Python. The form posts flat fields named by the entry's dotted paths
(``wait.days_max``); this module rebuilds the nested entry that the shared validator
(``directory.schema.validate_entry``) checks, and maps its errors back to form fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from directory.diff import value_at
from directory.invalid import FieldError
from directory.reference import ReferenceData
from directory.schema import CONFIDENCES, COSTS, SATURATIONS, STATUSES


@dataclass(frozen=True)
class FormField:
    """One input of the edit form."""

    path: str
    label: str
    widget: str = "text"  # text | textarea | number | date | checkbox | select | multi | lines
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""
    required: bool = False


@dataclass
class FormSection:
    """A fieldset of the form."""

    title: str
    fields: list[FormField] = field(default_factory=list)


def _pairs(values) -> tuple[tuple[str, str], ...]:
    return tuple((v, v) for v in values)


def form_sections(reference: ReferenceData) -> list[FormSection]:
    """The sections of the edit form, with choices from the taxonomy."""
    taxonomy = reference.taxonomy
    types = tuple(sorted(((t.code, t.short_label) for t in taxonomy.service_types.values()),
                         key=lambda pair: pair[1].lower()))
    problems = tuple((p.code, p.label) for p in taxonomy.problems.values())
    yes_no = (("", "Non renseigné"), ("oui", "Oui"), ("non", "Non"))
    return [
        FormSection("Identité", [
            FormField("id", "Identifiant (minuscules, chiffres, tirets)", required=True),
            FormField("name", "Nom", required=True),
            FormField("operator", "Gestionnaire"),
            FormField("types", "Types de structure", "multi", types, required=True),
            FormField("description", "Ce que fait la structure", "textarea"),
            FormField("problems", "Situations prises en charge", "multi", problems),
        ]),
        FormSection("Lieu et territoire", [
            FormField("site.commune", "Commune du site (code INSEE, vide si pas de lieu unique)"),
            FormField("site.address", "Adresse (seulement si vérifiée)"),
            FormField("site.address_confidential", "Adresse confidentielle (placée à la commune sur les cartes)",
                      "checkbox"),
            FormField("zone", "Territoire desservi (un élément par ligne)", "lines",
                      help="Une commune (nom ou code INSEE), departement:72, epci:SIREN ou zone:code "
                           "(zone nommée) par ligne",
                      required=True),
            FormField("zone_label", "Nom du territoire"),
            FormField("sectorisation", "Règle de sectorisation"),
        ]),
        FormSection("Public et conditions", [
            FormField("eligibility.age_min", "Âge minimum", "number"),
            FormField("eligibility.age_max", "Âge maximum", "number"),
            FormField("eligibility.requires", "Conditions", "multi", tuple(taxonomy.requirements.items())),
            FormField("eligibility.text", "Public (texte)", "textarea"),
            FormField("cost", "Coût", "select", _pairs(COSTS)),
            FormField("anonymous", "Anonymat possible", "select", yes_no),
        ]),
        FormSection("Orientation", [
            FormField("referral.by", "Qui peut orienter", "multi", tuple(taxonomy.referrers.items())),
            FormField("referral.documents", "Documents (un par ligne)", "lines"),
            FormField("referral.text", "Démarche", "textarea"),
        ]),
        FormSection("Délai d'attente", [
            FormField("wait.days_min", "Délai minimum (jours)", "number"),
            FormField("wait.days_max", "Délai maximum (jours)", "number"),
            FormField("wait.saturation", "Saturation", "select", (("", "—"), *_pairs(SATURATIONS))),
            FormField("wait.stated_at", "Délai indiqué le", "date"),
            FormField("wait.text", "Délai (texte)"),
        ]),
        FormSection("Contacts et horaires", [
            FormField("contacts.phone.number", "Téléphone"),
            FormField("contacts.phone.placeholder", "Numéro fictif (jamais appelable)", "checkbox"),
            FormField("contacts.phone.source", "Source du numéro (obligatoire pour un numéro réel)"),
            FormField("contacts.email", "E-mail"),
            FormField("contacts.website", "Site web"),
            FormField("hours.osm", "Horaires (format OpenStreetMap)",
                      help="ex. Mo-Fr 09:00-12:00,14:00-17:00; PH off"),
            FormField("hours.text", "Horaires (texte)"),
            FormField("hours.source", "Source des horaires"),
        ]),
        FormSection("Vérification", [
            FormField("status", "Statut", "select", _pairs(STATUSES), required=True),
            FormField("source", "Source", required=True),
            FormField("confidence", "Niveau de confiance", "select", (("", "—"), *_pairs(CONFIDENCES))),
            FormField("last_verified_at", "Dernière vérification", "date", required=True),
            FormField("verified_by", "Vérifié par"),
            FormField("notes", "Notes", "textarea"),
            FormField("ref", "Référence"),
            FormField("identifiers.finess", "N° FINESS (établissement)"),
            FormField("identifiers.siret", "SIRET"),
            FormField("identifiers.data_inclusion", "Identifiant data·inclusion (source:identifiant)"),
        ]),
    ]


def entry_to_form(data: dict, sections: list[FormSection]) -> dict:
    """Form values (strings, lists) of an entry."""
    values = {}
    for section in sections:
        for item in section.fields:
            value = value_at(data, item.path)
            if item.widget in ("multi",):
                values[item.path] = list(value or [])
            elif item.widget == "lines":
                values[item.path] = "\n".join(value or [])
            elif item.widget == "checkbox":
                values[item.path] = bool(value)
            elif item.path == "anonymous":
                values[item.path] = "" if value is None else ("oui" if value else "non")
            else:
                values[item.path] = "" if value is None else str(value)
    return values


def _set(data: dict, path: str, value) -> None:
    parts = path.split(".")
    target = data
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _number(text: str):
    text = text.strip()
    if not text:
        return None
    return int(text) if re.fullmatch(r"-?\d+", text) else text  # the validator reports bad numbers


_ZONE_TOKEN = re.compile(r"^(\d[0-9AB]\d{3}|departement:\S+|epci:\S+|zone:\S+)$")


def zone_lines_to_tokens(lines: list[str], reference: ReferenceData | None) -> list[str]:
    """Zone lines as typed: tokens kept, commune names or postcodes (« Sablé-sur-Sarthe
    (72300) ») turned into INSEE codes; anything unknown is kept for the validator to report."""
    tokens = []
    for line in lines:
        if _ZONE_TOKEN.match(line) or reference is None:
            tokens.append(line)
            continue
        found = reference.gazetteer.resolve(line)
        tokens.append(found[0].insee if len(found) >= 1 and not line.isdigit() else line)
    return tokens


def _field_value(form, item: FormField, reference: ReferenceData | None):
    """The typed value of one submitted field."""
    if item.widget == "multi":
        return [v for v in form.getlist(item.path) if v]
    if item.widget == "lines":
        lines = [line.strip() for line in (form.get(item.path) or "").splitlines() if line.strip()]
        return zone_lines_to_tokens(lines, reference) if item.path == "zone" else lines
    if item.widget == "checkbox":
        return bool(form.get(item.path))
    if item.widget == "number":
        return _number(form.get(item.path) or "")
    if item.path == "anonymous":
        return {"oui": True, "non": False}.get(form.get(item.path) or "")
    return (form.get(item.path) or "").strip() or None


def form_to_entry(form, sections: list[FormSection], reference: ReferenceData | None = None) -> dict:
    """The entry dict of submitted form fields (``form`` has ``get``/``getlist``)."""
    data: dict = {}
    for section in sections:
        for item in section.fields:
            _set(data, item.path, _field_value(form, item, reference))
    # Optional blocks left empty are absent, not half-filled.
    wait = data.get("wait") or {}
    if wait.get("saturation") is None:
        wait.pop("saturation", None)  # the validator's default (« inconnue ») applies
    if not any(wait.get(k) for k in ("days_min", "days_max", "stated_at", "text")) and \
            wait.get("saturation") in (None, "inconnue"):
        data["wait"] = None
    hours = data.get("hours") or {}
    if not any(hours.values()):
        data["hours"] = None
    phone = data["contacts"]["phone"]
    if not phone.get("number"):
        data["contacts"]["phone"] = None
    return data


def errors_by_field(errors: list[FieldError]) -> dict[str, list[str]]:
    """Validator errors keyed by form field (list indices and sub-paths folded)."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        name = re.sub(r"\[\d+\]", "", error.field)
        if name in ("contacts.phone", "wait", "hours", "site", "eligibility"):
            name = {"contacts.phone": "contacts.phone.number", "wait": "wait.days_max",
                    "hours": "hours.osm", "site": "site.commune",
                    "eligibility": "eligibility.age_min"}[name]
        grouped.setdefault(name, []).append(error.message)
    return grouped
