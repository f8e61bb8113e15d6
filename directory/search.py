"""Full-text search of the directory, behind a small adapter (the only module importing whoosh).

- ``SearchIndex.open(path | None)``: a file index in the instance folder, or in memory.
- ``index.rebuild(docs, fingerprint)``, ``index.add_or_update(docs)``, ``index.remove(id)``.
- ``index.query(SearchRequest)`` → ``SearchOutcome``: hits with scores, facets, totals.

French analysis: words split on apostrophes and punctuation, lower-cased, French stop
words removed, accents folded *before* stemming (so ``impayés``, ``impayes`` and
``impayé`` share a stem). The user's text is never parsed as query syntax: it is turned
into terms here, so quotes, ``AND``, ``*``, ``field:value``… are plain words.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.support.charset import accent_map
from whoosh.writing import CLEAR

log = logging.getLogger("maillage")

INDEX_NAME = "services"
# Bump when the schema or the analysis changes: the fingerprint then forces a rebuild.
ANALYSIS_VERSION = "3"
MAX_TERMS = 24


def french_analyzer():
    """Tokenise on word characters, lower-case, drop stop words, fold accents, stem."""
    return (RegexTokenizer(r"\w+") | LowercaseFilter() | StopFilter(lang="fr", minsize=2)
            | CharsetFilter(accent_map) | StemFilter(lang="fr", cachesize=50000))


def _schema() -> Schema:
    analyzer = french_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        name=TEXT(analyzer=analyzer, field_boost=3.0, stored=True),
        type_text=TEXT(analyzer=analyzer, field_boost=2.5),
        operator=TEXT(analyzer=analyzer, field_boost=1.5),
        problem_text=TEXT(analyzer=analyzer, field_boost=1.0),
        description=TEXT(analyzer=analyzer, field_boost=1.0),
        eligibility=TEXT(analyzer=analyzer, field_boost=0.6),
        place_text=TEXT(analyzer=analyzer, field_boost=1.5),
        types=KEYWORD(stored=True, commas=True, scorable=True),
        problems=KEYWORD(commas=True, scorable=True),
        domain=ID(stored=True),
        status=ID(stored=True),
        zones=KEYWORD(commas=True),
        payload=STORED(),
    )


TEXT_FIELDS = ("name", "type_text", "operator", "problem_text", "description", "eligibility",
               "place_text")


@dataclass(frozen=True)
class SearchDocument:
    """What the index knows of a service (built by ``directory.indexing``)."""

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


@dataclass(frozen=True)
class Boost:
    """An extra keyword term (``types``/``problems``) added to a query with a weight."""

    field: str
    value: str
    weight: float


@dataclass
class SearchRequest:
    """A search: free text, expansions from the lay vocabulary, filters."""

    text: str = ""
    boosts: list[Boost] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    coverage_keys: list[str] = field(default_factory=list)


@dataclass
class SearchHit:
    """One matching service, with its score and whether it serves the chosen commune."""

    id: str
    score: float
    covers: bool | None
    payload: dict


@dataclass
class SearchOutcome:
    """Every hit in rank order, with facet counts over all hits."""

    hits: list[SearchHit]
    type_facets: dict[str, int]
    domain_facets: dict[str, int]
    fuzzy: bool = False


# In-memory indexes built from the same data are shared: whoosh files are immutable
# once written, so a copy of the file table is an independent index (tests start fast).
_MEMORY_SNAPSHOTS: dict[str, dict[str, bytes]] = {}


class SearchIndex:
    """A whoosh index of services (file storage in the instance folder, or in memory)."""

    def __init__(self, ix, path: Path | None):
        self._ix = ix
        self._path = path
        self._lock = threading.Lock()
        self._memory_fingerprint: str | None = None

    @classmethod
    def open(cls, path: Path | None) -> SearchIndex:
        """Open (creating if needed) the index at ``path``; ``None`` keeps it in memory."""
        if path is None:
            return cls(RamStorage().create_index(_schema(), indexname=INDEX_NAME), None)
        path.mkdir(parents=True, exist_ok=True)
        corrupted = False
        try:
            if whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
                ix = whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
                if set(ix.schema.names()) == set(_schema().names()):
                    return cls(ix, path)
        except Exception:  # noqa: BLE001 - a corrupted index is rebuilt, never fatal
            corrupted = True
        if corrupted:
            log.warning("Index de recherche illisible dans %s : reconstruction", path)
        ix = whoosh_index.create_in(str(path), _schema(), indexname=INDEX_NAME)
        index = cls(ix, path)
        index._write_fingerprint("")
        return index

    # -- lifecycle -------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """Fingerprint of the data the index was built from ('' when never built)."""
        if self._path is None:
            return self._memory_fingerprint or ""
        file = self._path / "fingerprint.txt"
        return file.read_text(encoding="utf-8").strip() if file.exists() else ""

    def _write_fingerprint(self, value: str) -> None:
        if self._path is None:
            self._memory_fingerprint = value
            return
        file = self._path / "fingerprint.txt"
        partial = file.with_suffix(".partial")
        partial.write_text(value, encoding="utf-8")
        partial.replace(file)

    def _writer(self):
        # Wait for another writer (thread or process) instead of failing at once.
        return self._ix.writer(timeout=60.0)

    def rebuild(self, documents, fingerprint: str) -> int:
        """Replace the whole index with these documents; return how many were indexed."""
        with self._lock:
            writer = self._writer()
            count = 0
            try:
                for document in documents:
                    writer.add_document(**_fields(document))
                    count += 1
            except BaseException:
                writer.cancel()
                raise
            # CLEAR drops every existing segment: the new one replaces the whole index.
            writer.commit(mergetype=CLEAR)
            self._write_fingerprint(f"{ANALYSIS_VERSION}:{fingerprint}")
            if self._path is None:
                _MEMORY_SNAPSHOTS[fingerprint] = dict(self._ix.storage.files)
        return count

    def restore_snapshot(self, fingerprint: str) -> bool:
        """For an in-memory index, reuse an index already built from the same data."""
        files = _MEMORY_SNAPSHOTS.get(fingerprint)
        if self._path is not None or files is None:
            return False
        with self._lock:
            storage = RamStorage()
            storage.files = dict(files)
            self._ix = storage.open_index(indexname=INDEX_NAME)
            self._write_fingerprint(f"{ANALYSIS_VERSION}:{fingerprint}")
        return True

    def is_current(self, fingerprint: str) -> bool:
        """True when the index was built from data with this fingerprint."""
        return self.fingerprint == f"{ANALYSIS_VERSION}:{fingerprint}"

    def add_or_update(self, documents, fingerprint: str | None = None) -> None:
        """Index new or changed services (readers see them on their next query)."""
        with self._lock:
            writer = self._writer()
            try:
                for document in documents:
                    writer.update_document(**_fields(document))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            if fingerprint is not None:
                self._write_fingerprint(f"{ANALYSIS_VERSION}:{fingerprint}")

    def remove(self, service_id: str, fingerprint: str | None = None) -> None:
        """Remove a service from the index."""
        with self._lock:
            writer = self._writer()
            writer.delete_by_term("id", service_id)
            writer.commit()
            if fingerprint is not None:
                self._write_fingerprint(f"{ANALYSIS_VERSION}:{fingerprint}")

    def doc_count(self) -> int:
        """Number of indexed services."""
        return self._ix.doc_count()

    # -- queries ---------------------------------------------------------------------
    def analyse(self, text: str) -> list[str]:
        """Index terms of a text (what the user's words become)."""
        analyzer = self._ix.schema["name"].analyzer
        terms = []
        for token in analyzer(text):
            if token.text not in terms:
                terms.append(token.text)
        return terms[:MAX_TERMS]

    def _text_query(self, terms: list[str], fuzzy: bool) -> Q.Query | None:
        parts = []
        for term in terms:
            alternatives = [Q.Term(f, term) for f in TEXT_FIELDS]
            if fuzzy and len(term) >= 5 and not term.isdigit():
                distance = 1 if len(term) < 8 else 2
                alternatives += [Q.FuzzyTerm(f, term, maxdist=distance, prefixlength=1)
                                 for f in ("name", "type_text", "problem_text", "description")]
            parts.append(Q.Or(alternatives))
        return Q.Or(parts) if parts else None

    def _filter(self, request: SearchRequest) -> Q.Query | None:
        clauses = []
        for field_name, values in (("types", request.types), ("domain", request.domains),
                                   ("problems", request.problems),
                                   ("status", request.statuses)):
            if values:
                clauses.append(Q.Or([Q.Term(field_name, v) for v in values]))
        return Q.And(clauses) if clauses else None

    def query(self, request: SearchRequest) -> SearchOutcome:
        """Run a search; every hit in rank order (covering services first)."""
        terms = self.analyse(request.text) if request.text else []
        outcome = self._run(request, terms, fuzzy=False)
        if terms and len(outcome.hits) < 3:
            fuzzy = self._run(request, terms, fuzzy=True)
            if len(fuzzy.hits) > len(outcome.hits):
                fuzzy.fuzzy = True
                outcome = fuzzy
        return outcome

    def _run(self, request: SearchRequest, terms: list[str], fuzzy: bool) -> SearchOutcome:
        text_query = self._text_query(terms, fuzzy)
        boosts = [Q.Term(b.field, b.value, boost=b.weight) for b in request.boosts]
        if text_query is None and not boosts:
            main: Q.Query = Q.Every()
        else:
            main = Q.Or([q for q in [text_query, *boosts] if q is not None])
        with self._ix.searcher() as searcher:
            results = searcher.search(main, filter=self._filter(request), limit=None)
            covering: set[int] | None = None
            if request.coverage_keys:
                zone_query = Q.Or([Q.Term("zones", k) for k in request.coverage_keys])
                covering = set(searcher.docs_for_query(zone_query))
            hits = []
            type_facets: Counter = Counter()
            domain_facets: Counter = Counter()
            for hit in results:
                stored = hit.fields()
                covers = None if covering is None else hit.docnum in covering
                hits.append(SearchHit(stored["id"], float(hit.score or 0.0), covers,
                                      stored.get("payload") or {}))
                type_facets.update((stored.get("types") or "").split(","))
                domain_facets[stored.get("domain", "")] += 1
        hits.sort(key=lambda h: (h.covers is False, h.payload.get("closed", False), -h.score,
                                 h.payload.get("name", "")))
        type_facets.pop("", None)
        return SearchOutcome(hits, dict(type_facets), dict(domain_facets))


def _fields(document: SearchDocument) -> dict:
    return {
        "id": document.id, "name": document.name, "type_text": document.type_text,
        "operator": document.operator, "problem_text": document.problem_text,
        "description": document.description, "eligibility": document.eligibility,
        "place_text": document.place_text, "types": ",".join(document.types),
        "problems": ",".join(document.problems), "domain": document.domain,
        "status": document.status, "zones": ",".join(document.zones),
        "payload": document.payload,
    }
