"""Reference data bundled with the application: taxonomy, gazetteer and named zones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from directory.gazetteer import Gazetteer, load_gazetteer
from directory.taxonomy import Taxonomy, load_taxonomy
from directory.zones import NamedZone, load_zones


@dataclass(frozen=True)
class ReferenceData:
    """Everything the validator and the engine need to check codes and places."""

    taxonomy: Taxonomy
    gazetteer: Gazetteer
    zones: dict[str, NamedZone]


def load_reference(data_dir: Path) -> ReferenceData:
    """Load the reference files of a data directory (cached per path)."""
    gazetteer = load_gazetteer(str(data_dir / "communes.csv.gz"))
    return ReferenceData(
        taxonomy=load_taxonomy(str(data_dir / "taxonomy.yaml")),
        gazetteer=gazetteer,
        zones=load_zones(str(data_dir / "zones.yaml"), gazetteer),
    )
