"""Export of the directory in the data·inclusion format (schema v1).

data·inclusion (https://data.inclusion.gouv.fr) aggregates the French social-inclusion
offer. Its schema, published on PyPI as ``data-inclusion-schema`` (Licence Ouverte 2.0),
describes *structures* (who operates) and *services* (what is offered, where, for whom).

``to_data_inclusion(entries, reference)`` turns directory entries, in the
``ServiceEntry.to_data()`` / ``directory.storage.row_to_data()`` shape, into
``{"structures": [...], "services": [...]}``: plain JSON-ready dicts whose keys follow the
package's ``Structure`` and ``Service`` models. ``validate_export(payload)`` checks such a
payload with the package's own models; ``export_warnings(payload)`` lists the package's
non-blocking warnings ("avertissements"). No Flask and no database are needed.

Honesty rules of the directory carry over to the export:

- placeholder phone numbers (``02 43 00 00 xx``, ``placeholder: true``) are never exported;
- a confidential address is never exported (nor its coordinates): commune level only;
- illustrative entries (demonstration records) and closed entries are left out by default,
  and illustrative named zones (CMP sectors, circonscriptions) are never exported as an
  eligibility area.

The mapping tables below use the referential enums of the package itself; the mapping is
documented in ``docs/DATA-INCLUSION.md``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from data_inclusion.schema.v1 import (
    Frais,
    ModeAccueil,
    ModeMobilisation,
    PersonneMobilisatrice,
    Public,
    ReseauPorteur,
    Service,
    Structure,
    Thematique,
)
from pydantic import ValidationError

from directory.reference import ReferenceData
from directory.schema import PLACEHOLDER_PHONE
from directory.zones import NamedZone

SOURCE = "maillage"

# Statuses exported by default. "illustrative" entries are demonstration records that must
# never be presented as real; "closed" services no longer exist.
EXPORTED_STATUSES = ("active", "seed_2014", "to_verify")

T = Thematique

# Problem code → thématiques. Every problem code of the taxonomy is a key; an empty tuple
# means "no equivalent" (see PROBLEMS_WITHOUT_THEMATIQUE and docs/DATA-INCLUSION.md).
PROBLEM_THEMATIQUES: dict[str, tuple[Thematique, ...]] = {
    "danger_immediat": (),
    "idees_suicidaires": (T.SANTE__SANTE_MENTALE,),
    "violences_intrafamiliales": (T.FAMILLE__SURMONTER_CONFLITS_SEPARATION_VIOLENCE,),
    "enfant_en_danger": (T.FAMILLE__SOUTIEN_A_LA_PARENTALITE_ET_A_LEDUCATION,),
    "maltraitance_personne_vulnerable": (T.FAMILLE__PRISE_EN_CHARGE_PERSONNE_DEPENDANTE,),
    "troubles_psychiques_suspectes": (T.SANTE__SANTE_MENTALE,),
    "rupture_de_soins": (T.SANTE__ACCES_AUX_SOINS,),
    "refus_de_contact": (),
    "isolement_repli": (T.REMOBILISATION__LIEN_SOCIAL,),
    "incurie": (T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT,),
    "degradations_logement": (T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT,),
    "troubles_voisinage": (T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT,),
    "agressivite_envers_personnel": (),
    "addiction_alcool": (T.SANTE__ADDICTIONS,),
    "addiction_drogues": (T.SANTE__ADDICTIONS,),
    "impayes_loyer": (T.LOGEMENT_HEBERGEMENT__REDUIRE_LES_IMPAYES_DE_LOYER,),
    "menace_expulsion": (T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT,),
    "surendettement": (T.DIFFICULTES_FINANCIERES__SITUATION_DENDETTEMENT_SURENDETTEMENT,),
    "difficultes_gestion_budget": (T.DIFFICULTES_FINANCIERES__AMELIORER_SA_GESTION_BUDGETAIRE,),
    "rupture_de_droits": (
        T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS,
        T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_AUX_DEMARCHES_ADMINISTRATIVES,
    ),
    "handicap": (),
    "perte_autonomie_age": (T.FAMILLE__PRISE_EN_CHARGE_PERSONNE_DEPENDANTE,),
    "maladie_chronique_precarite": (T.SANTE__ACCES_AUX_SOINS,),
    "logement_inadapte": (T.LOGEMENT_HEBERGEMENT__CHANGER_DE_LOGEMENT,),
    "sortie_hospitalisation": (T.SANTE__ACCES_AUX_SOINS,),
    "sortie_incarceration": (
        T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__PRENDRE_EN_COMPTE_UNE_PROBLEMATIQUE_JUDICIAIRE,
    ),
    "sans_solution_logement": (T.LOGEMENT_HEBERGEMENT__RECHERCHER_UNE_SOLUTION_DHEBERGEMENT_TEMPORAIRE,),
}

# Problem codes deliberately left without a thématique, with the reason (French, for the docs).
PROBLEMS_WITHOUT_THEMATIQUE: dict[str, str] = {
    "danger_immediat": "signal de triage (appeler le 15, 17, 18, 112), pas un besoin d'accompagnement",
    "refus_de_contact": "observation du bailleur (ménage injoignable), pas un besoin exprimé ; "
                        "les thématiques viennent des types de service",
    "agressivite_envers_personnel": "besoin du personnel du bailleur, pas du public du service",
    "handicap": "une population, pas un besoin : exprimée par les publics (types MDPH, SAVS, SAMSAH…) "
                "et par les thématiques des types de service",
}

_HEBERGEMENT_TEMPORAIRE = T.LOGEMENT_HEBERGEMENT__RECHERCHER_UNE_SOLUTION_DHEBERGEMENT_TEMPORAIRE
_MAINTIEN = T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT
_ACCES_LOGEMENT = T.LOGEMENT_HEBERGEMENT__SINFORMER_SUR_LES_DEMARCHES_LIEES_A_LACCES_AU_LOGEMENT
_ACCES_DROITS = T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS
_DEMARCHES = T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_AUX_DEMARCHES_ADMINISTRATIVES
_MESURE_ADAPTEE = T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__BENEFICIER_DUNE_MESURE_DACCOMPAGNEMENT_ADAPTE
_JUDICIAIRE = T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__PRENDRE_EN_COMPTE_UNE_PROBLEMATIQUE_JUDICIAIRE
_VIOLENCES = T.FAMILLE__SURMONTER_CONFLITS_SEPARATION_VIOLENCE
_PARENTALITE = T.FAMILLE__SOUTIEN_A_LA_PARENTALITE_ET_A_LEDUCATION
_DEPENDANCE = T.FAMILLE__PRISE_EN_CHARGE_PERSONNE_DEPENDANTE

# Service type → thématiques of what the service itself offers. An empty tuple means the
# type has no equivalent (its entries still get the thématiques of their problem codes).
TYPE_THEMATIQUES: dict[str, tuple[Thematique, ...]] = {
    "bailleur_social": (T.LOGEMENT_HEBERGEMENT__LOUER_UN_LOGEMENT, T.LOGEMENT_HEBERGEMENT__CHANGER_DE_LOGEMENT,
                        _MAINTIEN),
    "service_social_bailleur": (_MAINTIEN, T.LOGEMENT_HEBERGEMENT__REDUIRE_LES_IMPAYES_DE_LOYER),
    "plateforme_maintien": (_MAINTIEN,),
    "fsl": (T.LOGEMENT_HEBERGEMENT__REDUIRE_LES_IMPAYES_DE_LOYER, _MAINTIEN, T.LOGEMENT_HEBERGEMENT__LOUER_UN_LOGEMENT),
    "avdl": (_ACCES_LOGEMENT, _MAINTIEN),
    "avsl": (_MAINTIEN,),
    "intermediation_locative": (T.LOGEMENT_HEBERGEMENT__LOUER_UN_LOGEMENT,),
    "ccapex": (_MAINTIEN,),
    "adil": (_ACCES_LOGEMENT, _ACCES_DROITS),
    "dalo_comed": (_ACCES_LOGEMENT, _ACCES_DROITS),
    "siao": (_HEBERGEMENT_TEMPORAIRE,),
    "hebergement_urgence": (_HEBERGEMENT_TEMPORAIRE,),
    "chrs": (_HEBERGEMENT_TEMPORAIRE,),
    "pension_de_famille": (_HEBERGEMENT_TEMPORAIRE, T.REMOBILISATION__LIEN_SOCIAL),
    "residence_accueil": (_HEBERGEMENT_TEMPORAIRE, T.SANTE__SANTE_MENTALE),
    "residence_sociale": (_HEBERGEMENT_TEMPORAIRE,),
    "act": (T.SANTE__ACCES_AUX_SOINS, _HEBERGEMENT_TEMPORAIRE),
    "lhss": (T.SANTE__ACCES_AUX_SOINS, _HEBERGEMENT_TEMPORAIRE),
    "medecin_traitant": (T.SANTE__ACCES_AUX_SOINS,),
    "cmp": (T.SANTE__SANTE_MENTALE,),
    "empp": (T.SANTE__SANTE_MENTALE, T.SANTE__ACCES_AUX_SOINS),
    "hopital_psychiatrique": (T.SANTE__SANTE_MENTALE,),
    "urgences": (T.SANTE__ACCES_AUX_SOINS,),
    "csapa": (T.SANTE__ADDICTIONS,),
    "caarud": (T.SANTE__ADDICTIONS,),
    "clsm": (T.SANTE__SANTE_MENTALE,),
    "gem": (T.REMOBILISATION__LIEN_SOCIAL, T.SANTE__SANTE_MENTALE),
    "pass": (T.SANTE__ACCES_AUX_SOINS,),
    "mdph": (T.SANTE__CONSTITUER_UN_DOSSIER_MDPH_INVALIDITE,),
    "savs": (_MESURE_ADAPTEE,),
    "samsah": (_MESURE_ADAPTEE, T.SANTE__ACCES_AUX_SOINS),
    "equipe_mobile": (_MAINTIEN,),
    "clic": (_DEPENDANCE, T.FAMILLE__SOUTIEN_AIDANTS),
    "aide_a_domicile": (_DEPENDANCE, T.EQUIPEMENT_ET_ALIMENTATION__AIDE_MENAGERE),
    "ccas": (_ACCES_DROITS, _DEMARCHES),
    "service_social_departemental": (_ACCES_DROITS, _DEMARCHES),
    "caf": (_ACCES_DROITS,),
    "masp": (T.DIFFICULTES_FINANCIERES__AMELIORER_SA_GESTION_BUDGETAIRE, _MESURE_ADAPTEE),
    "mjpm": (T.DIFFICULTES_FINANCIERES__METTRE_EN_PLACE_UNE_MESURE_DE_PROTECTION_FINANCIERE,),
    "ase": (_PARENTALITE,),
    "crip": (_PARENTALITE,),
    "pmi": (_PARENTALITE, T.SANTE__ACCES_AUX_SOINS),
    "aide_aux_victimes": (_JUDICIAIRE, _ACCES_DROITS),
    "cidff": (_ACCES_DROITS, _VIOLENCES),
    "accompagnement_vif": (_VIOLENCES,),
    "mediation": (_MAINTIEN,),
    "banque_de_france": (T.DIFFICULTES_FINANCIERES__SITUATION_DENDETTEMENT_SURENDETTEMENT,),
    "mairie_hygiene": (_MAINTIEN,),
    "forces_de_l_ordre": (),
    "centre_social": (T.REMOBILISATION__LIEN_SOCIAL, _DEMARCHES),
    "mission_locale": (T.SE_FORMER__TROUVER_SA_FORMATION,
                       T.PREPARER_SA_CANDIDATURE__ORGANISER_SES_DEMARCHES_DE_RECHERCHE_DEMPLOI,
                       _ACCES_LOGEMENT),
    "spip": (_JUDICIAIRE,),
    "etat_ddets": (),
    "ligne_nationale": (),
}

# Service type → publics the type is reserved to. Types absent here serve no specific public.
TYPE_PUBLICS: dict[str, tuple[Public, ...]] = {
    "mdph": (Public.PERSONNES_EN_SITUATION_DE_HANDICAP,),
    "savs": (Public.PERSONNES_EN_SITUATION_DE_HANDICAP,),
    "samsah": (Public.PERSONNES_EN_SITUATION_DE_HANDICAP,),
    "residence_accueil": (Public.PERSONNES_EN_SITUATION_DE_HANDICAP,),
    "avsl": (Public.PERSONNES_EN_SITUATION_DE_HANDICAP,),
    "gem": (Public.PERSONNES_EN_SITUATION_DE_HANDICAP,),
    "clic": (Public.SENIORS,),
    "mission_locale": (Public.JEUNES,),
    "ase": (Public.FAMILLES,),
    "pmi": (Public.FAMILLES,),
    "cidff": (Public.FEMMES, Public.FAMILLES),
    "accompagnement_vif": (Public.PERSONNES_EN_SITUATION_D_URGENCE,),
    "hebergement_urgence": (Public.PERSONNES_EN_SITUATION_D_URGENCE,),
    "siao": (Public.PERSONNES_EN_SITUATION_D_URGENCE,),
    "chrs": (Public.PERSONNES_EN_SITUATION_D_URGENCE,),
    "lhss": (Public.PERSONNES_EN_SITUATION_D_URGENCE,),
    "empp": (Public.PERSONNES_EN_SITUATION_D_URGENCE,),
    "caarud": (Public.PERSONNES_EN_SITUATION_D_URGENCE,),
    "spip": (Public.PERSONNES_EN_SITUATION_JURIDIQUE_SPECIFIQUE,),
}

# Service type → network of the operating structure (Structure.reseaux_porteurs).
TYPE_RESEAUX: dict[str, ReseauPorteur] = {
    "ase": ReseauPorteur.ASE,
    "caarud": ReseauPorteur.CAARUD,
    "caf": ReseauPorteur.CAF,
    "ccas": ReseauPorteur.CCAS_CIAS,
    "chrs": ReseauPorteur.CHRS,
    "cidff": ReseauPorteur.CIDFF,
    "cmp": ReseauPorteur.CMP,
    "csapa": ReseauPorteur.CSAPA,
    "mdph": ReseauPorteur.MDPH,
    "mission_locale": ReseauPorteur.MISSION_LOCALE,
    "siao": ReseauPorteur.SIAO,
    "spip": ReseauPorteur.SPIP,
    "service_social_departemental": ReseauPorteur.DEPARTEMENTS,
    "pmi": ReseauPorteur.DEPARTEMENTS,
    "crip": ReseauPorteur.DEPARTEMENTS,
}

# Our cost → (frais, frais_precisions). "inconnu" exports no frais at all.
COST_FRAIS: dict[str, tuple[Frais | None, str | None]] = {
    "gratuit": (Frais.GRATUIT, None),
    "participation": (Frais.PAYANT, "Participation financière demandée."),
    "loyer_redevance": (Frais.PAYANT, "Loyer ou redevance d'occupation."),
    "inconnu": (None, None),
}

# Referrer codes that are the public itself (the others are professionals).
_USER_REFERRERS = {"self", "famille", "any_citizen"}
# Referrer codes that cover professionals as well as the public.
_ANYONE_REFERRERS = {"any_citizen"}
# Types whose service is only delivered at a distance (phone lines).
_REMOTE_ONLY_TYPES = {"ligne_nationale"}

# Operator texts that do not name one identified structure: uncertain (anywhere in the
# text), or several operators (outside parentheses).
_UNCERTAIN_OPERATOR = re.compile(r"\[\?\]|à identifier|à préciser|à vérifier", re.IGNORECASE)
_SEVERAL_OPERATORS = re.compile(r";|\bou\b|\bet\b", re.IGNORECASE)
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_FLAGS = re.compile(r"\s*\[[^\[\]]*\]")
_POSTCODE = re.compile(r"\b(\d{5})\b")
_NAME_MAX = 150
# Confidence flags of the reference written inside our texts: "[?]" uncertain, "[K]" general
# knowledge not verified, "[ILL]" illustrative, "[S3]" project sheet; "[V:R16]" cites a
# verified source of the internal reference (meaningless outside, dropped).
_DOUBT_FLAG = re.compile(r"\s*\[(?:\?|K|ILL|S\d)\]")
_SOURCE_FLAG = re.compile(r"\s*\[V:[^\[\]]*\]")
# A placeholder number quoted inside a free text (same pattern as PLACEHOLDER_PHONE).
_PLACEHOLDER_IN_TEXT = re.compile(r"\b02 ?43 ?00 ?00 ?\d\d\b")


# --------------------------------------------------------------------------- helpers


def slugify(text: str) -> str:
    """Lowercase ASCII slug (accents dropped, other characters as single hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def public_text(text: str | None) -> str | None:
    """A free text for publication: internal source citations dropped, doubt flags spelled
    out as « (à confirmer) » so that an uncertain fact never reads as a verified one, and
    placeholder numbers (``02 43 00 00 xx``) masked."""
    if not text:
        return None
    text = _SOURCE_FLAG.sub("", text)
    text = _PLACEHOLDER_IN_TEXT.sub("(numéro non communiqué)", text)
    return _DOUBT_FLAG.sub(" (à confirmer)", text).strip() or None


def _as_data(item: Any) -> dict:
    """Entry data of a dict, a ``ServiceEntry`` or a stored ``Service`` row."""
    if isinstance(item, Mapping):
        return dict(item)
    if hasattr(item, "to_data"):
        return item.to_data()
    from directory.storage import row_to_data  # a DB row: imported lazily, no DB needed otherwise

    return row_to_data(item)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _values(members: Iterable[Any]) -> list[str] | None:
    """Sorted enum values (JSON-ready), or None when empty."""
    values = sorted({member.value for member in members})
    return values or None


def _short_name(name: str) -> str:
    """A name within the schema's 3–150 characters, not ending with a period."""
    name = " ".join(name.split())
    if len(name) > _NAME_MAX:
        name = name[: _NAME_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"
    if name.endswith(".") and not name.endswith("etc."):
        name = name.rstrip(".")
    return name


def _ordered(model: type, values: dict) -> dict:
    """Values keyed in the model's field order, every field present (None when unknown)."""
    unknown = set(values) - set(model.model_fields)
    if unknown:  # a programming error: the model would silently ignore these keys
        raise KeyError(f"{model.__name__} has no field {sorted(unknown)}")
    return {name: values.get(name) for name in model.model_fields}


def export_phone(phone: Mapping | None) -> str | None:
    """The number to publish, or None for a missing or placeholder number.

    Numbers are given in E.164 (``+33243415300``) when they are ordinary French numbers;
    short numbers (``115``, ``3919``) are kept as dialled.
    """
    if not phone or not phone.get("number") or phone.get("placeholder", True):
        return None
    number = " ".join(str(phone["number"]).split())
    if PLACEHOLDER_PHONE.match(number):  # defensive: a placeholder is never a real number
        return None
    digits = number.replace(" ", "")
    if len(digits) == 10 and digits.startswith("0"):
        return "+33" + digits[1:]
    return digits


# --------------------------------------------------------------------------- places


def _commune_fields(insee: str | None, reference: ReferenceData, postcode_hint: str | None = None) -> dict:
    """Commune-level location: INSEE code, name and postcode when it is unambiguous."""
    commune = reference.gazetteer.get(insee) if insee else None
    if commune is None:
        return {}
    postcode = None
    if postcode_hint and postcode_hint in commune.postcodes:
        postcode = postcode_hint
    elif len(commune.postcodes) == 1:
        postcode = commune.postcodes[0]
    return {"code_insee": commune.insee, "commune": commune.name, "code_postal": postcode}


def _street(address: str, commune_name: str | None) -> str:
    """The address without its trailing ``, [postcode] commune [Cedex n]`` part."""
    parts = [part.strip() for part in address.split(",")]
    if len(parts) > 1 and commune_name:
        tail = _POSTCODE.sub("", parts[-1]).strip()
        tail = re.sub(r"\s+cedex(\s+\d+)?$", "", tail, flags=re.IGNORECASE).strip()
        if slugify(tail) == slugify(commune_name):
            parts = parts[:-1]
    return ", ".join(parts)


def _site_fields(site: Mapping, reference: ReferenceData) -> dict:
    """Location of a service; a confidential site is exported at commune level only."""
    address = None if site.get("address_confidential") else site.get("address")
    match = _POSTCODE.search(address) if address else None
    fields = _commune_fields(site.get("commune"), reference, match.group(1) if match else None)
    if address:
        fields["adresse"] = _street(address, fields.get("commune"))
    if not site.get("address_confidential") and site.get("lat") is not None:
        fields["latitude"], fields["longitude"] = site["lat"], site["lon"]
    return fields


def _zone_codes(zone: NamedZone, reference: ReferenceData) -> list[str]:
    """Codes of a named zone: its EPCI's SIREN when it is exactly one EPCI, else its communes."""
    if zone.status == "illustrative":  # an illustrative sector is not a real eligibility area
        return []
    communes = set(zone.communes)
    first = reference.gazetteer.get(zone.communes[0]) if zone.communes else None
    if first and first.epci and set(reference.gazetteer.communes_of_epci(first.epci)) == communes:
        return [first.epci]
    return sorted(communes)


def zone_eligibilite(tokens: Iterable[str], reference: ReferenceData) -> list[str] | None:
    """data·inclusion ``zone_eligibilite`` codes of our zone tokens.

    INSEE code → commune code; ``departement:NN`` → ``NN``; ``epci:SIREN`` → SIREN;
    ``zone:code`` → the EPCI SIREN when the named zone is exactly one EPCI, else its
    communes (illustrative zones are dropped). None when nothing is left.
    """
    codes: list[str] = []
    for token in tokens:
        token = str(token).strip()
        kind, _, value = token.partition(":")
        if not value:
            codes.append(token)
        elif kind in ("departement", "epci"):
            codes.append(value)
        elif kind == "zone" and value in reference.zones:
            codes.extend(_zone_codes(reference.zones[value], reference))
    return list(dict.fromkeys(codes)) or None


# --------------------------------------------------------------------------- services


def thematiques(types: Iterable[str], problems: Iterable[str]) -> list[str] | None:
    """Thématiques of an entry: those of its service types and of its problem codes."""
    found: set[Thematique] = set()
    for code in types:
        found.update(TYPE_THEMATIQUES.get(code, ()))
    for code in problems:
        found.update(PROBLEM_THEMATIQUES.get(code, ()))
    return _values(found)


def publics(types: Iterable[str], eligibility: Mapping) -> list[str] | None:
    """Publics of an entry, from its types and age bounds; ``tous-publics`` only when the
    entry states no restriction at all; None (unknown) otherwise."""
    found: set[Public] = set()
    types = list(types)
    # A type's public restricts eligibility, so it applies only when every type of the
    # entry is reserved to a public (a CCAS that also shelters is not for urgencies only).
    if types and all(code in TYPE_PUBLICS for code in types):
        for code in types:
            found.update(TYPE_PUBLICS[code])
    age_min, age_max = eligibility.get("age_min"), eligibility.get("age_max")
    if age_max is not None and age_max <= 25:
        found.add(Public.JEUNES)
    if age_min is not None and age_min >= 60:
        found.add(Public.SENIORS)
    restricted = age_min is not None or age_max is not None or eligibility.get("requires") or eligibility.get("text")
    if not found and not restricted:
        found.add(Public.TOUS_PUBLICS)
    return _values(found)


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


def _modes_accueil(data: Mapping) -> list[str] | None:
    types = set(data.get("types") or [])
    modes: set[ModeAccueil] = set()
    if types & _REMOTE_ONLY_TYPES:
        modes.add(ModeAccueil.A_DISTANCE)
    if (data.get("site") or {}).get("commune") and types - _REMOTE_ONLY_TYPES:
        modes.add(ModeAccueil.EN_PRESENTIEL)
    return _values(modes)


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


# --------------------------------------------------------------------------- validation


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
