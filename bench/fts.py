"""The reference for a compiled engine: SQLite FTS5 over the same documents and queries.

``unicode61 remove_diacritics 2`` tokenizer; French stems computed in Python with the
same stemmer as the lay vocabulary; zones as an FTS column (``c_72181``, ``d_72``) so the
commune filter is part of the match. A plain BM25 match: no lay-word expansion, no facets.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, select

from directory.models import Service
from directory.reference import ReferenceData
from reading.tokens import stem, words_of
from search.documents import documents_of


def fts_terms(text: str) -> list[str]:
    """French stems of a text, as FTS5 terms."""
    return [stem(t).split("|")[0] for t in words_of(text) if len(t) > 1]


@lru_cache(maxsize=8192)
def _repeated_terms(text: str) -> str:
    # A type's or a problem's vocabulary is the same text in thousands of documents.
    return " ".join(fts_terms(text))


def build_fts(session: Session, reference: ReferenceData, path: Path, batch: int = 2000) -> None:
    """Write the FTS5 baseline database at ``path`` (rows inserted ``batch`` at a time)."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, body, zones, "
                       "tokenize='unicode61 remove_diacritics 2')")
    ids = list(session.exec(select(Service.id)))
    rows = []
    for document in documents_of(session, reference, ids):
        body = " ".join([" ".join(fts_terms(document.name)), _repeated_terms(document.type_text),
                         _repeated_terms(document.operator), _repeated_terms(document.problem_text),
                         " ".join(fts_terms(document.description)), " ".join(fts_terms(document.place_text))])
        zones = " ".join(k.replace(":", "_") for k in document.zones)
        rows.append((document.id, body, zones))
        if len(rows) >= batch:
            connection.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)
            rows = []
    connection.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)
    connection.commit()
    connection.close()


def fts_query(connection: sqlite3.Connection, text: str, zone_keys: list[str]) -> list[str]:
    """The ten best ids for a text in a commune (BM25)."""
    terms = [t for t in fts_terms(text) if t.isalnum()]
    if not terms:
        return []
    match = "body:(" + " OR ".join(terms) + ")"
    if zone_keys:
        match += " AND zones:(" + " OR ".join(k.replace(":", "_") for k in zone_keys) + ")"
    cursor = connection.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10", (match,))
    return [r[0] for r in cursor]
