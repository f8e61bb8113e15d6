"""Search of the directory: the whoosh index partitioned by département (``search.backend``,
the only code importing whoosh), the documents it holds (``search.documents``), its upkeep
(``search.maintenance``, ``search.parallel``) and the search as users see it
(``search.finder``). This is the package's public surface."""

from search.backend import SearchIndex, SearchUnavailable
from search.finder import SearchParams, resolve_commune, search_directory
from search.maintenance import ensure_index, rebuild_index, reindex_services

__all__ = ["SearchIndex", "SearchParams", "SearchUnavailable", "ensure_index", "rebuild_index",
           "reindex_services", "resolve_commune", "search_directory"]
