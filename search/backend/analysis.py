"""The index schema and its French analysis."""

from __future__ import annotations

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from search.backend.records import SearchDocument

# Bump when the schema, the analysis or the index layout changes: the index basis then
# forces a rebuild at the next start.
ANALYSIS_VERSION = "6"
MAX_TERMS = 24
TEXT_FIELDS = ("name", "type_text", "operator", "problem_text", "description", "eligibility",
               "place_text")


def french_analyzer():
    """Tokenise on word characters, lower-case, drop stop words, fold accents, stem."""
    return (RegexTokenizer(r"\w+") | LowercaseFilter() | StopFilter(lang="fr", minsize=2)
            | CharsetFilter(accent_map) | StemFilter(lang="fr", cachesize=50000))


def make_schema() -> Schema:
    """Fields of a service document; the boosts rank a name match above a description one."""
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


def document_fields(document: SearchDocument) -> dict:
    """The whoosh fields of a document."""
    return {
        "id": document.id, "name": document.name, "type_text": document.type_text,
        "operator": document.operator, "problem_text": document.problem_text,
        "description": document.description, "eligibility": document.eligibility,
        "place_text": document.place_text, "types": ",".join(document.types),
        "problems": ",".join(document.problems), "domain": document.domain,
        "status": document.status, "zones": ",".join(document.zones),
        "payload": document.payload,
    }
