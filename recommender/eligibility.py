"""Eligibility gates (global rule G6): mark and explain, never hide.

Each requirement of a service type (taxonomy ``access.requires``) is checked against
what the household says: met, unmet or unknown. A type is ``likely`` when every
requirement is met, ``unlikely`` when one is known to be unmet, ``unknown`` otherwise,
with the list of what is missing in French.
"""

from __future__ import annotations

from dataclasses import dataclass

from directory.taxonomy import Taxonomy
from recommender.request import Household

# Requirements that describe how to refer rather than who is eligible: shown in
# "how to refer", not counted as eligibility conditions.
PROCEDURAL = {"consentement", "fiche_recueil_ip", "mandat_plateforme", "prescripteur_identifie",
              "contrat_masp"}
SOCIAL_BENEFITS = {"rsa", "aah", "apl_al", "prestations_familiales", "pension_invalidite", "aspa"}
NOTIFICATION_FOR = {"savs": {"orientation_savs"}, "samsah": {"orientation_samsah"}}
SUPPORT_NOTIFICATIONS = {"orientation_savs", "orientation_samsah"}


@dataclass(frozen=True)
class Eligibility:
    """Verdict for one service type."""

    status: str  # likely | unknown | unlikely
    missing: tuple[str, ...]

    def as_dict(self) -> dict:
        """JSON representation."""
        return {"status": self.status, "missing": list(self.missing)}


def _notification(type_code: str, household: Household) -> tuple[str, str]:
    wanted = NOTIFICATION_FOR.get(type_code, SUPPORT_NOTIFICATIONS)
    label = {"savs": "orientation SAVS", "samsah": "orientation SAMSAH"}.get(type_code, "SAVS ou SAMSAH")
    text = f"Notification de la CDAPH ({label}) : demande à la MDPH d'abord"
    notifications = household.notifications_mdph
    if notifications is not None and wanted & set(notifications):
        return "met", text
    if household.demande_mdph_en_cours:
        return "unknown", f"{text} (demande en cours)"
    if notifications is not None:
        return "unmet", text
    return "unknown", text


def _benefits(household: Household) -> tuple[str, str]:
    text = "Perception de prestations sociales (RSA, AAH, APL…)"
    if household.prestations is None:
        return "unknown", text
    if SOCIAL_BENEFITS & set(household.prestations):
        return "met", text
    if household.prestations and set(household.prestations) <= {"aucune", "salaire", "retraite", "are"}:
        return "unmet", text
    return "unknown", text


def _psychiatric_follow_up(household: Household) -> tuple[str, str]:
    text = "Suivi psychiatrique en place (CMP ou psychiatre)"
    follow_ups = household.suivis_en_cours
    if follow_ups is None:
        return "unknown", text
    return ("met", text) if {"cmp", "hopital_psychiatrique"} & set(follow_ups) else ("unknown", text)


def check_requirement(code: str, type_code: str, household: Household, taxonomy: Taxonomy) -> tuple[str, str]:
    """``(met | unmet | unknown, French label)`` for one requirement."""
    if code == "notification_cdaph":
        return _notification(type_code, household)
    if code == "prestations_sociales":
        return _benefits(household)
    if code == "suivi_psychiatrique":
        return _psychiatric_follow_up(household)
    return "unknown", taxonomy.requirements.get(code, code)


def assess(type_code: str, household: Household, taxonomy: Taxonomy,
           age_range: tuple[int | None, int | None] = (None, None)) -> Eligibility:
    """Eligibility of the household for a service type."""
    service_type = taxonomy.service_types[type_code]
    verdicts = [check_requirement(code, type_code, household, taxonomy)
                for code in service_type.requires if code not in PROCEDURAL]
    low, high = age_range
    if household.age is not None and (low is not None or high is not None):
        inside = (low is None or household.age >= low) and (high is None or household.age <= high)
        bounds = " ".join(filter(None, [f"à partir de {low} ans" if low is not None else "",
                                        f"jusqu'à {high} ans" if high is not None else ""]))
        verdicts.append(("met" if inside else "unmet", f"Âge : {bounds}"))
    if any(status == "unmet" for status, _ in verdicts):
        status = "unlikely"
    elif any(status == "unknown" for status, _ in verdicts):
        status = "unknown"
    else:
        status = "likely"
    missing = tuple(label for state, label in verdicts if state != "met")
    return Eligibility(status, missing)
