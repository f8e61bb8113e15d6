"""Import (preview, then atomic apply) and export of the directory."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlmodel import Session

from directory.datainclusion import to_data_inclusion
from directory.export import dump_entries
from directory.invalid import InvalidInput
from directory.loader import check_text
from directory.storage import all_services, row_to_data
from directory.transfer import check_csv, entries_to_csv, preview_import
from web.security import acting_user, coordinator_required
from web.state import current_state, db_session
from workspace.editing import apply_import
from workspace.help import help_html

bp = Blueprint("transfer", __name__)


@bp.get("/coordination/aide/<name>")
@coordinator_required
def help_page(name: str):
    """A help page of ``docs/`` (the CSV columns) as a page of the workspace."""
    try:
        title, html = help_html(name)
    except KeyError:
        abort(404)
    return render_template("workspace/help.html", title=title, html=html)
MAX_UPLOAD = 5 * 1024 * 1024
# A web import is a network's directory, not a national register (that is « maillage load »).
MAX_IMPORT_ENTRIES = 5000
# The error table shows this many issues; the count says how many there are in all.
SHOWN_ISSUES = 100


def _imports_dir() -> Path:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check(text: str, name: str):
    reference = current_state().reference
    if name.lower().endswith(".csv"):
        return check_csv(text, reference, name, MAX_IMPORT_ENTRIES)
    return check_text(text, reference, name, MAX_IMPORT_ENTRIES)


def _current_data() -> dict[str, dict]:
    return {row.id: row_to_data(row) for row in all_services(db_session())}


@bp.route("/coordination/import", methods=["GET", "POST"])
@coordinator_required
def import_file():
    """Upload a YAML or CSV file and preview additions, changes, removals and errors."""
    if request.method == "GET":
        return render_template("workspace/import.html", result=None, preview=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("workspace/import.html", result=None, preview=None,
                               error="Choisissez un fichier YAML ou CSV."), 400
    raw = upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        return render_template("workspace/import.html", result=None, preview=None,
                               error="Fichier trop volumineux (5 Mo au plus)."), 400
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return render_template("workspace/import.html", result=None, preview=None,
                               error="Le fichier doit être encodé en UTF-8."), 400
    name = Path(upload.filename).name
    result = _check(text, name)
    if not result.ok:
        return render_template("workspace/import.html", result=result, preview=None,
                               shown_issues=SHOWN_ISSUES), 400
    preview = preview_import(_current_data(), [e.to_data() for e in result.entries])
    token = secrets.token_hex(16)
    suffix = ".csv" if name.lower().endswith(".csv") else ".yaml"
    folder = _imports_dir()
    drop_old_previews(folder)
    (folder / f"{token}{suffix}").write_text(text, encoding="utf-8")
    return render_template("workspace/import.html", result=result, preview=preview, token=token + suffix,
                           name=name)


PREVIEW_HOURS = 24  # a preview not applied within a day is deleted (it may hold contacts)


def drop_old_previews(folder: Path, now: float | None = None) -> int:
    """Delete the previews older than ``PREVIEW_HOURS``; return how many."""
    limit = (time.time() if now is None else now) - PREVIEW_HOURS * 3600
    dropped = 0
    for path in folder.glob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                dropped += 1
        except OSError:
            continue  # another process removed it meanwhile
    return dropped


@bp.post("/coordination/import/appliquer")
@coordinator_required
def apply():
    """Apply a previewed file atomically (re-validated: nothing is trusted from the form)."""
    token = request.form.get("token", "")
    if not token or "/" in token or ".." in token:
        abort(400)
    path = _imports_dir() / token
    if not path.exists():
        return render_template("workspace/import.html", result=None, preview=None,
                               error="Aperçu expiré : déposez le fichier à nouveau."), 400
    text = path.read_text(encoding="utf-8")
    result = _check(text, request.form.get("name") or token)
    if not result.ok:
        return render_template("workspace/import.html", result=result, preview=None,
                               shown_issues=SHOWN_ISSUES), 400
    preview = preview_import(_current_data(), [e.to_data() for e in result.entries])
    close_ids = list(preview.removed) if request.form.get("close_missing") else []
    state = current_state()
    try:
        counts = apply_import(state.engine, state.sync, state.reference, result.entries, close_ids,
                              acting_user().email)
    except InvalidInput as error:
        return render_template("workspace/import.html", result=None, preview=None,
                               error=f"Import annulé, rien n'a été modifié : {error.message}"), 400
    path.unlink(missing_ok=True)
    return render_template("workspace/import.html", result=None, preview=None, applied=counts)


@bp.get("/coordination/export")
@coordinator_required
def exports():
    """Export page."""
    return render_template("workspace/export.html")


def _entries() -> list[dict]:
    with Session(current_state().engine) as session:
        return [row_to_data(row) for row in all_services(session)]


@bp.get("/coordination/export/annuaire.yaml")
@coordinator_required
def export_yaml():
    """The directory in the format of data/partners.yaml."""
    return Response(dump_entries(_entries()), mimetype="application/x-yaml",
                    headers={"Content-Disposition": "attachment; filename=annuaire.yaml"})


@bp.get("/coordination/export/annuaire.csv")
@coordinator_required
def export_csv():
    """The directory as CSV (columns documented in docs/CSV.md)."""
    return Response(entries_to_csv(_entries()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=annuaire.csv"})


@bp.get("/api/export/data-inclusion")
def export_data_inclusion():
    """Structures and services in the data·inclusion schema (public data only)."""
    payload = to_data_inclusion(_entries(), current_state().reference)
    response = jsonify(payload)
    if request.args.get("download"):
        response.headers["Content-Disposition"] = "attachment; filename=data-inclusion.json"
    return response


def data_inclusion_json() -> str:
    """The export as indented JSON text (CLI)."""
    return json.dumps(to_data_inclusion(_entries(), current_state().reference), ensure_ascii=False, indent=2)
