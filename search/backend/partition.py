"""One whoosh index: the services of one département (a partition of the directory index).

A partition holds at most the services of one département, so a query for a commune
scores a few hundred documents even when the directory is national. What a hit needs
for ranking and facets (id, types, domain, name, hours…) is read once per index segment
and kept in memory: results never read stored fields hit by hit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import RamStorage
from whoosh.writing import CLEAR

from search.backend.analysis import document_fields, make_schema
from search.backend.records import SearchUnavailable

INDEX_NAME = "services"
WRITER_TIMEOUT_S = 60.0
# Posting blocks are written uncompressed: a partition's blocks are small, zlib cost a
# twentieth of the build for little space (readers read either kind).


class _PrivateRamStorage(RamStorage):
    """An in-memory storage whose writers keep their temporary files in memory too:
    whoosh's own puts them in one folder of the system's temporary directory, shared by
    every process, and a writer finishing removed the files of another one writing."""

    def temp_storage(self, name=None):
        return RamStorage()


def _abandon(writer) -> None:
    """Cancel a writer and release its lock, whatever state a failure left it in."""
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001, S110 - the lock release below is what matters
        pass
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        try:
            lock.release()
        except Exception:  # noqa: BLE001, S110 - already released
            pass


class PartitionUnreadable(RuntimeError):
    """A partition's files cannot be read (corrupted, or another schema)."""


@dataclass(frozen=True)
class HitMeta:
    """What ranking and facets need of a document, read once per segment."""

    id: str
    types: tuple[str, ...]
    domain: str
    name: str
    closed: bool
    payload: dict


@dataclass(frozen=True)
class PartitionHit:
    """A matching document of one partition."""

    meta: HitMeta
    score: float
    covers: bool | None


class Partition:
    """A whoosh index, in a folder or in memory."""

    def __init__(self, ix):
        self._ix = ix
        self._lock = threading.Lock()
        # segment id -> metadata by document number inside the segment.
        self._metadata: dict[str, list[HitMeta]] = {}

    @classmethod
    def in_memory(cls, files: dict[str, bytes] | None = None) -> Partition:
        """A new empty in-memory partition, or one made from a snapshot of its files."""
        storage = _PrivateRamStorage()
        if files is None:
            return cls(storage.create_index(make_schema(), indexname=INDEX_NAME))
        storage.files = dict(files)
        return cls(storage.open_index(indexname=INDEX_NAME))

    @classmethod
    def open_dir(cls, path: Path) -> Partition:
        """Open the partition in ``path``, creating it when absent; ``PartitionUnreadable``
        when its files are damaged or hold another schema."""
        path.mkdir(parents=True, exist_ok=True)
        try:
            if not whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
                return cls(whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME))
            ix = whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
        except Exception as error:  # noqa: BLE001 - any damage means "rebuild"
            raise PartitionUnreadable(str(error)) from error
        if set(ix.schema.names()) != set(make_schema().names()):
            raise PartitionUnreadable("schéma différent")
        return cls(ix)

    @classmethod
    def recreate_dir(cls, path: Path) -> Partition:
        """An empty partition in ``path``, whatever was there."""
        path.mkdir(parents=True, exist_ok=True)
        return cls(whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME))

    def snapshot(self) -> dict[str, bytes]:
        """The files of an in-memory partition (whoosh files are immutable once written)."""
        return dict(self._ix.storage.files)

    # -- writing ---------------------------------------------------------------------
    def _write(self, action, mergetype=None) -> None:
        with self._lock:
            # Wait for another writer (thread or process) instead of failing at once. Segments
            # are separate files, not one compound file: a reader of a compound file copies
            # each part into memory (3 MB a partition, 280 MB for the searchers a search
            # without commune keeps open at 100,000 services; 13 MB as separate files).
            writer = self._ix.writer(timeout=WRITER_TIMEOUT_S, codec=W3Codec(compression=0), compound=False)
            try:
                action(writer)
                if mergetype is None:
                    writer.commit()
                else:
                    writer.commit(mergetype=mergetype)
            except BaseException:
                # A commit that failed half-way (a full disk) must not keep the index's write
                # lock: every later writer, and every search catching up, would wait on it.
                _abandon(writer)
                raise

    def replace_all(self, documents: Iterable) -> int:
        """Replace every document with these; return how many were written."""
        count = 0

        def add(writer):
            nonlocal count
            for document in documents:
                writer.add_document(**document_fields(document))
                count += 1

        # CLEAR drops every existing segment: the new one replaces the whole partition.
        self._write(add, mergetype=CLEAR)
        return count

    def apply(self, updates: list, deletions: Iterable[str]) -> None:
        """Add or replace ``updates`` and delete the documents with ids in ``deletions``."""
        def change(writer):
            for service_id in deletions:
                writer.delete_by_term("id", service_id)
            for document in updates:
                writer.update_document(**document_fields(document))

        self._write(change)

    # -- reading ---------------------------------------------------------------------
    def ids_present(self, ids: set[str]) -> set[str]:
        """Which of these service ids the partition holds (or held: a deleted document's id
        may linger until segments merge, and deleting it again is harmless)."""
        with self._ix.searcher() as searcher:
            if len(ids) <= 64:
                return {i for i in ids if searcher.document_number(id=i) is not None}
            # Many ids (a bulk load): one pass over the partition's ids beats a lookup each.
            return ids & {term.decode("utf-8") for term in searcher.reader().lexicon("id")}

    def doc_count(self) -> int:
        """Documents in the partition."""
        return self._ix.doc_count()

    def search(self, main: Q.Query, filter_query: Q.Query | None,
               coverage_keys: list[str]) -> list[PartitionHit]:
        """Every matching document with its score, and whether it covers the commune."""
        with self.open_searcher() as searcher:
            metadata = self._metadata_of(searcher)
            results = searcher.search(main, filter=filter_query, limit=None)
            covering: set[int] | None = None
            if coverage_keys:
                zone_query = Q.Or([Q.Term("zones", k) for k in coverage_keys])
                covering = set(searcher.docs_for_query(zone_query))
            return [PartitionHit(metadata[docnum], float(score or 0.0),
                                 None if covering is None else docnum in covering)
                    for score, docnum in results.top_n]

    def open_searcher(self):
        """A searcher on the partition as it is now (``SearchUnavailable`` when its files
        cannot be read); the caller closes it."""
        try:
            return self._ix.searcher()
        except Exception as error:  # noqa: BLE001 - damaged or vanished files, whatever whoosh says
            raise SearchUnavailable(str(error)) from None

    def metadata_for(self, searcher) -> list[HitMeta]:
        """Hit metadata by document number of ``searcher``'s reader."""
        return self._metadata_of(searcher)

    def warm(self) -> int:
        """Read the hit metadata of every segment now; return the partition's documents."""
        with self._ix.searcher() as searcher:
            return len(self._metadata_of(searcher))

    def _metadata_of(self, searcher) -> list[HitMeta]:
        """Metadata by global document number, segments read once and cached."""
        reader = searcher.reader()
        leaves = [(reader, 0)] if reader.is_atomic() else list(reader.leaf_readers())
        known = self._metadata
        live: dict[str, list[HitMeta]] = {}
        merged: list[HitMeta] = []
        for leaf, _offset in leaves:
            segment_id = leaf.segment().segment_id()
            rows = known.get(segment_id)
            if rows is None:
                rows = [_meta(leaf.stored_fields(n)) for n in range(leaf.doc_count_all())]
            live[segment_id] = rows
            merged.extend(rows)
        # Segments merged away since the last query are forgotten.
        self._metadata = live
        return merged


def _meta(stored: dict) -> HitMeta:
    payload = stored.get("payload") or {}
    return HitMeta(id=stored["id"], types=tuple(t for t in (stored.get("types") or "").split(",") if t),
                   domain=stored.get("domain", ""), name=payload.get("name", ""),
                   closed=bool(payload.get("closed")), payload=payload)
