"""What goes in and out of the search index: plain dataclasses, no whoosh."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SearchDocument:
    """What the index knows of a service (built by ``search.documents``).

    ``partitions`` are the départements the service belongs to (those of its zone and of
    its site): the document is indexed in each of their partitions.
    """

    id: str
    name: str
    type_text: str
    operator: str
    problem_text: str
    description: str
    eligibility: str
    place_text: str
    types: tuple[str, ...]
    problems: tuple[str, ...]
    domain: str
    status: str
    zones: tuple[str, ...]
    payload: dict = field(default_factory=dict)
    partitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Boost:
    """An extra keyword term (``types``/``problems``) added to a query with a weight."""

    field: str
    value: str
    weight: float


@dataclass
class SearchRequest:
    """A search: free text, expansions from the lay vocabulary, filters.

    ``partitions`` restricts the search to the services of these départements (a search
    for a commune reads its département only); ``None`` reads every partition.
    """

    text: str = ""
    boosts: list[Boost] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    coverage_keys: list[str] = field(default_factory=list)
    partitions: list[str] | None = None
    # The fields the words are searched in (all text fields when None): a query nothing was
    # understood from matches names, types and places only, never a common word of a description.
    text_fields: tuple[str, ...] | None = None


@dataclass
class SearchHit:
    """One matching service, with its score and whether it serves the chosen commune."""

    id: str
    score: float
    covers: bool | None
    payload: dict
    types: tuple[str, ...] = ()
    domain: str = ""


@dataclass
class SearchOutcome:
    """Every hit in rank order, with facet counts over all hits."""

    hits: list[SearchHit]
    type_facets: dict[str, int]
    domain_facets: dict[str, int]
    fuzzy: bool = False


class SearchUnavailable(RuntimeError):
    """The index cannot be read right now (files damaged or being replaced): the caller
    answers "try again shortly", and the next start rebuilds a damaged index."""
