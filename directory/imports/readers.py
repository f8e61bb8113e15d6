"""The register readers, by format name (``maillage import --format``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from directory.imports.datainclusion import read_data_inclusion
from directory.imports.finess import read_finess
from directory.imports.records import ImportedRecord, RecordIssue, Skipped

FORMATS = ("data-inclusion", "finess")


def read_register(fmt: str, path: Path, mapping: dict, departement: str | None = None,
                  on_bytes: Callable[[int], None] | None = None) -> Iterator[ImportedRecord | RecordIssue | Skipped]:
    """The records of a register file; ``on_bytes(n)`` is told as the file is read."""
    if fmt == "data-inclusion":
        size = Path(path).stat().st_size
        records = read_data_inclusion(path, mapping["data_inclusion"])
        if on_bytes:
            on_bytes(size)  # read whole (JSON)
        return records
    if fmt == "finess":
        return read_finess(path, mapping["finess"], departement, on_bytes)
    raise ValueError(f"format inconnu « {fmt} »")
