"""The orientation rules of ``data/rules.yaml``: schema, validation and loading.

Rules are data a network coordinator can read and change: an id, a French description
shown as the reason, a trigger (problems, danger, roles, household conditions), the
ordered service types proposed, optional helpline numbers and a weight. They are
validated at load with the same error quality as the directory: file, line, rule id,
field, French message, all errors at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from directory.invalid import context_value, fail, format_loc, french_message, known_code
from directory.loader import LoadIssue, line_of, parse_yaml_document
from directory.taxonomy import Taxonomy

ROLES = ("gardien", "travailleur_social", "coordinateur")
UNKNOWN = "inconnu"


def _taxonomy(info: ValidationInfo) -> Taxonomy | None:
    return context_value(info, "taxonomy")


def _known(table: str, message: str, extra: tuple[str, ...] = ()) -> AfterValidator:
    return known_code(lambda info: taxonomy.codes(table) if (taxonomy := _taxonomy(info)) else None,
                      message, extra)


def _number_known(value: str, info: ValidationInfo) -> str:
    taxonomy = _taxonomy(info)
    if taxonomy is not None and taxonomy.line(value) is None:
        raise fail(f"numéro inconnu « {value} » (absent des numéros de taxonomy.yaml)")
    return value


TypeCode = Annotated[str, _known("service_types", "type de service inconnu")]
ProblemCode = Annotated[str, _known("problems", "code problème inconnu")]
Number = Annotated[str, AfterValidator(_number_known)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _household_value(kind: str, message: str):
    """A household code, or ``inconnu`` (the condition then also holds when not given)."""
    return Annotated[str, _known(f"household:{kind}", message, (UNKNOWN,))]


Notification = _household_value("notifications_mdph", "notification inconnue")
Benefit = _household_value("prestations", "prestation inconnue")
Protection = _household_value("mesure_protection", "mesure inconnue")
FollowUp = Annotated[str, _known("service_types", "type de service inconnu", (UNKNOWN,))]


class HouseholdCondition(_Strict):
    """Conditions on household attributes; all listed ones must hold. A condition on an
    attribute the request did not give fails, unless its list includes ``inconnu``."""

    contact_etabli: list[_household_value("contact_etabli", "valeur inconnue")] | None = None
    age_min: Annotated[int, Field(ge=0, le=120)] | None = None
    age_max: Annotated[int, Field(ge=0, le=120)] | None = None
    nb_enfants_mineurs_min: Annotated[int, Field(ge=0, le=20)] | None = None
    notifications_any: list[Notification] | None = None
    notifications_none: list[Notification] | None = None
    prestations_any: list[Benefit] | None = None
    suivis_any: list[FollowUp] | None = None
    suivis_none: list[FollowUp] | None = None
    bailleur: list[_household_value("bailleur", "bailleur inconnu")] | None = None
    mesure_protection_any: list[Protection] | None = None
    demande_mdph_en_cours: bool | None = None


class Trigger(_Strict):
    """When a rule applies."""

    problems_any: list[ProblemCode] = Field(min_length=1)
    problems_all: list[ProblemCode] = []
    problems_none: list[ProblemCode] = []
    danger: bool | None = None
    roles: list[str] = []
    # Named facts read in the description (data/reading.yaml, `signals`).
    signals_any: list[Annotated[str, Field(pattern=r"^[a-z_]+$")]] = []
    household: HouseholdCondition = HouseholdCondition()

    @model_validator(mode="after")
    def _roles_known(self) -> Trigger:
        for role in self.roles:
            if role not in ROLES:
                raise fail(f"rôle inconnu « {role} » (gardien, travailleur_social, coordinateur)")
        return self


class Proposal(_Strict):
    """A proposed service type, with an optional reason specific to this rule."""

    type: TypeCode
    why: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class Rule(_Strict):
    """A problem rule (R01…R42)."""

    id: Annotated[str, Field(pattern=r"^R\d{2}[a-z]?$")]
    description: Annotated[str, Field(min_length=10, max_length=800)]
    # Shown instead of `description` when a household condition held only because the
    # fact was unknown (`inconnu`): a reason never asserts what was not given.
    description_unknown: Annotated[str, Field(min_length=10, max_length=800)] | None = None
    source: str | None = None
    when: Trigger
    propose: list[Proposal] = []
    numbers: list[Number] = []
    weight: Annotated[int, Field(ge=0, le=100)] = 50

    @model_validator(mode="after")
    def _does_something(self) -> Rule:
        if not self.propose and not self.numbers:
            raise fail("une règle doit proposer au moins un type ou un numéro")
        return self


class Bridge(_Strict):
    """What to do while waiting for a long-wait service."""

    type: TypeCode
    why: Annotated[str, Field(min_length=5, max_length=500)]


class FirstContacts(_Strict):
    """Whom to contact first when nothing precise was understood, by role."""

    why: Annotated[str, Field(min_length=10, max_length=500)]
    gardien: list[TypeCode] = Field(min_length=1)
    travailleur_social: list[TypeCode] = Field(min_length=1)
    coordinateur: list[TypeCode] = Field(min_length=1)

    def for_role(self, role: str) -> list[str]:
        """The first contacts of a role, best first."""
        return list(getattr(self, role, self.travailleur_social))


class RuleSet(_Strict):
    """The whole rules file."""

    version: int = 1
    global_rules: dict[str, Annotated[str, Field(min_length=10)]]
    first_contacts: FirstContacts
    aller_vers_types: list[TypeCode]
    droit_commun_types: list[TypeCode]
    bridges: dict[str, list[Bridge]]
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> RuleSet:
        taxonomy = _taxonomy(info)
        for key in ("G1", "G2", "G5", "G6", "G7", "G8"):
            if key not in self.global_rules:
                raise fail(f"description de la règle globale {key} manquante")
        if taxonomy is not None:
            for code in self.bridges:
                if code not in taxonomy.service_types:
                    raise fail(f"type de service inconnu « {code} » dans bridges")
        ids = [r.id for r in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise fail(f"identifiant de règle en double : {', '.join(duplicates)}")
        return self

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id."""
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass
class RulesResult:
    """A validated rule set, or the issues that prevent using it."""

    rules: RuleSet | None
    issues: list[LoadIssue]

    @property
    def ok(self) -> bool:
        """True when the file is valid."""
        return self.rules is not None and not self.issues


def _issue_for(error: dict, label: str, root, data: Any) -> LoadIssue:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    rule_id = None
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            rule_id = rules[loc[1]].get("id") or f"n°{loc[1] + 1}"
    field = format_loc(loc[2:]) if rule_id else format_loc(loc)
    return LoadIssue(label, line_of(root, loc), rule_id, field, french_message(error))


def check_rules_text(text: str, taxonomy: Taxonomy, label: str = "<règles>") -> RulesResult:
    """Parse and validate a rules document; every error at once."""
    data, root, issues = parse_yaml_document(text, label)
    if issues:
        return RulesResult(None, issues)
    if not isinstance(data, dict):
        return RulesResult(None, [LoadIssue(label, 1, None, "(fichier)", "le fichier doit être un bloc de champs")])
    try:
        return RulesResult(RuleSet.model_validate(data, context={"taxonomy": taxonomy}), [])
    except ValidationError as exc:
        return RulesResult(None, [_issue_for(e, label, root, data) for e in exc.errors()])


def check_rules_file(path: Path, taxonomy: Taxonomy) -> RulesResult:
    """Parse and validate a rules file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return RulesResult(None, [LoadIssue(str(path), None, None, "(fichier)", f"lecture impossible : {error}")])
    return check_rules_text(text, taxonomy, str(path))


class RulesError(RuntimeError):
    """The rules file does not validate."""


@lru_cache(maxsize=4)
def load_rules(path: str, taxonomy: Taxonomy) -> RuleSet:
    """The validated rule set of a file (cached); ``RulesError`` lists the issues."""
    result = check_rules_file(Path(path), taxonomy)
    if not result.ok:
        raise RulesError("; ".join(str(i) for i in result.issues[:5]))
    return result.rules
