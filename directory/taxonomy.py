"""The controlled vocabulary of ``data/taxonomy.yaml``: domains, service types, problems,
eligibility requirements, referrers, household values and emergency numbers.

Codes are the contract of the API: they are read from the file, never hard-coded
elsewhere except in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from directory.paths import SAFE_LOADER


@dataclass(frozen=True)
class Domain:
    """One of the six domains (logement, hébergement, santé…)."""

    code: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class ServiceType:
    """A category of service defined by law or practice (``cmp``, ``fsl``…)."""

    code: str
    label: str
    short_label: str
    domain: str
    description: str
    scope: str = "core"
    secondary_domains: tuple[str, ...] = ()
    sectorised: bool = False
    gardien_direct: bool = False
    self_referral: bool = False
    referral_by: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    typical_wait: str = ""
    long_wait: bool = False
    lay_words: tuple[str, ...] = ()
    # One service per commune, an answer for that commune only (a town hall); elsewhere,
    # and when the commune is not known, a generic entry without a place stands for it.
    local_only: bool = False


@dataclass(frozen=True)
class Problem:
    """A situation a gardien or social worker can tick (``impayes_loyer``…)."""

    code: str
    label: str
    group: str
    triage: str
    definition: str = ""
    triage_note: str = ""
    lay_words: tuple[str, ...] = ()
    # Signs too vague alone (« bizarre »): they count only with another sign of the problem.
    weak_words: tuple[str, ...] = ()
    stigmatising_words: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhoneLine:
    """An emergency number or a national/departmental helpline."""

    number: str
    dial: str
    label: str
    when: str
    block: str
    hours: str = ""
    sms: bool = False
    verified: bool = False
    source: str = ""
    nature: tuple[str, ...] = ()
    show_for_problems: tuple[str, ...] = ()
    # Among ``show_for_problems``, those for which the line concerns children: shown only
    # when children are known to be there (119 and the CRIP for an incurie without a child).
    children_only_for: tuple[str, ...] = ()

    def shown_for(self, problems: set[str], children: bool) -> bool:
        """True when the line is relevant to these problems."""
        matched = problems & set(self.show_for_problems)
        return bool(matched if children else matched - set(self.children_only_for))

    @property
    def callable(self) -> bool:
        """True when the number may be rendered as a ``tel:`` link."""
        return self.verified and bool(self.dial)

    def as_dict(self) -> dict:
        """JSON representation used by the API."""
        return {"number": self.number, "label": self.label, "when": self.when,
                "hours": self.hours, "sms": self.sms, "verified": self.verified,
                "dial": self.dial if self.callable else None}


@dataclass(frozen=True)
class EscalationRule:
    """Danger words that raise a situation to P0, with the nature of the danger."""

    words: tuple[str, ...]
    nature: str
    min_signs: int = 1
    with_any: tuple[str, ...] = ()
    except_phrases: tuple[str, ...] = ()
    note: str = ""


@dataclass(eq=False)  # hashable by identity: compiled vocabularies are cached per taxonomy
class Taxonomy:
    """All controlled vocabularies, with lookups by code."""

    domains: dict[str, Domain]
    problem_groups: dict[str, str]
    service_types: dict[str, ServiceType]
    problems: dict[str, Problem]
    requirements: dict[str, str]
    referrers: dict[str, str]
    household_values: dict[str, dict[str, str]]
    phone_lines: list[PhoneLine]
    escalation: list[EscalationRule] = field(default_factory=list)

    def codes(self, table: str):
        """The codes of a table: ``service_types``, ``problems``… or ``household:<key>`` for
        the values of a household attribute (empty when unknown)."""
        if table.startswith("household:"):
            return self.household_values.get(table.split(":", 1)[1], {})
        return getattr(self, table)

    def type_label(self, code: str) -> str:
        """French label of a service type, or the code itself when unknown."""
        found = self.service_types.get(code)
        return found.label if found else code

    def problem_label(self, code: str) -> str:
        """French label of a problem, or the code itself when unknown."""
        found = self.problems.get(code)
        return found.label if found else code

    @cached_property
    def local_only_types(self) -> frozenset[str]:
        """Codes of the types answering for their own commune only (``mairie``)."""
        return frozenset(code for code, kind in self.service_types.items() if kind.local_only)

    def lines_in_block(self, block: str) -> list[PhoneLine]:
        """Phone lines of one display block (urgences, urgences_sociales, numeros_utiles)."""
        return [line for line in self.phone_lines if line.block == block]

    def line(self, number: str) -> PhoneLine | None:
        """The phone line with this display number or dial string."""
        for line in self.phone_lines:
            if number in (line.number, line.dial):
                return line
        return None


def _tuple(value) -> tuple:
    return tuple(value or ())


def parse_taxonomy(raw: dict) -> Taxonomy:
    """Build a ``Taxonomy`` from the parsed YAML mapping; raise ValueError on bad codes."""
    domains = {d["code"]: Domain(d["code"], d["label"], d.get("description", ""))
               for d in raw["domains"]}
    groups = {g["code"]: g["label"] for g in raw.get("problem_groups", [])}
    types = {}
    for t in raw["service_types"]:
        access = t.get("access") or {}
        types[t["code"]] = ServiceType(
            code=t["code"], label=t["label"], short_label=t.get("short_label") or t["label"],
            domain=t["domain"], description=t.get("description", ""),
            scope=t.get("scope", "core"), secondary_domains=_tuple(t.get("secondary_domains")),
            sectorised=bool(t.get("sectorised")),
            gardien_direct=bool(access.get("gardien_direct")),
            self_referral=bool(access.get("self_referral")),
            referral_by=_tuple(access.get("referral_by")), requires=_tuple(access.get("requires")),
            typical_wait=t.get("typical_wait") or "", long_wait=bool(t.get("long_wait")),
            lay_words=_tuple(t.get("lay_words")), local_only=bool(t.get("local_only")),
        )
    problems = {}
    for p in raw["problems"]:
        problems[p["code"]] = Problem(
            code=p["code"], label=p["label"], group=p.get("group", ""), triage=p["triage"],
            definition=p.get("definition", ""), triage_note=p.get("triage_note") or "",
            lay_words=_tuple(p.get("lay_words")),
            weak_words=_tuple(p.get("weak_words")),
            stigmatising_words=_tuple(p.get("stigmatising_words")),
            questions=_tuple(p.get("questions")), service_types=_tuple(p.get("service_types")),
        )
    lines = [
        PhoneLine(number=str(n["number"]), dial=str(n.get("dial") or ""), label=n["label"],
                  when=n.get("when", ""), block=n["block"], hours=n.get("hours", ""),
                  sms=bool(n.get("sms")), verified=bool(n.get("verified")),
                  source=n.get("source", ""), nature=_tuple(n.get("nature")),
                  show_for_problems=_tuple(n.get("show_for_problems")),
                  children_only_for=_tuple(n.get("children_only_for")))
        for n in raw.get("emergency_numbers", [])
    ]
    escalation = [EscalationRule(_tuple(e["words"]), e["nature"], int(e.get("min_signs", 1)),
                                 _tuple(e.get("with_any")), _tuple(e.get("except_phrases")),
                                 e.get("note", ""))
                  for e in raw.get("escalation_words", [])]
    household = {
        key: {v["code"]: v["label"] for v in values}
        for key, values in (raw.get("household_values") or {}).items()
    }
    taxonomy = Taxonomy(
        domains=domains, problem_groups=groups, service_types=types, problems=problems,
        requirements={r["code"]: r["label"] for r in raw.get("eligibility_requirements", [])},
        referrers={r["code"]: r["label"] for r in raw.get("referrers", [])},
        household_values=household, phone_lines=lines, escalation=escalation,
    )
    _check_consistency(taxonomy)
    return taxonomy


def _check_consistency(taxonomy: Taxonomy) -> None:
    errors = []
    for t in taxonomy.service_types.values():
        for domain in (t.domain, *t.secondary_domains):
            if domain not in taxonomy.domains:
                errors.append(f"type {t.code}: domaine inconnu {domain}")
        errors += [f"type {t.code}: exigence inconnue {r}" for r in t.requires
                   if r not in taxonomy.requirements]
        errors += [f"type {t.code}: prescripteur inconnu {r}" for r in t.referral_by
                   if r not in taxonomy.referrers]
    for p in taxonomy.problems.values():
        if taxonomy.problem_groups and p.group not in taxonomy.problem_groups:
            errors.append(f"problème {p.code}: groupe inconnu {p.group}")
        errors += [f"problème {p.code}: type inconnu {t}" for t in p.service_types
                   if t not in taxonomy.service_types]
    for line in taxonomy.phone_lines:
        errors += [f"numéro {line.number}: problème inconnu {c}" for c in line.show_for_problems
                   if c not in taxonomy.problems]
    if errors:
        raise ValueError("taxonomy.yaml incohérent : " + " ; ".join(errors))


@lru_cache(maxsize=4)
def load_taxonomy(path: str) -> Taxonomy:
    """The taxonomy of a YAML file, parsed once per process."""
    with Path(path).open(encoding="utf-8") as handle:
        return parse_taxonomy(yaml.load(handle, Loader=SAFE_LOADER))
