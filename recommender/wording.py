"""Who acts, in words fitted to the user's role (G5: caretakers relay internally)."""

from __future__ import annotations

from directory.taxonomy import Taxonomy

# Lines and cells anyone may call directly, gardiens included (REFERENCE §5.6).
DIRECT_FOR_EVERYONE = {"ligne_nationale", "crip", "urgences", "forces_de_l_ordre"}
SIAO_REQUIREMENTS = {"evaluation_sociale_siao", "orientation_siao"}


def who_acts(type_code: str, role: str, taxonomy: Taxonomy) -> str:
    """A French sentence saying who does what for this suggestion."""
    service_type = taxonomy.service_types[type_code]
    label = service_type.label
    if role == "gardien":
        if type_code == "service_social_bailleur":
            return ("Signaler au responsable d'agence, à la CESF ou au chargé de mission "
                    "accompagnement social du bailleur.")
        if type_code in DIRECT_FOR_EVERYONE or service_type.gardien_direct:
            return (f"Vous pouvez appeler directement : {label}. "
                    "Prévenez ensuite votre responsable d'agence.")
        return f"Signaler au responsable d'agence ou à la CESF, qui pourra saisir : {label}."
    requires = set(service_type.requires)
    if "notification_cdaph" in requires:
        return (f"Demande à la MDPH d'abord ; après la notification de la CDAPH, {label} "
                "peut être saisi avec l'accord de la personne.")
    if requires & SIAO_REQUIREMENTS:
        return f"Vous rédigez l'évaluation sociale SIAO ; le SIAO oriente vers : {label}."
    if service_type.self_referral:
        return (f"La personne peut s'adresser directement à : {label}. Vous pouvez "
                "l'accompagner ou prendre contact avec son accord.")
    referrers = set(service_type.referral_by)
    if referrers and referrers <= {"plateforme", "bailleur_social_staff"}:
        return f"Le bailleur présente la situation : {label}."
    return f"Vous saisissez : {label}, avec l'accord de la personne."
