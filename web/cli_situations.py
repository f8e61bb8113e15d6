"""Chores of the relayed situations: the retention purge, an access request's export, a new
data key. Each prints a one-line summary (the export prints JSON); a refusal exits with 1."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from directory.invalid import InvalidInput
from web.state import current_state
from workspace.privacy import generate_key
from workspace.retention import export_situation, purge


@click.command("purge")
@click.option("--as-of", "as_of", default=None, help="Date de référence AAAA-MM-JJ (aujourd'hui par défaut).")
@with_appcontext
def purge_command(as_of: str | None) -> None:
    """Effacer les données personnelles des situations closes depuis MAILLAGE_RETENTION_DAYS jours."""
    try:
        moment = dt.datetime.combine(dt.date.fromisoformat(as_of), dt.time(), dt.UTC) if as_of else None
    except ValueError:
        click.echo(f"Date invalide « {as_of} » (format AAAA-MM-JJ).", err=True)
        sys.exit(1)
    days = current_app.config["RETENTION_DAYS"]
    erased = purge(current_state().engine, days, moment)
    click.echo(f"{erased} situation(s) anonymisée(s) (closes depuis {days} jours ou plus).")


@click.command("situation-export")
@click.argument("situation_id")
@click.option("--operator", default="export en ligne de commande", help="Qui répond à la demande (journal).")
@with_appcontext
def situation_export_command(situation_id: str, operator: str) -> None:
    """Tout ce qui est conservé sur une situation, en JSON (demande d'accès, RGPD art. 15)."""
    state = current_state()
    try:
        export = export_situation(state.engine, state.cipher, situation_id, operator)
    except InvalidInput as error:
        click.echo(f"Export refusé : {error.message}", err=True)
        sys.exit(1)
    click.echo(json.dumps(export, ensure_ascii=False, indent=2))


@click.command("generate-data-key")
def generate_data_key_command() -> None:
    """Afficher une nouvelle clé pour MAILLAGE_DATA_KEY (à placer en tête pour une rotation)."""
    click.echo(generate_key())


SITUATION_COMMANDS = (purge_command, situation_export_command)
