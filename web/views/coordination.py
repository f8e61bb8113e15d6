"""Coordinators' pages: dashboard (freshness), editing with history, coverage gaps."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlmodel import Session, select

from directory.diff import describer
from directory.invalid import InvalidInput
from directory.storage import row_to_data
from web.security import acting_user, admin_required, coordinator_required
from web.state import current_state, db_session, get_service_or_404
from web.views.review import LABELS as PROPOSAL_LABELS
from workspace.accounts import (
    AccountError,
    active_tokens,
    create_token,
    create_user,
    find_user,
    revoke_tokens,
    set_active,
)
from workspace.editing import StaleVersion, history, mark_verified, restore, set_closed, submit_entry
from workspace.forms import entry_to_form, errors_by_field, form_sections, form_to_entry
from workspace.freshness import freshness_report
from workspace.gaps import coverage_table, gap_counts
from workspace.models import User
from workspace.review import decided_for, pending_count

bp = Blueprint("coordination", __name__, url_prefix="/coordination")


@bp.get("/")
@coordinator_required
def dashboard():
    """Freshness dashboard: what to re-verify, by reason and by operator."""
    max_age = int(current_app.config.get("FRESHNESS_DAYS") or 182)
    report = freshness_report(db_session(), max_age_days=max_age)
    return render_template("workspace/dashboard.html", report=report, waiting=pending_count(db_session()))


def _render_form(values: dict, errors: dict, version: int | None, service_id: str | None,
                 conflict: StaleVersion | None = None, status: int = 200):
    sections = form_sections(current_state().reference)
    conflict_lines = [describer(current_state().reference.taxonomy)(c) for c in conflict.theirs] if conflict else []
    zones = sorted(current_state().reference.zones.values(), key=lambda z: z.label)
    return render_template("workspace/edit.html", sections=sections, values=values, errors=errors,
                           version=version, service_id=service_id, conflict=conflict,
                           conflict_lines=conflict_lines, named_zones=zones), status


@bp.route("/services/nouveau", methods=["GET", "POST"])
@coordinator_required
def create():
    """Create a service with the same validator as the YAML loader."""
    sections = form_sections(current_state().reference)
    if request.method == "GET":
        return _render_form(entry_to_form({"status": "to_verify", "cost": "inconnu"}, sections), {}, None, None)
    return _submit(request.form, None, None)


@bp.route("/services/<service_id>/modifier", methods=["GET", "POST"])
@coordinator_required
def edit(service_id: str):
    """Edit a service; a stale save shows what changed meanwhile and keeps the input."""
    row = get_service_or_404(service_id)
    if request.method == "GET":
        sections = form_sections(current_state().reference)
        return _render_form(entry_to_form(row_to_data(row), sections), {}, row.version, service_id)
    return _submit(request.form, service_id, _version_field())


def _version_field() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400)


def _submit(form, service_id: str | None, version: int | None):
    state = current_state()
    sections = form_sections(state.reference)
    data = form_to_entry(form, sections, state.reference)
    if service_id is not None:
        data["id"] = service_id
    values = {**entry_to_form(data, sections), "id": data.get("id") or ""}
    try:
        entry = submit_entry(state.engine, state.sync, state.reference, data, acting_user().email, version,
                             "update" if service_id else "create")
    except StaleVersion as stale:
        # Keep the user's input; the next save applies it over the current version.
        return _render_form(values, {}, stale.current_version, service_id, stale, 409)
    except InvalidInput as error:
        return _render_form(values, errors_by_field(error.errors), version, service_id, status=error.status)
    flash("Modifications enregistrées.")
    return redirect(url_for("directory_pages.service_sheet", service_id=entry.id))


def _action(service_id: str, operation, done: str):
    state = current_state()
    try:
        operation(state, _version_field())
    except StaleVersion:
        flash("La structure a été modifiée entre-temps : vérifiez la fiche puis recommencez.")
    except InvalidInput as error:
        flash(f"Impossible : {error.message}")
    else:
        flash(done)
    return redirect(url_for("directory_pages.service_sheet", service_id=service_id))


def _confirmation(service_id: str, question: str, consequence: str, button: str):
    """A page asking to confirm an action that one click must not do (closing, restoring);
    ``None`` once confirmed. Works without JavaScript."""
    if request.form.get("confirmed") == "1":
        return None
    row = get_service_or_404(service_id)
    return render_template("workspace/confirm.html", service=row, question=question, consequence=consequence,
                           button=button, action=request.path, version=request.form.get("version", ""))


@bp.post("/services/<service_id>/verifier")
@coordinator_required
def verify(service_id: str):
    """« Vérifié aujourd'hui »."""
    return _action(service_id, lambda s, v: mark_verified(s.engine, s.sync, s.reference, service_id,
                                                          acting_user().email, v),
                   "Vérification enregistrée : fiche vérifiée aujourd'hui.")


@bp.post("/services/<service_id>/fermer")
@coordinator_required
def close(service_id: str):
    """Close a service (kept with its history), once confirmed."""
    asked = _confirmation(service_id, "Fermer cette structure ?",
                          "Elle ne sera plus proposée dans les orientations ; sa fiche et son historique restent, "
                          "et « Rouvrir » la rétablit avec son statut d'avant.", "Fermer la structure")
    if asked is not None:
        return asked
    return _action(service_id, lambda s, v: set_closed(s.engine, s.sync, s.reference, service_id, True,
                                                       acting_user().email, v),
                   "Structure fermée : elle n'est plus proposée ; son historique est gardé.")


@bp.post("/services/<service_id>/rouvrir")
@coordinator_required
def reopen(service_id: str):
    """Reopen a closed service (with the status it had before the closure)."""
    return _action(service_id, lambda s, v: set_closed(s.engine, s.sync, s.reference, service_id, False,
                                                       acting_user().email, v),
                   "Structure rouverte avec le statut qu'elle avait avant sa fermeture.")


@bp.post("/services/<service_id>/restaurer/<int:old_version>")
@coordinator_required
def restore_version(service_id: str, old_version: int):
    """Restore an earlier version (as a new version), once confirmed."""
    asked = _confirmation(service_id, f"Restaurer la version {old_version} ?",
                          "La fiche reprend le contenu de cette version ; la version actuelle reste dans "
                          "l'historique et peut être restaurée à son tour.", f"Restaurer la version {old_version}")
    if asked is not None:
        return asked
    return _action(service_id, lambda s, v: restore(s.engine, s.sync, s.reference, service_id, old_version,
                                                    acting_user().email, v),
                   f"Version {old_version} restaurée (enregistrée comme nouvelle version).")


@bp.get("/services/<service_id>/historique")
@coordinator_required
def service_history(service_id: str):
    """The history of a service: who, when, which field, old → new."""
    session = db_session()
    row = get_service_or_404(service_id, session)
    return render_template("workspace/history.html", service=row, items=history(session, service_id),
                           describe=describer(current_state().reference.taxonomy),
                           proposals=decided_for(session, service_id), labels=PROPOSAL_LABELS)


def _create_account(session, form) -> str:
    create_user(session, form.get("email", ""), form.get("password", ""), form.get("role", "coordinateur"))
    return "Compte créé."


def _deactivate(session, form) -> str:
    set_active(session, form.get("email", ""), False)
    return "Compte désactivé : ses sessions sont fermées et ses jetons refusés."


def _reactivate(session, form) -> str:
    set_active(session, form.get("email", ""), True)
    return "Compte réactivé."


def _revoke(session, form) -> str:
    count = revoke_tokens(session, form.get("email", ""), form.get("label") or None)
    return f"{count} jeton(s) révoqué(s)."


ACCOUNT_ACTIONS = {"user": _create_account, "deactivate": _deactivate, "reactivate": _reactivate,
                   "revoke": _revoke}


@bp.route("/comptes", methods=["GET", "POST"])
@admin_required
def accounts():
    """Administrators: accounts (create, deactivate, reactivate) and API tokens (create, shown
    once; revoke)."""
    session = db_session()
    message, token = None, None
    if request.method == "POST":
        action = request.form.get("action", "user")
        try:
            if action == "token":
                token = create_token(session, find_user(session, request.form.get("email", "")),
                                     request.form.get("label") or "API")
                message = "Jeton créé."
            elif action in ACCOUNT_ACTIONS:
                message = ACCOUNT_ACTIONS[action](session, request.form)
            else:
                raise AccountError("action inconnue")
            session.commit()
        except AccountError as error:
            session.rollback()
            message = f"Refusé : {error}"
    users = list(session.exec(select(User).order_by(User.email)))
    return render_template("workspace/accounts.html", users=users, tokens=active_tokens(session),
                           message=message, token=token, me=acting_user())


@bp.get("/couverture")
@coordinator_required
def coverage():
    """Territories × key types, and the orientation gaps met by users."""
    state = current_state()
    with Session(state.engine) as session:
        table = coverage_table(session, state.reference, request.args.get("departement", "72")[:3])
        gaps = gap_counts(session)
    labels = state.reference.taxonomy
    return render_template("workspace/coverage.html", table=table, gaps=gaps, taxonomy=labels,
                           gazetteer=state.reference.gazetteer)
