"""Columnar scoring of a search over every partition (a search without a commune).

Whoosh scores a match in about 10 µs of Python; a lay query without a commune matches
20,000–50,000 services of a national directory (every service of the types and problems
the words point to), so whoosh took 1–2 s. Here the same BM25F scores are computed with
numpy over each term's postings, read once from whoosh and kept as arrays:

- ``PartitionColumns`` holds one partition's open searcher, the postings of the terms
  asked so far (document numbers and BM25F score without the query's boost) and each
  field's lengths. It is refreshed when the partition changes (another process's write
  included: whoosh's generation is checked), and only then.
- ``NationalColumns`` lays every partition's documents end to end (a document's "global
  number") with what ranking needs as arrays: service number (a service of two
  départements is two documents), primary type, types, domain, placement, closure, name
  rank. ``match`` returns the matching services with their scores as arrays, without
  making a Python object per match.

The score of a document is the one whoosh gives: the sum over the query's terms of
``boost × idf × tf (K1 + 1) / (tf + K1 (1 − B + B × length / average length))``, with the
partition's statistics (``tests/test_national_search.py`` compares both).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from whoosh.reading import TermNotFound

from search.backend.analysis import TEXT_FIELDS
from search.backend.partition import HitMeta, Partition
from search.backend.records import SearchHit, SearchRequest

SCORED_FIELDS = (*TEXT_FIELDS, "types", "problems")
FILTER_FIELDS = {"types": "types", "domains": "domain", "problems": "problems", "statuses": "status"}
# Text terms kept per partition before the oldest are forgotten (keyword codes are few).
TEXT_TERMS_KEPT = 4096
_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64))


class PartitionColumns:
    """One partition's postings as arrays, for the index generation they were read from.

    Its searcher stays open while the partition is unchanged (reopening 96 of them for a
    query's new words cost 26 ms); it is closed when the partition changes, and when the
    columns are dropped (``weakref.finalize``: no file is left for the garbage collector).
    """

    def __init__(self, partition: Partition):
        self._partition = partition
        self._lengths: dict[str, np.ndarray] = {}
        self._terms: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._fill_lock = threading.Lock()
        # Set once the partition changed: a search reading these columns starts again.
        self.stale = False
        searcher = partition.open_searcher()
        self._searcher = searcher
        self._close = weakref.finalize(self, searcher.close)
        self.metadata: list[HitMeta] = partition.metadata_for(searcher)
        reader = searcher.reader()
        self.live = np.zeros(reader.doc_count_all(), dtype=bool)
        self.live[list(reader.all_doc_ids())] = True

    def current(self) -> PartitionColumns:
        """These columns, or new ones when the partition changed since (these are closed)."""
        if not self.stale and self._searcher.up_to_date():
            return self
        self.close()
        return PartitionColumns(self._partition)

    def close(self) -> None:
        """Close the searcher, once no reading is under way."""
        with self._fill_lock:
            self.stale = True
            self._close()

    def fill(self, keys: list[tuple[str, str]], lengths: bool = False) -> None:
        """Read the postings of the ``(field, term)`` keys not read yet (and, with
        ``lengths``, every scored field's lengths)."""
        if not lengths and all(k in self._terms for k in keys):
            return
        with self._fill_lock:  # threads of one worker share the cache
            if self.stale:
                return
            if lengths:
                for field in SCORED_FIELDS:
                    self._field_lengths(field)
            for key in dict.fromkeys(keys):
                if key not in self._terms:
                    _remember(self._terms, key, self._read(*key))

    def term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers matching ``field:text`` and their score (no query boost)."""
        found = self._terms.get((field, text))
        if found is None:  # forgotten since ``fill`` (many new words meanwhile)
            self.fill([(field, text)])
            found = self._terms.get((field, text), _EMPTY)
        return found

    def _read(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        searcher = self._searcher
        reader = searcher.reader()
        if reader.doc_frequency(field, text) == 0:
            return _EMPTY
        try:
            matcher = reader.postings(field, text)
        except TermNotFound:
            return _EMPTY
        ids: list[int] = []
        weights: list[float] = []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        docs = np.asarray(ids, dtype=np.int32)
        tf = np.asarray(weights, dtype=np.float64)
        if not searcher.schema[field].scorable:
            return docs, tf
        weighting = searcher.weighting
        b = weighting._field_B.get(field, weighting.B)
        k1 = weighting.K1
        idf = searcher.idf(field, text)
        average = searcher.avg_field_length(field) or 1
        lengths = self._field_lengths(field)[docs]
        # whoosh's bm25(), array-wise and in the same order of operations.
        return docs, idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / average)))

    def _field_lengths(self, field: str) -> np.ndarray:
        lengths = self._lengths.get(field)
        if lengths is None:
            reader = self._searcher.reader()
            lengths = np.fromiter((reader.doc_field_length(n, field, 1) for n in range(reader.doc_count_all())),
                                  dtype=np.float64, count=reader.doc_count_all())
            self._lengths[field] = lengths
        return lengths

    def warm(self) -> None:
        """Read the lengths of every scored field and the postings of every code."""
        reader = self._searcher.reader()
        codes = [(field, text) for field in ("types", "problems") for text in reader.field_terms(field)]
        self.fill(codes, lengths=True)


@dataclass
class NationalMatches:
    """The services a search matched, as arrays over ``view``'s global documents: one
    document per service (its best score when it is in several partitions)."""

    view: _Layout
    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)

    def hits(self, positions: np.ndarray) -> list[SearchHit]:
        """The hits at these positions of ``docs`` (national: nobody's commune, so no
        ``covers``)."""
        result = []
        for position in positions:
            meta = self.view.metas[self.docs[position]]
            result.append(SearchHit(meta.id, float(self.scores[position]), None, meta.payload, meta.types,
                                    meta.domain))
        return result


class _Layout:
    """Every partition's documents end to end, with ranking's attributes as arrays."""

    def __init__(self, columns: list[PartitionColumns]):
        self.columns = columns
        self.offsets = np.cumsum([0] + [len(c.metadata) for c in columns])
        self.metas: list[HitMeta] = [meta for c in columns for meta in c.metadata]
        self.live = np.concatenate([c.live for c in columns]) if columns else np.zeros(0, dtype=bool)
        service_numbers: dict[str, int] = {}
        self.service = np.fromiter((service_numbers.setdefault(m.id, len(service_numbers)) for m in self.metas),
                                   dtype=np.int64, count=len(self.metas))
        type_codes = sorted({t for m in self.metas for t in m.types})
        self.type_codes = type_codes
        number = {code: i for i, code in enumerate(type_codes)}
        self.types = np.zeros((len(self.metas), max(1, len(type_codes))), dtype=bool)
        self.primary = np.full(len(self.metas), -1, dtype=np.int64)
        for row, meta in enumerate(self.metas):
            for code in meta.types:
                self.types[row, number[code]] = True
            if meta.types:
                self.primary[row] = number[meta.types[0]]
        self.domain_codes = sorted({m.domain for m in self.metas})
        domain_number = {code: i for i, code in enumerate(self.domain_codes)}
        self.domain = np.fromiter((domain_number[m.domain] for m in self.metas), dtype=np.int64, count=len(self.metas))
        self.placed = np.fromiter((bool(m.payload.get("placed", True)) for m in self.metas), dtype=bool,
                                  count=len(self.metas))
        self.closed = np.fromiter((m.closed for m in self.metas), dtype=bool, count=len(self.metas))
        names = np.array([m.name for m in self.metas] or [""], dtype=str)
        self.name_rank = np.empty(len(names), dtype=np.int64)
        self.name_rank[np.argsort(names, kind="stable")] = np.arange(len(names))
        self._terms: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._fill_lock = threading.Lock()

    def prepare(self, keys: list[tuple[str, str]]) -> None:
        """Read in every partition the postings these keys need."""
        for column in self.columns:
            column.fill(keys)

    @property
    def stale(self) -> bool:
        """Whether a partition changed while this view read it."""
        return any(column.stale for column in self.columns)

    def term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global documents matching ``field:text`` and their scores."""
        key = (field, text)
        found = self._terms.get(key)
        if found is None:
            parts = [(c.term(field, text), offset) for c, offset in zip(self.columns, self.offsets, strict=False)]
            found = (np.concatenate([docs + int(offset) for (docs, _s), offset in parts] or [_EMPTY[0]]),
                     np.concatenate([scores for (_d, scores), _o in parts] or [_EMPTY[1]]))
            with self._fill_lock:
                _remember(self._terms, key, found)
        return found


class NationalColumns:
    """The columnar view of a whole index, rebuilt only where partitions changed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._columns: dict[Partition, PartitionColumns] = {}
        self._layout: _Layout | None = None

    def layout(self, partitions: list[Partition]) -> _Layout:
        """The view over these partitions as they are now."""
        with self._lock:
            columns = []
            for partition in partitions:
                known = self._columns.get(partition)
                columns.append(known.current() if known is not None else PartitionColumns(partition))
            # Keyed by the partition itself: a rebuild's new partition is never taken for
            # the old one (an ``id()`` may be reused once the old one is collected).
            kept = dict(zip(partitions, columns, strict=True))
            for partition, column in self._columns.items():
                if partition not in kept:  # dropped or replaced by a rebuild
                    column.close()
            self._columns = kept
            layout = self._layout
            if layout is None or len(layout.columns) != len(columns) \
                    or any(a is not b for a, b in zip(layout.columns, columns, strict=True)):
                layout = self._layout = _Layout(columns)
            return layout

    def warm(self, partitions: list[Partition]) -> None:
        """Read every partition's lengths and codes now (at start)."""
        for column in self.layout(partitions).columns:
            column.warm()

    def match(self, partitions: list[Partition], request: SearchRequest, terms: list[str]) -> NationalMatches:
        """Every service matching ``request`` (its words already analysed into ``terms``),
        with its best score."""
        clauses = [(field, term, 1.0) for term in terms for field in (request.text_fields or TEXT_FIELDS)]
        clauses += [(b.field, b.value, b.weight) for b in request.boosts]
        filters = [(field, value) for attribute, field in FILTER_FIELDS.items()
                   for value in getattr(request, attribute)]
        for _attempt in range(3):
            view = self.layout(partitions)
            view.prepare([(field, text) for field, text, _boost in clauses] + filters)
            if not view.stale:  # else a partition changed meanwhile: read it again
                break
        return self._match(view, request, clauses)

    @staticmethod
    def _match(view: _Layout, request: SearchRequest, clauses: list[tuple[str, str, float]]) -> NationalMatches:
        size = len(view.metas)
        scores = np.zeros(size, dtype=np.float64)
        matched = np.zeros(size, dtype=bool)
        for field, text, boost in clauses:
            docs, term_scores = view.term(field, text)
            scores[docs] += boost * term_scores
            matched[docs] = True
        if not clauses:  # whoosh's Every(): every live document, each scoring 1
            matched = view.live.copy()
            scores[:] = 1.0
        for attribute, field in FILTER_FIELDS.items():
            values = getattr(request, attribute)
            if values:
                allowed = np.zeros(size, dtype=bool)
                for value in values:
                    allowed[view.term(field, value)[0]] = True
                matched &= allowed
        docs = np.flatnonzero(matched)
        docs = _best_per_service(docs, scores[docs], view.service[docs])
        return NationalMatches(view, docs, scores[docs])


def _remember(cache: dict, key: tuple[str, str], value) -> None:
    """Keep ``value``; past TEXT_TERMS_KEPT text terms, forget the oldest one (codes stay)."""
    if key[0] in TEXT_FIELDS and len(cache) >= TEXT_TERMS_KEPT:
        oldest = next((k for k in cache if k[0] in TEXT_FIELDS), None)
        if oldest is not None:
            del cache[oldest]
    cache[key] = value


def _best_per_service(docs: np.ndarray, scores: np.ndarray, services: np.ndarray) -> np.ndarray:
    """One document per service: its best-scored one (a service of two départements)."""
    if len(docs) == 0:
        return docs
    order = np.lexsort((-scores, services))
    first = np.ones(len(order), dtype=bool)
    first[1:] = services[order][1:] != services[order][:-1]
    return np.sort(docs[order[first]])
