"""Orientation pages and API (the only module of ``recommender`` importing Flask).

Privacy: an orientation request is computed and shown, never stored; a free-text
description only travels in a POST body (never in a URL, so never in access logs).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for

from directory.commune_choice import choice_facts
from directory.invalid import FieldError, InvalidInput
from recommender.engine import Engine
from recommender.request import parse_request
from recommender.territory import ServiceFinder
from web.maps.builders import orientation_map
from web.orientation_form import form_to_body
from web.params import json_body
from web.security import acting_user
from web.state import current_state, db_session
from web.views.carte import tile_settings
from workspace.gaps import record_orientation_gaps

bp = Blueprint("orientation", __name__)


def _engine() -> Engine:
    state = current_state()
    return Engine(state.reference, state.rules, ServiceFinder(db_session(), state.reference))


def compute(body: dict) -> dict:
    """Validate a request body and compute the orientation (``InvalidInput`` on error).
    Only the (commune, type) pairs without any service are counted, for coordinators."""
    state = current_state()
    territory = state.search.territory()
    parsed = parse_request(body, state.reference, territory, state.search.services_by_departement)
    result = _engine().orient(parsed)
    # Its département, whether the directory serves it (else the services shown are only
    # the nearest), and the other communes of its name.
    result["commune"].update(choice_facts(parsed.choice, territory))
    # Only orientations made by signed-in users count in the coordinators' gaps table: an
    # anonymous caller must not steer it (36 requests for Paris once added 167 to it).
    if acting_user() is not None:
        record_orientation_gaps(state.engine, state.recent_orientations, result["commune"]["insee"],
                                [p["code"] for p in result.get("problems", [])],
                                [gap["type"] for gap in result["gaps"]])
    return result


@bp.post("/api/orientations")
def orientations_api():
    """Ranked, explained orientations for a household (JSON in, JSON out)."""
    return jsonify(compute(json_body(request)))


def _form_context() -> dict:
    taxonomy = current_state().reference.taxonomy
    groups = []
    for code, label in taxonomy.problem_groups.items():
        problems = [p for p in taxonomy.problems.values() if p.group == code]
        groups.append({"code": code, "label": label, "problems": problems})
    referent_types = [taxonomy.service_types[c] for c in
                      ("cmp", "samsah", "savs", "mjpm", "masp", "csapa", "service_social_departemental",
                       "ase", "spip", "medecin_traitant") if c in taxonomy.service_types]
    return {"groups": groups, "household_values": taxonomy.household_values,
            "referent_types": referent_types}


def _answer_page(template: str, form):
    body, form_errors = form_to_body(form)
    result, errors = None, list(form_errors)
    if not errors:
        try:
            result = compute(body)
        except InvalidInput as error:
            errors = error.errors
    status = 400 if errors else 200
    fmap = None
    if result is not None and template == "orientation/page.html":
        fmap = orientation_map(result, tile_settings(),
                               lambda sid: url_for("directory_pages.service_sheet", service_id=sid))
    return render_template(template, body=body, result=result, errors=errors, map=fmap,
                           tiles_enabled=bool(tile_settings().url), bookmark=_bookmark(body, result),
                           error_fields={e.field for e in errors}, **_form_context()), status


def _bookmark(body: dict, result: dict | None) -> str | None:
    """An address that gives this orientation again: the commune, the role and the problem
    codes (those read in the description included), never the description nor anything
    else about the household (an address ends up in histories and logs)."""
    if result is None:
        return None
    return url_for("orientation.orientation_page", commune=result["commune"]["insee"], role=body.get("role"),
                   problems=[p["code"] for p in result.get("problems", [])])


# What an address may carry: the commune, the role and problem codes (a bookmark), never
# the description nor the household's situation (addresses reach histories and logs).
CODES_ONLY = frozenset({"commune", "commune_choice", "role", "problems"})


def _description_in_url(template: str, field: str = "description"):
    """The page refusing a description or the household's situation sent in the address."""
    error = FieldError(field, "la description et la situation du ménage ne passent jamais dans "
                              "l'adresse : utilisez le formulaire (envoi POST)")
    return render_template(template, body={}, result=None, errors=[error],
                           error_fields={field}, **_form_context()), 400


@bp.route("/orientation", methods=["GET", "POST"])
def orientation_page():
    """Form and results on the same page: GET for code-only (bookmarkable) queries, POST
    when a description is typed."""
    form = request.form if request.method == "POST" else request.args
    if request.method == "GET" and form.get("description", "").strip():
        return _description_in_url("orientation/page.html")
    if request.method == "GET" and (extra := sorted(set(form) - CODES_ONLY - {"description"})):
        return _description_in_url("orientation/page.html", extra[0])
    if request.method == "GET" and not form.get("commune") and not form.getlist("problems"):
        return render_template("orientation/page.html", body={}, result=None, errors=[],
                               error_fields=set(), **_form_context())
    return _answer_page("orientation/page.html", form)


@bp.route("/orientation/fiche", methods=["GET", "POST"])
def orientation_sheet():
    """Printable orientation sheet (one A4 page), no personal data unless typed on paper."""
    form = request.form if request.method == "POST" else request.args
    if request.method == "GET" and form.get("description", "").strip():
        return _description_in_url("orientation/sheet.html")
    if request.method == "GET" and (extra := sorted(set(form) - CODES_ONLY - {"description"})):
        return _description_in_url("orientation/sheet.html", extra[0])
    return _answer_page("orientation/sheet.html", form)
