"""Plain French for what the directory's texts say about their own reliability.

The bundled entries carry the reference's working marks: confidence flags inside texts
(« [?] » uncertain, « [K] » general knowledge, « [ILL] » illustrative, « [S3] » project sheet),
source citations (« [V:R16] », « S3; V:R42 (…) »), pointers to the reference's sections
(« REFERENCE §8.6, point 5 »). Coordinators keep them (they find the sources with them);
everyone else reads what they mean: « (à confirmer) », « fiche projet (2014) », the public
source's own description.
"""

from __future__ import annotations

import re

# A citation of a verified source of the reference, inside a text: meaningless outside
# (the data·inclusion export drops them too).
SOURCE_FLAG = re.compile(r"\s*\[V:[^\[\]]*\]")
# Doubt flags, spelled out: an uncertain fact never reads as a verified one.
_DOUBT_FLAG = re.compile(r"\s*\[(?:\?|K)\]")
_ILLUSTRATIVE_FLAG = re.compile(r"\s*\[ILL\]")
_SHEET_FLAG = re.compile(r"\s*\[S\d\]")
# « (REFERENCE §8.6, point 5) », « (cf. REFERENCE §8.6) », « — REFERENCE §8.6, point 7 »,
# « (réseau CLIC, REFERENCE §8.6, point 8) » → « (réseau CLIC) ».
_REFERENCE_ALONE = re.compile(r"\s*\((?:cf\.\s*)?REFERENCE\s*§[\d.,\s§]*(?:,?\s*point\s*\d+)?\)")
_REFERENCE_INSIDE = re.compile(r",\s*(?:cf\.\s*)?REFERENCE\s*§[\d.]+(?:,?\s*point\s*\d+)?")
_REFERENCE_DASHED = re.compile(r"\s*[—–-]\s*(?:cf\.\s*)?REFERENCE\s*§[\d.]+(?:,?\s*point\s*\d+)?")
_INTERNAL_USE = re.compile(r"\s*\(usage interne\)")
# « (V:R43) », « (S3) »: a citation in parentheses.
_CITATION = re.compile(r"\s*\((?:V:R\d+|S\d)(?:\s*[;,]\s*(?:V:R\d+|S\d))*\)")
_REPEATED_DOUBT = re.compile(r"(à confirmer\)?)(?:\s*\(à confirmer\))+")

PROJECT_SHEET = "fiche projet « 10 000 logements HLM accompagnés »"
_SOURCE_WORDS = {
    "K": "connaissance générale, non vérifiée",
    "ILL": "fiche d'exemple",
    "?": "information incertaine",
    "V": "source publique",
}
_CODE_WORDS = {*_SOURCE_WORDS.values(), PROJECT_SHEET, PROJECT_SHEET + " (2014)"}


def plain_text(text: str | None) -> str:
    """A free text without the reference's working marks (doubts spelled out)."""
    if not text:
        return ""
    for pattern, replacement in ((SOURCE_FLAG, ""), (_REFERENCE_ALONE, ""), (_REFERENCE_INSIDE, ""),
                                 (_REFERENCE_DASHED, ""), (_INTERNAL_USE, ""), (_SHEET_FLAG, ""),
                                 (_CITATION, ""), (_DOUBT_FLAG, " (à confirmer)"), (_ILLUSTRATIVE_FLAG, " (exemple)"),
                                 (_REPEATED_DOUBT, r"\1")):
        text = pattern.sub(replacement, text)
    return re.sub(r"\s+([.,])", r"\1", text).strip()


def plain_source(source: str | None) -> str:
    """Where an entry comes from, for someone who has no access to the reference:
    « S3; V:R42 (sarthe.fr 2023) » → « fiche projet … (2014) ; sarthe.fr 2023 »."""
    if not source:
        return "non renseignée"
    words: list[str] = []
    for part in _top_level_parts(source):
        word = _source_part(part)
        if word and word not in words:
            words.append(word)
    # The 2014 sheet says more than a sheet of unknown year; a described public source
    # more than the bare words « source publique ».
    if PROJECT_SHEET in words and any(w.startswith(PROJECT_SHEET + " (2014)") for w in words):
        words.remove(PROJECT_SHEET)
    if _SOURCE_WORDS["V"] in words and any(w for w in words if w not in _CODE_WORDS):
        words.remove(_SOURCE_WORDS["V"])
    return " ; ".join(words) or "non renseignée"


def _source_part(part: str) -> str:
    match = re.fullmatch(r"(S\d\b|V(?::R\d+)?\b|K\b|ILL\b|\?)\s*(.*)", part, flags=re.S)
    if match is None:
        return plain_text(part)
    code, detail = match.group(1), _unwrapped(match.group(2).strip())
    if code.startswith("S"):
        base = PROJECT_SHEET + (" (2014)" if code == "S3" else "")
        return f"{base} : {detail}" if detail else base
    if code.startswith("V"):
        if not detail:
            return _SOURCE_WORDS["V"]
        # « V:R31 (2022) »: a bare date says nothing of what the source is.
        return f"source publique ({detail})" if re.fullmatch(r"[\d\s/–-]+", detail) else plain_text(detail)
    return _SOURCE_WORDS[code] + (f" ({detail})" if detail else "")


def _unwrapped(rest: str) -> str:
    """« (Le Maine Libre 2017) — à re-vérifier » → « Le Maine Libre 2017 — à re-vérifier »."""
    if not rest.startswith("("):
        return rest
    depth = 0
    for position, character in enumerate(rest):
        depth += (character == "(") - (character == ")")
        if depth == 0:
            return (rest[1:position] + rest[position + 1:]).strip()
    return rest.strip("()")


def _top_level_parts(text: str) -> list[str]:
    """``text`` split on « ; » outside parentheses."""
    parts, depth, current = [], 0, []
    for character in text:
        depth += character == "("
        depth -= character == ")"
        if character == ";" and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(character)
    parts.append("".join(current).strip())
    return [p for p in parts if p]
