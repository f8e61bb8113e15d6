"""Who acts, in words fitted to the user's role (G5: caretakers relay internally).

The suggestion's card already names the service: these sentences say who does what,
in plain French, without repeating the label.
"""

from __future__ import annotations

from directory.taxonomy import Taxonomy

# Lines and cells anyone may call directly, gardiens included (REFERENCE §5.6).
DIRECT_FOR_EVERYONE = {"ligne_nationale", "crip", "urgences", "forces_de_l_ordre"}
SIAO_REQUIREMENTS = {"evaluation_sociale_siao", "orientation_siao"}


def who_acts(type_code: str, role: str, taxonomy: Taxonomy) -> str:
    """A French sentence saying who does what for this suggestion."""
    service_type = taxonomy.service_types[type_code]
    if role == "gardien":
        if type_code == "service_social_bailleur":
            return ("Vous signalez la situation au responsable d'agence, à la CESF ou au chargé de mission "
                    "accompagnement social.")
        if type_code in DIRECT_FOR_EVERYONE or service_type.gardien_direct:
            return "Vous pouvez appeler vous-même, puis prévenir votre responsable d'agence."
        return ("Vous signalez la situation au responsable d'agence ou à la CESF, qui prend contact "
                "avec ce service.")
    requires = set(service_type.requires)
    if "notification_cdaph" in requires:
        return ("Une demande à la MDPH d'abord : après la notification de la CDAPH, ce service est saisi "
                "avec l'accord de la personne.")
    if requires & SIAO_REQUIREMENTS:
        return "Vous rédigez l'évaluation sociale SIAO ; c'est le SIAO qui oriente vers ce service."
    if service_type.self_referral:
        return ("Accès direct : la personne peut prendre contact elle-même ; vous pouvez l'accompagner, "
                "avec son accord.")
    referrers = set(service_type.referral_by)
    if referrers and referrers <= {"plateforme", "bailleur_social_staff"}:
        return "Le bailleur présente la situation (chargé de mission ou CESF)."
    return "Vous prenez contact avec ce service, avec l'accord de la personne."
