"""The review queue page: import proposals accepted or rejected, whole or field by field."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlmodel import select

from directory.diff import FIELD_LABELS, format_value
from directory.invalid import InvalidInput
from directory.models import Service
from web.params import int_param
from web.security import acting_user, coordinator_required
from web.state import current_state, db_session
from workspace.editing import StaleVersion
from workspace.models import StoredProposal
from workspace.review import decide, pending, pending_count

bp = Blueprint("review", __name__, url_prefix="/coordination")
LABELS = {**FIELD_LABELS, "contacts.phone": "Téléphone"}
RECENT = 20
PAGE_SIZE = 50  # proposals per page: 100,000 pending never make one page


def _shown(path: str, value) -> str:
    if path == "contacts.phone" and isinstance(value, dict):
        value = value.get("number") if not value.get("placeholder") else f"{value.get('number')} (numéro fictif)"
    return format_value(value)


def _card(row: StoredProposal, services: dict) -> dict:
    service = services.get(row.service_id) if row.kind == "update" else None
    fields = []
    for path, change in row.changes.items():
        fields.append({"path": path, "label": LABELS.get(path, path),
                       "current": _shown(path, change.get("current")),
                       "proposed": _shown(path, change.get("proposed"))})
    return {"row": row, "service": service, "fields": fields}


@bp.get("/propositions")
@coordinator_required
def proposals():
    """Pending proposals, oldest first, a page of ``PAGE_SIZE`` at a time (one query for the
    page's proposals, one for their services), with the recent decisions."""
    session = db_session()
    page = int_param(request.args, "page", 1, 1, 1_000_000)
    total = pending_count(session)
    rows = pending(session, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    ids = {row.service_id for row in rows if row.kind == "update" and row.service_id}
    services = {s.id: s for s in session.exec(select(Service).where(Service.id.in_(ids)))} if ids else {}
    cards = [_card(row, services) for row in rows]
    recent = list(session.exec(select(StoredProposal).where(StoredProposal.status != "pending")
                               .order_by(StoredProposal.decided_at.desc()).limit(RECENT)))
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("workspace/proposals.html", cards=cards, recent=recent, labels=LABELS,
                           page=page, pages=pages, total=total)


@bp.post("/propositions/<int:proposal_id>")
@coordinator_required
def decide_proposal(proposal_id: int):
    """Accept all, accept the ticked fields, or reject."""
    state = current_state()
    action = request.form.get("action", "")
    accepted = None if action == "accept_all" else [] if action == "reject" else request.form.getlist("fields")
    if action not in ("accept_all", "accept_selected", "reject"):
        flash("Action inconnue : choisissez d'accepter ou de refuser.")
        return redirect(url_for("review.proposals"))
    if action == "accept_selected" and not accepted:
        flash("Aucun champ coché : cochez ceux à accepter, ou refusez la proposition.")
        return redirect(url_for("review.proposals", _anchor=f"proposition-{proposal_id}"))
    try:
        decision = decide(state.engine, state.sync, state.reference, proposal_id, accepted, acting_user().email)
    except StaleVersion:
        flash("La structure a été modifiée entre-temps : revoyez la proposition.")
    except InvalidInput as error:
        flash(f"Impossible : {error.field} — {error.message}")
    else:
        words = {"accepted": "acceptée", "partial": "acceptée en partie", "rejected": "refusée"}
        flash(f"Proposition {words[decision.status]} ; la décision est enregistrée dans l'historique.")
    return redirect(url_for("review.proposals"))
