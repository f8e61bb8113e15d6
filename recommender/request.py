"""An orientation request: validation of what the API or the form sends.

Nothing here is stored or logged: the request lives for the time of one computation.
Errors are French and name the field (``household.age``), all at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from directory.commune_choice import CommuneChoice, choose_commune
from directory.gazetteer import Commune
from directory.invalid import FieldError, InvalidInput, context_value, field_errors, known_code
from directory.reference import ReferenceData

ROLE = Literal["gardien", "travailleur_social", "coordinateur"]
MAX_DESCRIPTION = 2000
# Lists are bounded (a hostile body could hold millions of items): a household has at most
# a handful of benefits or follow-ups, and the taxonomy has fewer than 40 problem codes.
MAX_PROBLEMS = 40
MAX_HOUSEHOLD_ITEMS = 20


def _code(table: str, message: str) -> AfterValidator:
    return known_code(lambda info: ref.taxonomy.codes(table) if (ref := context_value(info, "reference")) else None,
                      message)


class Household(BaseModel):
    """What is known of the household (every key optional; observable facts only)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    age: Annotated[int, Field(ge=0, le=120)] | None = None
    nb_enfants_mineurs: Annotated[int, Field(ge=0, le=30)] | None = None
    prestations: Annotated[list[Annotated[str, _code("household:prestations", "prestation inconnue")]],
                           Field(max_length=MAX_HOUSEHOLD_ITEMS)] | None = None
    notifications_mdph: Annotated[list[Annotated[str, _code("household:notifications_mdph",
                                                            "notification MDPH inconnue")]],
                                  Field(max_length=MAX_HOUSEHOLD_ITEMS)] | None = None
    demande_mdph_en_cours: bool | None = None
    suivis_en_cours: Annotated[list[Annotated[str, _code("service_types", "type de suivi inconnu")]],
                               Field(max_length=MAX_HOUSEHOLD_ITEMS)] | None = None
    contact_etabli: Annotated[str, _code("household:contact_etabli", "valeur inconnue")] | None = None
    bailleur: Annotated[str, _code("household:bailleur", "bailleur inconnu")] | None = None
    mesure_protection: Annotated[str, _code("household:mesure_protection", "mesure inconnue")] | None = None


DANGER_NOW = Literal["oui", "non", "ne_sait_pas"]
WHO = Literal["adulte", "enfant", "personne_agee", "proche"]


class Answers(BaseModel):
    """Answers to the questions of a previous answer (``questions``): each re-runs the
    orientation with what the person said."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    danger_now: DANGER_NOW | None = None
    who: WHO | None = None
    seen: Annotated[list[Annotated[str, _code("problems", "code problème inconnu")]],
                    Field(max_length=MAX_PROBLEMS)] = []


class OrientationInput(BaseModel):
    """The body of ``POST /api/orientations``."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    commune: Annotated[str, Field(min_length=1, max_length=100)]
    problems: Annotated[list[Annotated[str, _code("problems", "code problème inconnu")]],
                        Field(max_length=MAX_PROBLEMS)] = []
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)] | None = None
    role: ROLE = "travailleur_social"
    household: Household = Household()
    answers: Answers = Answers()
    # Problems read in the description that the person removed from the answer.
    dismissed: Annotated[list[Annotated[str, _code("problems", "code problème inconnu")]],
                         Field(max_length=MAX_PROBLEMS)] = []


@dataclass
class OrientationRequest:
    """A validated request, with its commune resolved."""

    commune: Commune
    problems: list[str]
    description: str
    role: str
    household: Household
    answers: Answers = field(default_factory=Answers)
    dismissed: list[str] = field(default_factory=list)
    extra_errors: list[FieldError] = field(default_factory=list)
    # How the commune was chosen (the other communes of its name, when there are some).
    choice: CommuneChoice | None = None


def _clean_text(text: str | None) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in (text or "")).strip()


def parse_request(data: Any, reference: ReferenceData, territory: frozenset[str] = frozenset(),
                  services_by_departement: Callable[[], dict[str, int]] | None = None) -> OrientationRequest:
    """Validate a request body; raise ``InvalidInput`` naming the faulty fields (for the
    commune, with the communes to choose from: homonyms, close names)."""
    if not isinstance(data, dict):
        raise InvalidInput.on("(corps)", "le corps doit être un objet JSON")
    try:
        parsed = OrientationInput.model_validate(data, context={"reference": reference})
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None
    choice = choose_commune(reference.gazetteer, parsed.commune, territory, services_by_departement)
    return OrientationRequest(commune=choice.commune, choice=choice,
                              problems=list(dict.fromkeys(parsed.problems)),
                              description=_clean_text(parsed.description), role=parsed.role,
                              household=parsed.household, answers=parsed.answers,
                              dismissed=list(dict.fromkeys(parsed.dismissed)))
