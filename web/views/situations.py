"""The caretaker's relay page (« Transmettre à la plateforme »): one form, prefilled from an
answer page (commune, problems read, the words typed), sent to the platform serving the
commune. Parses, calls ``workspace.situations`` and renders; nothing else."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from directory.invalid import InvalidInput
from web.security import acting_user, signed_in_required
from web.state import current_state
from web.views.situations_api import EMERGENCY_FIRST
from workspace.models import PLATFORM_ROLES
from workspace.situation_models import CONSENT_STATUSES
from workspace.situations import relay_situation

bp = Blueprint("situations", __name__, url_prefix="/signalements")

CONSENT_LABELS = {
    "informed": "La personne est informée et d'accord",
    "not_yet": "Pas encore informée",
    "refused": "Elle refuse (la transmission reste possible si la situation l'exige)",
    "emergency": "Urgence : pas le temps de lui en parler",
}


@bp.app_context_processor
def _relay_allowed() -> dict:
    """``can_relay``: the answer pages show « Transmettre à la plateforme » to platform accounts."""
    user = acting_user()
    return {"can_relay": user is not None and user.role in PLATFORM_ROLES}


def _values(form) -> dict:
    return {"commune": form.get("commune", "").strip(), "housing_ref": form.get("housing_ref", ""),
            "observations": form.get("observations", ""), "problems": form.getlist("problems"),
            "consent": {"status": form.get("consent_status") or None, "note": form.get("consent_note") or None}}


def _page(values: dict, errors: list | None = None, status: int = 200):
    taxonomy = current_state().reference.taxonomy
    chosen = set(values["problems"])
    problems = sorted(taxonomy.problems.values(), key=lambda p: (p.code not in chosen, p.label.lower()))
    errors = errors or []
    return render_template("situations/relay.html", values=values, problems=problems, chosen=chosen,
                           consent_labels=CONSENT_LABELS, consent_statuses=CONSENT_STATUSES, errors=errors,
                           error_fields={e.field for e in errors}, emergency_first=EMERGENCY_FIRST), status


@bp.route("/nouveau", methods=["GET", "POST"])
@signed_in_required
def relay_form():
    """The relay form: empty (GET), prefilled from an answer page (POST ``step=prefill``),
    or sent (POST ``step=send``)."""
    user = acting_user()
    if user.role not in PLATFORM_ROLES:
        abort(403)
    if request.method == "GET":
        return _page(_values(request.args))
    values = _values(request.form)
    if request.form.get("step") != "send":
        return _page(values)
    state = current_state()
    try:
        relayed = relay_situation(state.engine, state.reference, state.platforms, state.cipher, values, user)
    except InvalidInput as error:
        return _page(values, error.errors, 400)
    return render_template("situations/relayed.html", relayed=relayed, emergency_first=EMERGENCY_FIRST)
