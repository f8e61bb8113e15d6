"""Export the directory as YAML in the bundled file's format (round-trips with the loader)."""

from __future__ import annotations

import yaml
from sqlmodel import Session

from directory.storage import all_services, row_to_data


class _DirectoryDumper(yaml.SafeDumper):
    """Block style for mappings, flow style for short lists of scalars (codes, communes)."""


def _represent_list(dumper: yaml.SafeDumper, data: list):
    flow = all(isinstance(item, (str, int, float)) for item in data) and len(data) <= 400
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_DirectoryDumper.add_representer(list, _represent_list)
_DirectoryDumper.add_representer(str, _represent_str)


def dump_entries(entries: list[dict]) -> str:
    """YAML text of entries under a ``services:`` key, keys in the entry order."""
    return yaml.dump({"services": entries}, Dumper=_DirectoryDumper, sort_keys=False,
                     allow_unicode=True, width=100, default_flow_style=False)


def export_yaml(session: Session) -> str:
    """The whole stored directory as YAML, ordered by id."""
    return dump_entries([row_to_data(row) for row in all_services(session)])
