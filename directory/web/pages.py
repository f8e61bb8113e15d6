"""Directory pages: the service sheet."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from directory.present import service_detail
from directory.storage import get_service, zone_keys_of
from directory.zones import covered_communes
from web.state import current_state, db_session

bp = Blueprint("directory_pages", __name__)


@bp.get("/services/<service_id>")
def service_sheet(service_id: str):
    """A service sheet: what, for whom, conditions, referral, wait, contacts, zone."""
    session = db_session()
    row = get_service(session, service_id)
    if row is None:
        abort(404)
    reference = current_state().reference
    covered = covered_communes(set(zone_keys_of(session, row.id)), reference.gazetteer)
    detail = service_detail(row, reference, covered)
    communes = [reference.gazetteer.get(c) for c in covered[:60]]
    return render_template("directory/service.html", service=detail,
                           communes=[c for c in communes if c], more=len(covered) - 60)
