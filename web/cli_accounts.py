"""Account chores: create, deactivate, reactivate an account; create and revoke API tokens.

Each prints a one-line summary; a refused operation prints why and exits with 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlmodel import Session

from web.state import current_state
from workspace.accounts import TOKEN_DAYS, AccountError, create_token, create_user, find_user, revoke_tokens, set_active
from workspace.models import PLATFORM_ROLES, ROLES
from workspace.situations import attach_to_platform


def _run(operation: Callable[[Session], str], refused: str) -> None:
    """Run ``operation`` in one transaction and print its summary, or the reason it was refused."""
    with Session(current_state().engine) as session:
        try:
            summary = operation(session)
        except AccountError as error:
            session.rollback()
            click.echo(f"{refused} : {error}", err=True)
            sys.exit(1)
        session.commit()
    click.echo(summary)


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="coordinateur", show_default=True)
@click.option("--platform", "platforms", multiple=True,
              help="Plateforme de rattachement (code de data/platforms.yaml), répétable ; "
                   "obligatoire pour correspondant et referent_social.")
@with_appcontext
def create_user_command(email: str, role: str, platforms: tuple[str, ...]) -> None:
    """Créer un compte (mot de passe demandé, ou MAILLAGE_NEW_USER_PASSWORD ; jamais sur la
    ligne de commande, où `ps` le montrerait)."""
    known = current_state().platforms
    if role in PLATFORM_ROLES and not platforms:
        click.echo(f"Compte non créé : --platform est obligatoire pour le rôle {role} ({', '.join(known)})", err=True)
        sys.exit(1)
    unknown = [code for code in platforms if code not in known]
    if unknown:
        click.echo(f"Compte non créé : plateforme inconnue « {unknown[0]} » ({', '.join(known)})", err=True)
        sys.exit(1)
    password = os.environ.get("MAILLAGE_NEW_USER_PASSWORD") or click.prompt(
        "Mot de passe", hide_input=True, confirmation_prompt=True)

    def operation(session: Session) -> str:
        user = create_user(session, email, password, role)
        for code in platforms:
            attach_to_platform(session, user, code, known)
        attached = f", plateformes : {', '.join(platforms)}" if platforms else ""
        return f"Compte {user.email} créé ({user.role}{attached})."

    _run(operation, "Compte non créé")


def _activation_command(name: str, active: bool, summary: str, refused: str, help_text: str):
    """The ``deactivate-user`` / ``reactivate-user`` command (``set_active`` either way)."""
    @click.command(name, help=help_text)
    @click.argument("email")
    @with_appcontext
    def command(email: str) -> None:
        _run(lambda session: summary.format(email=set_active(session, email, active).email), refused)

    return command


deactivate_user_command = _activation_command(
    "deactivate-user", False, "Compte {email} désactivé (sessions fermées, jetons refusés).", "Compte non désactivé",
    "Désactiver un compte : ses sessions ouvertes et ses jetons cessent aussitôt de fonctionner.")
reactivate_user_command = _activation_command(
    "reactivate-user", True, "Compte {email} réactivé.", "Compte non réactivé",
    "Réactiver un compte désactivé (il faudra se reconnecter).")


@click.command("create-token")
@click.argument("email")
@click.option("--label", default="API", show_default=True, help="À quoi sert ce jeton.")
@click.option("--days", type=click.IntRange(1, 366), default=TOKEN_DAYS, show_default=True,
              help="Durée de validité en jours.")
@with_appcontext
def create_token_command(email: str, label: str, days: int) -> None:
    """Créer un jeton d'API pour un compte (affiché une seule fois, valable --days jours,
    pour l'API seulement)."""
    _run(lambda session: create_token(session, find_user(session, email), label, days), "Jeton non créé")


@click.command("revoke-token")
@click.argument("email")
@click.option("--label", default=None, help="Révoquer seulement les jetons de cet usage (sinon tous).")
@with_appcontext
def revoke_token_command(email: str, label: str | None) -> None:
    """Révoquer les jetons d'API d'un compte."""
    def operation(session: Session) -> str:
        count = revoke_tokens(session, email, label)
        return f"{count} jeton(s) révoqué(s) pour {email.strip().lower()}."

    _run(operation, "Jetons non révoqués")


ACCOUNT_COMMANDS = (create_user_command, deactivate_user_command, reactivate_user_command,
                    create_token_command, revoke_token_command)
