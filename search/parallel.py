"""Rebuilding a large file index with several processes, one group of partitions each.

Partitions are independent whoosh indexes, so builders never write the same files. Each
builder is a forked process with its own database connection; the parent records the
partitions and the index state once every builder succeeded (a failed build leaves the
index marked stale, so it is rebuilt at the next start).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlmodel import Session

from directory.reference import ReferenceData
from directory.storage import make_engine
from search.backend import SearchIndex
from search.documents import write_partitions

# What a forked builder inherits (set just before the fork, read in the child).
_INHERITED: dict = {}


def balanced_groups(members: dict[str, list[str]], count: int) -> list[dict[str, list[str]]]:
    """Split partitions into ``count`` groups of similar total size (largest first)."""
    groups: list[dict[str, list[str]]] = [{} for _ in range(count)]
    sizes = [0] * count
    for key in sorted(members, key=lambda k: -len(members[k])):
        smallest = sizes.index(min(sizes))
        groups[smallest][key] = members[key]
        sizes[smallest] += len(members[key])
    return [g for g in groups if g]


def _build_group(database_url: str, index_path: str, group: dict[str, list[str]]) -> int:
    reference = _INHERITED["reference"]
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return write_partitions(session, SearchIndex.open_for_builder(Path(index_path)), reference, group)
    finally:
        engine.dispose()


def rebuild_in_processes(session: Session, index: SearchIndex, reference: ReferenceData,
                         members: dict[str, list[str]], basis: str, applied: int, processes: int) -> int:
    """Write every partition with ``processes`` forked builders, then finish the rebuild."""
    database_url = session.get_bind().url.render_as_string(hide_password=False)
    index.begin_rebuild()
    _INHERITED["reference"] = reference
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [pool.submit(_build_group, database_url, str(index.path), group)
                   for group in balanced_groups(members, processes)]
        count = sum(future.result() for future in futures)
    index.finish_rebuild(members, basis, applied)
    return count
