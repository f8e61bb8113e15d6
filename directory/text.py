"""Text normalisation shared by the gazetteer, the validator and the search."""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'", "ʼ": "'"})
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and ligatures: ``Sablé-sur-Sarthe`` → ``sablé`` → ``sable…``."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def name_key(text: str) -> str:
    """Key for comparing place names: folded, punctuation as spaces, ``saint`` → ``st``."""
    words = _NON_WORD.sub(" ", fold(text)).split()
    return " ".join({"saint": "st", "sainte": "ste"}.get(w, w) for w in words)


def slugify(text: str) -> str:
    """ASCII slug with hyphens, for service ids."""
    return "-".join(_NON_WORD.sub(" ", fold(text)).split())
