"""The directory's search index: one partition per département.

Layout on disk: ``<index dir>/basis.txt`` (what the index was built for),
``applied-change.txt`` (the last change of the database's feed it holds, see
``search.sync``), and one whoosh index per département in ``<index dir>/dep-<code>/``.
A service is indexed in the partition of each département of its zone and site (a
service of two départements is in both). A search for a commune
reads the partition of its département; a search without a commune reads them all.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from whoosh import query as Q
from whoosh.matching import ArrayUnionMatcher

from search.backend.analysis import ANALYSIS_VERSION, MAX_TERMS, TEXT_FIELDS, french_analyzer
from search.backend.columns import NationalColumns, NationalMatches
from search.backend.partition import Partition, PartitionHit, PartitionUnreadable
from search.backend.records import SearchDocument, SearchHit, SearchOutcome, SearchRequest, SearchUnavailable

log = logging.getLogger("maillage")

NATIONAL = "national"
_PARTITION_DIR = re.compile(r"^dep-([0-9A-Za-z]{1,12})$")
# In-memory indexes built from the same data are shared between applications of one
# process: whoosh files are immutable once written, so copying the file table gives an
# independent index (the test suite starts fast).
_MEMORY_SNAPSHOTS: dict[str, dict[str, dict[str, bytes]]] = {}


def partitions_of(document: SearchDocument) -> tuple[str, ...]:
    """The partitions a document belongs to."""
    return document.partitions or (NATIONAL,)


class SearchIndex:
    """Partitioned whoosh index of services (in the instance folder, or in memory)."""

    def __init__(self, path: Path | None):
        self._path = path
        self._partitions: dict[str, Partition] = {}
        self._lock = threading.RLock()
        self._memory_basis = ""
        self._memory_applied = 0
        self._national = NationalColumns()

    @classmethod
    def open(cls, path: Path | None) -> SearchIndex:
        """Open (creating if needed) the index at ``path``; ``None`` keeps it in memory.

        A partition that cannot be read makes the whole index stale: it is rebuilt by
        ``search.maintenance.ensure_index`` at start, never a failure.
        """
        index = cls(path)
        if path is None:
            return index
        path.mkdir(parents=True, exist_ok=True)
        for key in index._partition_keys_on_disk():
            try:
                index._partitions[key] = Partition.open_dir(index._dir(key))
            except PartitionUnreadable as error:
                log.warning("Index de recherche illisible (%s, %s) : reconstruction", key, str(error))
                index._partitions[key] = Partition.recreate_dir(index._dir(key))
                index._write_basis("")
        return index

    @classmethod
    def open_for_builder(cls, path: Path) -> SearchIndex:
        """The index at ``path`` for a parallel builder, which writes only the partitions
        it is given: the folder is not scanned (the other builders are creating theirs)."""
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    # -- layout ----------------------------------------------------------------------
    def _dir(self, key: str) -> Path:
        assert self._path is not None
        return self._path / f"dep-{key}"

    def _partition_keys_on_disk(self) -> list[str]:
        if self._path is None or not self._path.exists():
            return []
        return sorted(m.group(1) for m in map(_PARTITION_DIR.match, os.listdir(self._path)) if m)

    def _partition(self, key: str, create: bool) -> Partition | None:
        """The partition ``key``: opened when another process created it since, forgotten
        when another process's rebuild dropped it (its département has no service left)."""
        with self._lock:
            if self._path is not None and not create and not self._dir(key).exists():
                self._partitions.pop(key, None)
                return None
            partition = self._partitions.get(key)
            if partition is not None:
                return partition
            if self._path is None:
                partition = Partition.in_memory() if create else None
            else:
                try:
                    partition = Partition.open_dir(self._dir(key))
                except PartitionUnreadable as error:
                    raise SearchUnavailable(str(error)) from None
            if partition is not None:
                self._partitions[key] = partition
            return partition

    def _known_keys(self) -> list[str]:
        with self._lock:
            if self._path is None:
                return sorted(self._partitions)
            # The folder is the truth: other server processes add and drop partitions.
            return self._partition_keys_on_disk()

    # -- state: what the index was built for, and the last change it applied --------
    @property
    def basis(self) -> str:
        """What the index was built for (analysis, feed origin, vocabulary; '' when never
        built or a rebuild is under way)."""
        if self._path is None:
            return self._memory_basis
        file = self._path / BASIS_FILE
        return file.read_text(encoding="utf-8").strip() if file.exists() else ""

    @property
    def applied(self) -> int:
        """The last change of the feed applied to this index (read from the folder: other
        processes of the node apply changes too)."""
        if self._path is None:
            return self._memory_applied
        try:
            return int((self._path / APPLIED_FILE).read_text(encoding="utf-8").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def set_applied(self, change_id: int) -> None:
        """Record that every change up to ``change_id`` is in the index."""
        if self._path is None:
            self._memory_applied = change_id
        else:
            _write_atomically(self._path / APPLIED_FILE, str(change_id))

    def _write_basis(self, value: str) -> None:
        if self._path is None:
            self._memory_basis = value
        else:
            _write_atomically(self._path / BASIS_FILE, value)

    def is_current(self, basis: str) -> bool:
        """True when the index was built for this basis and every partition written then
        is still there (a deleted folder means a rebuild)."""
        if self.basis != f"{ANALYSIS_VERSION}:{basis}":
            return False
        if self._path is None:
            return True
        manifest = self._path / "partitions.txt"
        written = manifest.read_text(encoding="utf-8").split() if manifest.exists() else None
        return written is not None and set(written) <= set(self._partition_keys_on_disk())

    # -- writing ---------------------------------------------------------------------
    def rebuild(self, groups: Iterable[tuple[str, Iterable[SearchDocument]]], basis: str, applied: int,
                snapshot_key: str | None = None) -> int:
        """Replace the whole index with these documents, given partition by partition
        (``(key, documents)``, each key once), built for ``basis`` and up to change
        ``applied``; return how many documents were written."""
        with self._lock:
            self.begin_rebuild()
            count = 0
            keys = []
            for key, documents in groups:
                count += self.write_partition(key, documents)
                keys.append(key)
            self.finish_rebuild(keys, basis, applied, snapshot_key)
        return count

    def begin_rebuild(self) -> None:
        """Mark the index stale until ``finish_rebuild``: a rebuild cut short is redone."""
        self._write_basis("")

    def write_partition(self, key: str, documents: Iterable[SearchDocument]) -> int:
        """Replace one partition's documents (other processes may write other partitions
        of the same folder at the same time)."""
        with self._lock:
            if self._path is None:
                partition = Partition.in_memory()
            else:
                partition = self._partitions.get(key) or Partition.recreate_dir(self._dir(key))
            count = partition.replace_all(documents)
            self._partitions[key] = partition
        return count

    def finish_rebuild(self, keys: Iterable[str], basis: str, applied: int, snapshot_key: str | None = None) -> None:
        """Drop the partitions not rewritten, record the written ones, the basis and the
        last change applied; an in-memory index is kept as a snapshot under ``snapshot_key``."""
        keep = set(keys)
        with self._lock:
            self._drop_partitions_except(keep)
            self._partitions = {k: p for k, p in self._partitions.items() if k in keep}
            if self._path is not None:
                (self._path / "partitions.txt").write_text(" ".join(sorted(keep)), encoding="utf-8")
            self.set_applied(applied)
            self._write_basis(f"{ANALYSIS_VERSION}:{basis}")
            if self._path is None and snapshot_key:
                _MEMORY_SNAPSHOTS[snapshot_key] = {k: p.snapshot() for k, p in self._partitions.items()}

    @property
    def path(self) -> Path | None:
        """The index folder (None in memory)."""
        return self._path

    def _drop_partitions_except(self, keep: set[str]) -> None:
        if self._path is None:
            return
        for key in self._partition_keys_on_disk():
            if key not in keep:
                shutil.rmtree(self._dir(key), ignore_errors=True)
        # Files of the single-index layout used before partitions.
        for file in self._path.iterdir():
            if file.is_file() and file.suffix in (".toc", ".seg", ".lock"):
                file.unlink(missing_ok=True)

    def restore_snapshot(self, snapshot_key: str, basis: str, applied: int) -> bool:
        """For an in-memory index, reuse an index already built from the same data."""
        files = _MEMORY_SNAPSHOTS.get(snapshot_key)
        if self._path is not None or files is None:
            return False
        with self._lock:
            self._partitions = {key: Partition.in_memory(f) for key, f in files.items()}
            self.set_applied(applied)
            self._write_basis(f"{ANALYSIS_VERSION}:{basis}")
        return True

    def update(self, documents: list[SearchDocument], removed: set[str]) -> None:
        """Index new or changed services in their partitions, drop them from partitions they
        left, and drop the ``removed`` ids everywhere; one commit per touched partition."""
        wanted: dict[str, list[SearchDocument]] = {}
        for document in documents:
            for key in partitions_of(document):
                wanted.setdefault(key, []).append(document)
        ids = {d.id for d in documents} | removed
        with self._lock:
            for key in sorted(set(self._known_keys()) | set(wanted)):
                partition = self._partition(key, create=key in wanted)
                if partition is None:
                    continue
                updates = wanted.get(key, [])
                # A service whose zone left this département is deleted from its partition.
                stale = partition.ids_present(ids - {d.id for d in updates}) if ids else set()
                if updates or stale:
                    partition.apply(updates, stale)

    def _existing(self, keys: Iterable[str]) -> list[Partition]:
        """The partitions among ``keys`` that exist."""
        return [p for p in (self._partition(k, create=False) for k in keys) if p is not None]

    def doc_count(self) -> int:
        """Indexed documents (a service of two départements counts in both)."""
        return sum(p.doc_count() for p in self._existing(self._known_keys()))

    def warm(self) -> int:
        """Load what ranking needs from every partition (at start, before the server forks
        its workers, which then share it): no request pays for a cold partition."""
        partitions = self._existing(self._known_keys())
        documents = sum(p.warm() for p in partitions)
        self._national.warm(partitions)
        return documents

    def services_by_departement(self) -> dict[str, int]:
        """Indexed services per département (reads every partition: asked only when a
        commune's name has homonyms)."""
        return {key: partition.doc_count() for key in self._known_keys() if key != NATIONAL
                and (partition := self._partition(key, create=False)) is not None}

    def territory(self) -> frozenset[str]:
        """The départements the indexed services serve."""
        return frozenset(self._known_keys()) - {NATIONAL}

    def partition_keys(self) -> list[str]:
        """The partitions that exist (département codes)."""
        return self._known_keys()

    # -- queries ---------------------------------------------------------------------
    def analyse(self, text: str, limit: int | None = MAX_TERMS) -> list[str]:
        """Index terms of a text (what the user's words become), each once, the first
        ``limit`` (a query's words are capped; a vocabulary's are not)."""
        terms = list(dict.fromkeys(token.text for token in _ANALYZER(text)))
        return terms if limit is None else terms[:limit]

    def query(self, request: SearchRequest) -> SearchOutcome:
        """Run a search; every hit in rank order (covering services first)."""
        terms = self.analyse(request.text) if request.text else []
        partitions = self._partitions_for(request.partitions)
        outcome = _run(partitions, request, terms, fuzzy=False)
        if terms and len(outcome.hits) < 3:
            fuzzy = _run(partitions, request, terms, fuzzy=True)
            if len(fuzzy.hits) > len(outcome.hits):
                fuzzy.fuzzy = True
                outcome = fuzzy
        return outcome

    def national(self, request: SearchRequest) -> NationalMatches | None:
        """Every service matching a search over all partitions, as arrays
        (``search.backend.columns``); ``None`` when the words match fewer than three
        services, so that ``query`` retries them with spelling tolerance."""
        terms = self.analyse(request.text) if request.text else []
        matches = self._national.match(self._existing(self._known_keys()), request, terms)
        return None if terms and len(matches) < 3 else matches

    def _partitions_for(self, wanted: list[str] | None) -> list[Partition]:
        found = self._existing(wanted) if wanted is not None else []
        # A commune outside every partition (another département than the directory's)
        # reads everything, so that it still finds the nearest services.
        return found or self._existing(self._known_keys())


_ANALYZER = french_analyzer()


class _Union(Q.Or):
    """``Or`` as whoosh matches it, except that on a small index the array of scores it
    preloads has the size of the index, not 2,048 slots filled and cleared in Python for
    every ``Or``: with two dozen terms over six fields that fixed cost dominated a search on
    a partition of a few hundred services, above all a national one reading 96 of them."""

    def _matcher(self, subs, searcher, context):
        documents = searcher.doc_count_all()
        needs_current = context.needs_current if context else True
        if needs_current or self.scale or len(subs) <= 2 or documents > ARRAY_UNION_MAX_DOCS \
                or len(subs) >= self.TOO_MANY_CLAUSES:
            return super()._matcher(subs, searcher, context)
        scored = context.weighting is not None if context else True
        matchers = [sub.matcher(searcher, context) for sub in subs]
        return ArrayUnionMatcher(matchers, documents, boost=self.boost, scored=scored,
                                 partsize=max(1, min(2048, documents)))


# Whoosh's own threshold for preloading an ``Or`` (above it, a tree of unions).
ARRAY_UNION_MAX_DOCS = 5000
BASIS_FILE = "basis.txt"
APPLIED_FILE = "applied-change.txt"


def _write_atomically(file: Path, value: str) -> None:
    partial = file.with_name(f"{file.name}.{os.getpid()}.partial")
    partial.write_text(value, encoding="utf-8")
    partial.replace(file)


def _text_query(terms: list[str], fuzzy: bool, fields: tuple[str, ...] | None = None) -> Q.Query | None:
    parts = []
    fields = fields or TEXT_FIELDS
    for term in terms:
        alternatives = [Q.Term(f, term) for f in fields]
        if fuzzy and len(term) >= 5 and not term.isdigit():
            distance = 1 if len(term) < 8 else 2
            alternatives += [Q.FuzzyTerm(f, term, maxdist=distance, prefixlength=1)
                             for f in ("name", "type_text", "description") if f in fields]
        parts.append(_Union(alternatives))
    return _Union(parts) if parts else None


def _filter(request: SearchRequest) -> Q.Query | None:
    clauses = []
    for field_name, values in (("types", request.types), ("domain", request.domains),
                               ("problems", request.problems), ("status", request.statuses)):
        if values:
            clauses.append(_Union([Q.Term(field_name, v) for v in values]))
    return Q.And(clauses) if clauses else None


def _run(partitions: list[Partition], request: SearchRequest, terms: list[str], fuzzy: bool) -> SearchOutcome:
    text_query = _text_query(terms, fuzzy, request.text_fields)
    boosts = [Q.Term(b.field, b.value, boost=b.weight) for b in request.boosts]
    if text_query is None and not boosts:
        main: Q.Query = Q.Every()
    else:
        main = _Union([q for q in [text_query, *boosts] if q is not None])
    filter_query = _filter(request)
    best: dict[str, PartitionHit] = {}
    for partition in partitions:
        for hit in partition.search(main, filter_query, request.coverage_keys):
            # A service of two départements is in two partitions: keep its best score.
            seen = best.get(hit.meta.id)
            if seen is None or hit.score > seen.score:
                best[hit.meta.id] = hit
    type_facets: Counter = Counter()
    domain_facets: Counter = Counter()
    for hit in best.values():
        type_facets.update(hit.meta.types)
        domain_facets[hit.meta.domain] += 1
    ordered = sorted(best.values(), key=lambda h: (h.covers is False, h.meta.closed, -h.score, h.meta.name))
    hits = [SearchHit(h.meta.id, h.score, h.covers, h.meta.payload, h.meta.types, h.meta.domain) for h in ordered]
    return SearchOutcome(hits, dict(type_facets), dict(domain_facets))
