"""``maillage import --format data-inclusion|finess FILE``: a register file into the review queue."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from directory.imports.readers import FORMATS, read_register
from directory.imports.records import register_mapping
from web.state import current_state
from workspace.review import import_records


@click.command("import")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Registre du fichier.")
@click.option("--departement", default=None, help="Ne garder que ce département (ex. 72).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(fmt: str, departement: str | None, file: Path) -> None:
    """Importer un registre national en propositions à revoir (rien n'est appliqué)."""
    state = current_state()
    mapping = register_mapping(state.data_dir)
    batch = f"{fmt} {file.name} {dt.datetime.now().isoformat(timespec='seconds')}"
    with click.progressbar(length=file.stat().st_size, label=f"Lecture de {file.name}", file=sys.stderr,
                           show_percent=True) as bar:
        records = read_register(fmt, file, mapping, departement, on_bytes=bar.update)
        summary = import_records(state.engine, state.reference, records, batch, departement)
    for line in summary.lines():
        click.echo(line)
    click.echo("Propositions à revoir dans l'espace coordination : /coordination/propositions")
    if summary.issues and not (summary.new or summary.updates):
        sys.exit(1 if summary.read == 0 else 0)
