"""The one validator of a service entry, shared by the YAML loader, the edit forms and the API.

``validate_entry(data, reference)`` returns the normalised entry or the list of all its
errors, each naming the field, with French messages for the people who maintain the
directory. Codes (types, problems, requirements, referrers, communes, zones) are checked
against the bundled reference data passed as validation context.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

import opening_hours
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from directory.invalid import FieldError, context_value, fail, field_errors, format_loc, known_code
from directory.reference import ReferenceData
from directory.zones import ZoneError, expand_token

# « published »: published by the administration (a national register), not verified by the network.
STATUSES = ("active", "published", "seed_2014", "to_verify", "illustrative", "closed")
COSTS = ("gratuit", "participation", "loyer_redevance", "inconnu")
SATURATIONS = ("faible", "moyenne", "forte", "inconnue")
CONFIDENCES = ("S0", "S1", "S2", "S3", "S4", "V", "K", "?", "ILL")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PLACEHOLDER_PHONE = re.compile(r"^02 ?43 ?00 ?00 ?\d\d$")
PHONE = re.compile(r"^(?:0\d(?: ?\d{2}){4}|0 ?8\d{2}(?: ?\d{2,3}){2,3}|1\d{1,2}|1\d{2} ?\d{3}|3\d{3})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)

Text = Annotated[str, Field(min_length=1, max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]


def _reference(info: ValidationInfo) -> ReferenceData | None:
    return context_value(info, "reference")


def _code_checker(message: str, table: str) -> AfterValidator:
    """An item validator checking a code against a taxonomy table (French message)."""
    return known_code(lambda info: ref.taxonomy.codes(table) if (ref := _reference(info)) else None, message)


def _zone_token(value: str, info: ValidationInfo) -> str:
    value = str(value).strip()
    ref = _reference(info)
    if ref is not None:
        try:
            expand_token(value, ref.gazetteer, ref.zones)
        except ZoneError as error:
            raise fail(str(error)) from None
    return value


TypeCode = Annotated[str, _code_checker("type de service inconnu", "service_types")]
ProblemCode = Annotated[str, _code_checker("code problème inconnu", "problems")]
RequirementCode = Annotated[str, _code_checker("condition inconnue", "requirements")]
ReferrerCode = Annotated[str, _code_checker("prescripteur inconnu", "referrers")]
ZoneToken = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
                      AfterValidator(_zone_token)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Site(_Strict):
    """Where the service is located; ``commune`` is null for a generic entry with no fixed
    site (the household's own GP, the mairie of the commune of residence…)."""

    commune: str | None
    address: ShortText | None = None
    address_confidential: bool = False
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None

    @field_validator("commune", mode="before")
    @classmethod
    def _commune_known(cls, value: Any, info: ValidationInfo) -> Any:
        value = str(value).strip() if value is not None else value
        ref = _reference(info)
        if value is not None and ref and value not in ref.gazetteer:
            raise fail(f"commune inconnue « {value} » (code INSEE attendu, ex. 72181)")
        return value

    @model_validator(mode="after")
    def _both_coordinates(self) -> Site:
        if (self.lat is None) != (self.lon is None):
            raise fail("latitude et longitude vont ensemble : renseigner les deux ou aucune")
        return self


class Eligibility(_Strict):
    """Who the service is for (structured where possible, plus free text)."""

    age_min: Annotated[int, Field(ge=0, le=120)] | None = None
    age_max: Annotated[int, Field(ge=0, le=120)] | None = None
    requires: list[RequirementCode] = []
    text: Text | None = None

    @model_validator(mode="after")
    def _age_range(self) -> Eligibility:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise fail("âge minimum supérieur à l'âge maximum")
        return self


class Referral(_Strict):
    """Who may refer a household, with which documents."""

    by: list[ReferrerCode] = []
    documents: list[ShortText] = []
    text: Text | None = None


class Wait(_Strict):
    """Typical waiting time, and when it was stated."""

    days_min: Annotated[int, Field(ge=0, le=3650)] | None = None
    days_max: Annotated[int, Field(ge=0, le=3650)] | None = None
    saturation: Literal[SATURATIONS] = "inconnue"  # type: ignore[valid-type]
    stated_at: dt.date
    text: ShortText | None = None

    @model_validator(mode="after")
    def _range(self) -> Wait:
        if self.days_min is not None and self.days_max is not None and self.days_min > self.days_max:
            raise fail("délai minimum supérieur au délai maximum")
        return self


class Phone(_Strict):
    """A phone number; placeholders are flagged and never dialled."""

    number: str
    placeholder: bool
    source: ShortText | None = None

    @field_validator("number", mode="before")
    @classmethod
    def _number_format(cls, value: Any) -> Any:
        value = " ".join(str(value).split()) if value is not None else value
        if value and not PHONE.match(value):
            raise fail(f"numéro de téléphone invalide « {value} » (ex. 02 43 00 00 10)")
        return value

    @model_validator(mode="after")
    def _placeholder_flagged(self) -> Phone:
        if PLACEHOLDER_PHONE.match(self.number) and not self.placeholder:
            raise fail("numéro fictif 02 43 00 00 xx : placeholder doit valoir true")
        if not self.placeholder and not self.source:
            raise fail("un numéro réel doit citer sa source (champ source)")
        return self

    @property
    def dial(self) -> str:
        """Digits for a ``tel:`` link."""
        return self.number.replace(" ", "")


class Contacts(_Strict):
    """How to reach the service."""

    phone: Phone | None = None
    email: str | None = None
    website: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not EMAIL.match(value):
            raise fail(f"adresse e-mail invalide « {value} »")
        return value

    @field_validator("website")
    @classmethod
    def _website(cls, value: str | None) -> str | None:
        if value and not URL.match(value):
            raise fail(f"site web invalide « {value} » (http:// ou https:// attendu)")
        return value


class Hours(_Strict):
    """Opening hours in OpenStreetMap ``opening_hours`` syntax, plus a French text."""

    osm: ShortText | None = None
    text: ShortText | None = None
    source: ShortText | None = None

    @field_validator("osm")
    @classmethod
    def _osm_syntax(cls, value: str | None) -> str | None:
        if value and not opening_hours.validate(value):
            raise fail(f"horaires illisibles « {value} » (syntaxe OpenStreetMap, "
                        "ex. Mo-Fr 09:00-12:00,14:00-17:00; PH off)")
        return value


FINESS_NUMBER = re.compile(r"^(?:\d{2}|2[AB]|9[78]\d?)\d{6,7}$")
SIRET_NUMBER = re.compile(r"^\d{14}$")
DATA_INCLUSION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*:.{1,200}$")


class Identifiers(_Strict):
    """The service's numbers in the national registers, by which an import finds it again:
    FINESS (établissement, 9 characters), SIRET (14 digits), data·inclusion (``source:id``)."""

    finess: str | None = None
    siret: str | None = None
    data_inclusion: str | None = None

    @field_validator("finess", mode="before")
    @classmethod
    def _finess(cls, value: Any) -> Any:
        value = str(value).strip().upper() if value not in (None, "") else None
        if value and (len(value) != 9 or not FINESS_NUMBER.match(value)):
            raise fail(f"numéro FINESS invalide « {value} » (9 caractères, ex. 720000123)")
        return value

    @field_validator("siret", mode="before")
    @classmethod
    def _siret(cls, value: Any) -> Any:
        value = "".join(str(value).split()) if value not in (None, "") else None
        if value and not SIRET_NUMBER.match(value):
            raise fail(f"SIRET invalide « {value} » (14 chiffres)")
        return value

    @field_validator("data_inclusion", mode="before")
    @classmethod
    def _data_inclusion(cls, value: Any) -> Any:
        value = str(value).strip() if value not in (None, "") else None
        if value and not DATA_INCLUSION_ID.match(value):
            raise fail(f"identifiant data·inclusion invalide « {value} » (source:identifiant)")
        return value


MAX_ID = 120  # the column's length (service.id)


class ServiceEntry(_Strict):
    """A concrete structure of the territory, as stored, edited, imported and exported."""

    id: str
    ref: ShortText | None = None
    name: ShortText
    operator: ShortText | None = None
    types: list[TypeCode] = Field(min_length=1)
    domain: str | None = None
    description: Text | None = None
    site: Site
    zone: list[ZoneToken] = Field(min_length=1)
    zone_label: ShortText | None = None
    sectorisation: ShortText | None = None
    eligibility: Eligibility = Eligibility()
    referral: Referral = Referral()
    cost: Literal[COSTS] = "inconnu"  # type: ignore[valid-type]
    anonymous: bool | None = None
    wait: Wait | None = None
    contacts: Contacts = Contacts()
    hours: Hours | None = None
    problems: list[ProblemCode] = []
    status: Literal[STATUSES]  # type: ignore[valid-type]
    source: ShortText
    confidence: Literal[CONFIDENCES] | None = None  # type: ignore[valid-type]
    last_verified_at: dt.date
    verified_by: ShortText | None = None
    notes: Text | None = None
    identifiers: Identifiers = Identifiers()

    @field_validator("id", mode="before")
    @classmethod
    def _slug(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value.strip()) > MAX_ID:
            raise fail(f"identifiant trop long ({MAX_ID} caractères au plus)")
        if isinstance(value, str) and not SLUG.match(value.strip()):
            raise fail(f"identifiant invalide « {value} » : minuscules, chiffres et tirets")
        return value

    @field_validator("types")
    @classmethod
    def _types_unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise fail("type de service en double")
        return value

    @field_validator("domain")
    @classmethod
    def _domain_known(cls, value: str | None, info: ValidationInfo) -> str | None:
        ref = _reference(info)
        if value and ref and value not in ref.taxonomy.domains:
            raise fail(f"domaine inconnu « {value} »")
        return value

    @field_validator("last_verified_at")
    @classmethod
    def _not_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today():
            raise fail("date de vérification dans le futur")
        return value

    @model_validator(mode="after")
    def _defaults(self, info: ValidationInfo) -> ServiceEntry:
        ref = _reference(info)
        if self.domain is None and ref and self.types[0] in ref.taxonomy.service_types:
            self.domain = ref.taxonomy.service_types[self.types[0]].domain
        return self

    def to_data(self) -> dict:
        """Plain data in the file's key order (dates as ISO strings) for YAML/JSON."""
        return self.model_dump(mode="json")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_characters(value: Any, loc: tuple):
    """The locations of the strings holding a control character (tabs and line breaks aside)."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _control_characters(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _control_characters(item, (*loc, index))


def validate_entry(data: Any, reference: ReferenceData | None) -> tuple[ServiceEntry | None, list[FieldError]]:
    """Validate one entry; return the normalised entry or all of its errors (French)."""
    if not isinstance(data, dict):
        return None, [FieldError("(entrée)", "une entrée doit être un bloc de champs")]
    control = list(_control_characters(data, ()))
    if control:
        # NUL and other control characters: PostgreSQL refuses NUL, SQLite would keep it;
        # refused here, the same on both (line breaks and tabs stay allowed).
        return None, [FieldError(format_loc(loc), "caractère de contrôle refusé (caractère invisible)", loc)
                      for loc in control]
    try:
        entry = ServiceEntry.model_validate(data, context={"reference": reference})
    except ValidationError as exc:
        return None, field_errors(exc)
    return entry, []
