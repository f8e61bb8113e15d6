"""Mapping of the directory's vocabulary to the data·inclusion referentials.

Tables from our problem codes, service types and costs to the package's enums
(thématiques, publics, réseaux porteurs, frais), the referrer and remote-only codes used
for mobilisation and modes d'accueil, and the functions applying them to one entry.
The mapping is documented in ``docs/DATA-INCLUSION.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from data_inclusion.schema.v1 import (
    Frais,
    ModeAccueil,
    Public,
    ReseauPorteur,
    Thematique,
)

from directory.datainclusion.common import _values

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
    "mairie": (_ACCES_DROITS, _DEMARCHES),
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
    "mairie": ReseauPorteur.COMMUNES,
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


def _modes_accueil(data: Mapping) -> list[str] | None:
    types = set(data.get("types") or [])
    modes: set[ModeAccueil] = set()
    if types & _REMOTE_ONLY_TYPES:
        modes.add(ModeAccueil.A_DISTANCE)
    if (data.get("site") or {}).get("commune") and types - _REMOTE_ONLY_TYPES:
        modes.add(ModeAccueil.EN_PRESENTIEL)
    return _values(modes)
