"""Command-line chores: serve, check, load, export. Each prints a one-line summary."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlmodel import Session

from directory.export import export_yaml
from directory.loader import check_file
from directory.reference import load_reference
from directory.storage import count_services, upsert_entries
from search.maintenance import rebuild_index
from web.cli_accounts import ACCOUNT_COMMANDS
from web.cli_imports import import_command
from web.cli_situations import SITUATION_COMMANDS, generate_data_key_command
from web.settings import DATA_DIR
from web.state import current_state


def _print_issues(issues) -> None:
    for issue in issues:
        click.echo(str(issue), err=True)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port d'écoute.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Processus de traitement (un par cœur est un bon départ).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Fils de traitement par processus.")
@with_appcontext
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Lancer l'application avec le serveur de production (gunicorn)."""
    from web.server import serve

    click.echo(f"Maillage écoute sur http://{host}:{port}/ ({workers} processus × {threads} fils)")
    if workers > 1 and str(current_app.config.get("RATELIMIT_STORAGE", "")).startswith("memory://"):
        click.echo("Attention : limite des tentatives de connexion comptée par processus "
                   "(MAILLAGE_RATELIMIT_STORAGE=redis://… pour une limite commune).", err=True)
    serve(current_app._get_current_object(), host, port, workers, threads)


@click.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check_command(file: Path) -> None:
    """Valider un fichier d'annuaire YAML sans rien écrire."""
    result = check_file(file, load_reference(DATA_DIR))
    if not result.ok:
        _print_issues(result.issues)
        click.echo(f"{file} : {len(result.issues)} erreur(s), aucune modification.", err=True)
        sys.exit(1)
    click.echo(f"{file} : {len(result.entries)} entrées valides.")


@click.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def load_command(file: Path) -> None:
    """Charger un fichier d'annuaire (tout ou rien ; mise à jour par identifiant)."""
    state = current_state()
    result = check_file(file, state.reference)
    if not result.ok:
        _print_issues(result.issues)
        click.echo(f"{file} : {len(result.issues)} erreur(s), aucune modification.", err=True)
        sys.exit(1)
    summary = upsert_entries(state.engine, result.entries, state.reference)
    # The other servers apply the same changes from the database's feed.
    state.sync.catch_up(wait_s=600.0, rebuild=True)
    click.echo(f"{file} : {summary.created} créée(s), {summary.updated} modifiée(s), "
               f"{summary.unchanged} inchangée(s).")


@click.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", default="yaml", show_default=True,
              type=click.Choice(["yaml", "csv", "data-inclusion"]), help="Format de l'export.")
@with_appcontext
def export_command(file: Path | None, fmt: str) -> None:
    """Exporter l'annuaire (sur la sortie standard sans FICHIER)."""
    from directory.datainclusion import to_data_inclusion
    from directory.storage import all_services, row_to_data
    from directory.transfer import entries_to_csv

    state = current_state()
    with Session(state.engine) as session:
        total = count_services(session)
        if fmt == "yaml":
            text = export_yaml(session)
        else:
            entries = [row_to_data(row) for row in all_services(session)]
            text = (entries_to_csv(entries) if fmt == "csv" else
                    json.dumps(to_data_inclusion(entries, state.reference), ensure_ascii=False, indent=2) + "\n")
    if file is None:
        click.echo(text, nl=False)
        return
    # Write next to the target then rename, so a failure never leaves half a file.
    partial = file.with_name(file.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(file)
    click.echo(f"{file} : {total} entrées exportées.")


@click.command("reindex")
@click.option("--processes", default=os.cpu_count() or 1, show_default="nombre de cœurs",
              type=click.IntRange(1, 64), help="Processus de construction (grand annuaire).")
@with_appcontext
def reindex_command(processes: int) -> None:
    """Reconstruire l'index de recherche depuis la base."""
    state = current_state()
    with Session(state.engine) as session:
        count = rebuild_index(session, state.search, state.reference, processes)
    partitions = len(state.search.partition_keys())
    click.echo(f"Index de recherche reconstruit : {count} services, {partitions} partition(s).")


@click.command("orient")
@click.option("--commune", required=True, help="Commune : code INSEE, code postal ou nom.")
@click.option("--problem", "problems", multiple=True, help="Code problème (répétable).")
@click.option("--description", default=None, help="Description libre de la situation.")
@click.option("--role", default="travailleur_social", show_default=True,
              type=click.Choice(["gardien", "travailleur_social", "coordinateur"]))
@with_appcontext
def orient_command(commune: str, problems: tuple[str, ...], description: str | None, role: str) -> None:
    """Afficher les orientations suggérées (rien n'est enregistré)."""
    from directory.invalid import InvalidInput
    from recommender.engine import Engine
    from recommender.request import parse_request
    from recommender.territory import ServiceFinder

    state = current_state()
    body = {"commune": commune, "problems": list(problems), "role": role}
    if description:
        body["description"] = description
    with Session(state.engine) as session:
        try:
            result = Engine(state.reference, state.rules, ServiceFinder(session, state.reference)).orient(
                parse_request(body, state.reference, state.search.territory(), state.search.services_by_departement))
        except InvalidInput as error:
            click.echo(f"{error.field} : {error.message}", err=True)
            sys.exit(1)
    click.echo(format_orientation(result))


def format_orientation(result: dict) -> str:
    """Plain-text rendering of an orientation for the terminal."""
    lines = [f"{result['commune']['name']} · urgence {result['urgency']}"]
    lines.append("Urgences : " + ", ".join(n["number"] for n in result["emergency_numbers"]))
    if result["helplines"]:
        lines.append("Lignes utiles : " + ", ".join(f"{n['number']} ({n['label']})" for n in result["helplines"]))
    for s in result["suggestions"]:
        lines.append(f"{s['rank']}. {s['type_label']} [{s['type']}] — {s['eligibility']['status']}")
        lines.append(f"   Qui agit : {s['who_acts']}")
        for svc in s["services"][:2]:
            lines.append(f"   · {svc['name']}")
        for bridge in s["bridges"]:
            lines.append(f"   En attendant : {bridge['type_label']}")
    for gap in result["gaps"]:
        lines.append(f"Manque : {gap['why']}")
    return "\n".join(lines)


APP_COMMANDS = (*ACCOUNT_COMMANDS, *SITUATION_COMMANDS, orient_command, serve_command, check_command,
                load_command, export_command, reindex_command, import_command)


def register(group: FlaskGroup) -> None:
    """Commands available without loading the application (no configuration needed)."""
    group.add_command(check_command)
    group.add_command(generate_data_key_command)


def init_app(app) -> None:
    """Attach the data chores to ``app.cli`` (``maillage …`` and ``flask --app app …``)."""
    for command in APP_COMMANDS:
        app.cli.add_command(command)
