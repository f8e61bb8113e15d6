"""The index schema and its French analysis."""

from __future__ import annotations

from whoosh.analysis import CharsetFilter, LowercaseFilter, PyStemmerFilter, RegexTokenizer, StopFilter
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from search.backend.records import SearchDocument

# Bump when the schema, the analysis or the index layout changes: the index basis then
# forces a rebuild at the next start.
ANALYSIS_VERSION = "8"  # 8: segments as separate files (see partition.Partition._write)
MAX_TERMS = 24
# A service's problem vocabulary is not indexed as text: it is a function of its problem
# codes, so a query's words are turned into those codes (``search.documents``) and matched
# on the ``problems`` field: one posting per problem instead of a hundred per service.
TEXT_FIELDS = ("name", "type_text", "operator", "description", "eligibility", "place_text")


def french_analyzer():
    """Tokenise on word characters, lower-case, drop stop words, fold accents, stem (the
    Snowball French stemmer in C, PyStemmer: four times faster than whoosh's own)."""
    return (RegexTokenizer(r"\w+") | LowercaseFilter() | StopFilter(lang="fr", minsize=2)
            | CharsetFilter(accent_map) | PyStemmerFilter(lang="french", cachesize=50000))


# Postings of repeated values, shared by every partition's field of the same boost.
_ANALYSED: dict[tuple[float, str], tuple] = {}
ANALYSED_CACHE_SIZE = 8192


class RepeatedText(TEXT):
    """A text field whose values repeat from document to document (the vocabulary of a
    service type or of a problem: a few dozen distinct values over a national directory):
    each distinct value is analysed once per process, not once per document. Nothing is
    added to the field's state, so the schema pickled in the index is a plain TEXT's."""

    def index(self, value, **kwargs):
        """The field's postings for ``value`` (cached when asked with the default mode)."""
        if kwargs or not isinstance(value, str):
            return super().index(value, **kwargs)
        key = (self.format.field_boost, value)
        postings = _ANALYSED.get(key)
        if postings is None:
            postings = tuple(super().index(value))
            if len(_ANALYSED) < ANALYSED_CACHE_SIZE:
                _ANALYSED[key] = postings
        return postings


def make_schema() -> Schema:
    """Fields of a service document; the boosts rank a name match above a description one.
    No positions are kept (no phrase query is ever made): smaller, faster postings."""
    analyzer = french_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        name=TEXT(analyzer=analyzer, field_boost=3.0, stored=True, phrase=False),
        type_text=RepeatedText(analyzer=analyzer, field_boost=2.5, phrase=False),
        operator=RepeatedText(analyzer=analyzer, field_boost=1.5, phrase=False),
        description=TEXT(analyzer=analyzer, field_boost=1.0, phrase=False),
        eligibility=TEXT(analyzer=analyzer, field_boost=0.6, phrase=False),
        place_text=TEXT(analyzer=analyzer, field_boost=1.5, phrase=False),
        types=KEYWORD(stored=True, commas=True, scorable=True),
        problems=KEYWORD(commas=True, scorable=True),
        domain=ID(stored=True),
        status=ID(stored=True),
        # Scorable only so that the segment has a length column: without one whoosh asks the
        # file system whether it exists for every posting written (a tenth of the build).
        zones=KEYWORD(commas=True, scorable=True),
        payload=STORED(),
    )


def document_fields(document: SearchDocument) -> dict:
    """The whoosh fields of a document."""
    return {
        "id": document.id, "name": document.name, "type_text": document.type_text,
        "operator": document.operator,
        "description": document.description, "eligibility": document.eligibility,
        "place_text": document.place_text, "types": ",".join(document.types),
        "problems": ",".join(document.problems), "domain": document.domain,
        "status": document.status, "zones": ",".join(document.zones),
        "payload": document.payload,
    }
