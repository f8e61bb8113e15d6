"""Full-text search of the directory, behind a small adapter (the only package importing whoosh).

- ``SearchIndex.open(path | None)``: a file index in the instance folder, or in memory,
  partitioned by département (``search.backend.index``).
- ``index.rebuild(groups, basis, applied)``, ``index.update(docs, removed_ids)``, ``index.applied``.
- ``index.query(SearchRequest)`` → ``SearchOutcome``: hits with scores, facets, totals.

French analysis: words split on apostrophes and punctuation, lower-cased, French stop
words removed, accents folded *before* stemming (so ``impayés``, ``impayes`` and
``impayé`` share a stem). The user's text is never parsed as query syntax: it is turned
into terms here, so quotes, ``AND``, ``*``, ``field:value``… are plain words.
"""

from search.backend.analysis import ANALYSIS_VERSION, french_analyzer
from search.backend.index import NATIONAL, SearchIndex
from search.backend.records import Boost, SearchDocument, SearchHit, SearchOutcome, SearchRequest, SearchUnavailable

__all__ = ["ANALYSIS_VERSION", "NATIONAL", "Boost", "SearchDocument", "SearchHit", "SearchIndex",
           "SearchOutcome", "SearchRequest", "SearchUnavailable", "french_analyzer"]
