"""CSV import/export, import preview and field-by-field differences (plain Python)."""

import csv
import io
import re

import pytest

from directory.diff import ENTRY_PATHS, FIELD_LABELS, FieldChange, describe, diff_entries, flatten
from directory.loader import check_file
from directory.paths import DATA_DIR, PROJECT_ROOT
from directory.schema import validate_entry
from directory.transfer import CSV_COLUMNS, check_csv, entries_to_csv, parse_csv, preview_import
from tests.factories import make_entry

WAIT = {"days_min": 10, "days_max": 30, "saturation": "forte", "stated_at": "2024-02-01",
        "text": "Selon la saison"}


def _data(reference, raw: dict) -> dict:
    """The normalised ``to_data()`` of a raw entry (fails the test if it is invalid)."""
    entry, errors = validate_entry(raw, reference)
    assert not errors, errors
    return entry.to_data()


def _rows(*entries: dict) -> list[dict]:
    """Cells of the exported rows, column → text, to be edited by a test."""
    return list(csv.DictReader(io.StringIO(entries_to_csv(list(entries))), delimiter=";"))


def _write(rows: list[dict], columns=CSV_COLUMNS, delimiter=";") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return buffer.getvalue()


# --- Columns ------------------------------------------------------------------------------

def test_columns_are_the_flat_paths_of_an_entry_in_schema_order():
    assert CSV_COLUMNS == ENTRY_PATHS == tuple(flatten(make_entry()))
    assert tuple(flatten(make_entry(wait=None, hours=None, contacts__phone=None))) == CSV_COLUMNS
    assert {"site.commune", "wait.days_max", "contacts.phone.number", "types"} <= set(CSV_COLUMNS)


def test_every_column_has_a_french_label_and_is_documented():
    assert set(FIELD_LABELS) == set(CSV_COLUMNS)
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", (PROJECT_ROOT / "docs" / "CSV.md")
                                .read_text(encoding="utf-8"), re.MULTILINE))
    assert documented == set(CSV_COLUMNS)


# --- Round trip ---------------------------------------------------------------------------

def test_bundled_directory_round_trips_through_csv(reference):
    loaded = check_file(DATA_DIR / "partners.yaml", reference)
    assert loaded.ok, loaded.issues[:5]
    original = [entry.to_data() for entry in loaded.entries]
    text = entries_to_csv(original)
    assert text.splitlines()[0] == ";".join(CSV_COLUMNS)
    result = check_csv(text, reference, "annuaire.csv")
    assert result.ok, result.issues[:5]
    assert [entry.to_data() for entry in result.entries] == original
    preview = preview_import({data["id"]: data for data in original},
                             [entry.to_data() for entry in result.entries])
    assert preview.counts == {"added": 0, "changed": 0, "removed": 0, "unchanged": len(original)}
    assert not preview.has_changes


def test_awkward_values_round_trip(reference):
    tricky = make_entry(
        id="difficile", wait=WAIT, anonymous=False, contacts__phone=None,
        site__lat=47.9956, site__lon=-0.1996, site__address_confidential=True,
        hours={"osm": "Mo-Fr 09:00-12:00; PH off", "text": None, "source": None},
        description='Ligne 1 ; avec "guillemets"\nLigne 2, suite',
        notes="=HYPERLINK(\"http://exemple.invalid\")", verified_by="'=déjà protégé",
        referral__documents=["Dossier FSL", "Évaluation sociale"],
        eligibility__requires=[], eligibility__age_min=18,
    )
    original = [_data(reference, tricky), _data(reference, make_entry(id="simple"))]
    text = entries_to_csv(original)
    exported = next(csv.DictReader(io.StringIO(text), delimiter=";"))
    # A spreadsheet must not run these cells as formulas.
    assert exported["notes"].startswith("'=HYPERLINK(") and exported["verified_by"] == "''=déjà protégé"
    result = check_csv(text, reference, "annuaire.csv")
    assert result.ok, result.issues
    assert [entry.to_data() for entry in result.entries] == original


def test_a_list_item_holding_the_list_separator_is_refused():
    with pytest.raises(ValueError, match="interdit"):
        entries_to_csv([make_entry(referral__documents=["Bail | quittance"])])


# --- Reading ------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [";", ","])
def test_both_separators_are_read(reference, delimiter):
    text = _write(_rows(make_entry(id="un"), make_entry(id="deux", wait=WAIT)), delimiter=delimiter)
    result = check_csv(text, reference, "annuaire.csv")
    assert result.ok, result.issues
    assert [entry.id for entry in result.entries] == ["un", "deux"]
    assert result.entries[1].wait.days_max == 30


def test_spreadsheet_habits_are_accepted(reference):
    row = _rows(make_entry(id="tableur"))[0]
    row.update({"anonymous": "VRAI", "site.address_confidential": "0", "site.lat": "47,9956",
                "site.lon": "0,1996", "last_verified_at": "15/01/2024", "cost": "",
                "zone": "72003|zone:secteur_cmp_sable|", "wait.stated_at": "", "wait.text": ""})
    text = "\ufeff" + _write([row]).replace("\n", "\r\n")
    raw, lines, issues = parse_csv(text.encode("utf-8"), "tableur.csv")
    assert (lines, issues) == ([2], [])
    assert raw[0]["site"]["lat"] == 47.9956 and raw[0]["wait"] is None
    entry = check_csv(text, reference, "tableur.csv").entries[0]
    assert entry.anonymous is True and entry.site.address_confidential is False
    assert entry.last_verified_at.isoformat() == "2024-01-15"
    assert entry.cost == "inconnu"  # empty cell: the field's default
    assert entry.zone == ["72003", "zone:secteur_cmp_sable"]


def _edit_row(column: str, value: str):
    def edit(rows, columns):
        rows[1][column] = value
        return _write(rows, columns)
    return edit


def _unknown_column(rows, columns):
    for row in rows:
        row["couleur"] = "bleu"
    return _write(rows, (*columns, "couleur"))


def _duplicate_id(rows, columns):
    rows[1]["id"] = "premier"
    return _write(rows, columns)


def _short_row(rows, columns):
    lines = _write(rows, columns).splitlines()
    lines[2] = lines[2].rsplit(";", 3)[0]
    return "\n".join(lines) + "\n"


def _missing_column(rows, columns):
    return _write(rows, tuple(column for column in columns if column != "notes"))


def _no_header(rows, columns):
    return _write(rows, columns).split("\n", 1)[1]


@pytest.mark.parametrize(("edit", "line", "entry_id", "field", "words"), [
    (_unknown_column, 1, None, "couleur", "colonne inconnue"),
    (_missing_column, 1, None, "notes", "colonne manquante"),
    (_edit_row("eligibility.age_min", "douze"), 3, "fautif", "eligibility.age_min", "nombre entier"),
    (_edit_row("types", "ccas|cmpp"), 3, "fautif", "types[1]", "type de service inconnu"),
    (_edit_row("contacts.phone.placeholder", "peut-être"), 3, "fautif",
     "contacts.phone.placeholder", "oui ou non"),
    (_edit_row("last_verified_at", "hier"), 3, "fautif", "last_verified_at", "date invalide"),
    (_edit_row("name", ""), 3, "fautif", "name", "champ obligatoire manquant"),
    (_duplicate_id, 3, "premier", "id", "identifiant en double (déjà utilisé ligne 2)"),
    (_short_row, 3, "fautif", "(ligne)", "44 cellules au lieu de 47"),
    (_no_header, 1, None, "(en-tête)", "en-tête manquant"),
    (lambda rows, columns: "", None, None, "(fichier)", "fichier vide"),
    (lambda rows, columns: "\n" + ";".join(columns) + "\n", None, None, "(fichier)", "aucune entrée"),
])
def test_each_csv_error_names_line_entry_and_field(reference, edit, line, entry_id, field, words):
    text = edit(_rows(make_entry(id="premier"), make_entry(id="fautif")), CSV_COLUMNS)
    result = check_csv(text, reference, "annuaire.csv")
    assert len(result.issues) == 1, result.issues
    issue = result.issues[0]
    assert (issue.file, issue.line, issue.entry_id, issue.field) == ("annuaire.csv", line, entry_id, field)
    assert words in issue.message


def test_all_errors_at_once_with_lines_after_multiline_cells(reference):
    rows = _rows(make_entry(id="premier", description="Trois\nlignes\nde texte"),
                 make_entry(id="deuxieme"), make_entry(id="troisieme"))
    rows[1]["eligibility.age_min"] = "douze"
    rows[2]["status"] = "ouvert"
    result = check_csv(_write(rows), reference, "annuaire.csv")
    assert [(issue.line, issue.entry_id, issue.field) for issue in result.issues] == [
        (5, "deuxieme", "eligibility.age_min"), (6, "troisieme", "status")]
    assert [entry.id for entry in result.entries] == ["premier"]


def test_bad_encoding_is_reported_with_its_line(reference):
    text = _write(_rows(make_entry(id="premier", sectorisation=None),
                        make_entry(id="fautif", sectorisation=None, name="Équipe")))
    for data in (text.encode("latin-1"), text.encode("latin-1").decode("utf-8", errors="replace")):
        issues = check_csv(data, reference, "annuaire.csv").issues
        assert [(issue.line, issue.field) for issue in issues] == [(3, "(fichier)")]
        assert "UTF-8" in issues[0].message


# --- Preview ------------------------------------------------------------------------------

def test_preview_counts_added_changed_removed_unchanged():
    current = {entry["id"]: entry for entry in (
        make_entry(id="garde"), make_entry(id="modifie"), make_entry(id="absent"),
        make_entry(id="deja-ferme", status="closed"))}
    incoming = [make_entry(id="nouveau"), make_entry(id="garde"),
                make_entry(id="modifie", name="Nouveau nom", problems=["impayes_loyer", "incurie"])]
    preview = preview_import(current, incoming)
    assert preview.counts == {"added": 1, "changed": 1, "removed": 1, "unchanged": 1}
    assert [data["id"] for data in preview.added] == ["nouveau"]
    data, changes = preview.changed[0]
    assert data["id"] == "modifie"
    assert [change.field for change in changes] == ["name", "problems"]
    assert preview.removed == ["absent"]  # already closed entries are not removed again
    assert preview.unchanged == ["garde"]
    assert preview.has_changes


def test_preview_refuses_duplicate_ids():
    with pytest.raises(ValueError, match="double"):
        preview_import({}, [make_entry(id="un"), make_entry(id="un")])


# --- Differences --------------------------------------------------------------------------

def test_creation_lists_only_filled_fields():
    changes = {change.field: change for change in diff_entries(None, make_entry())}
    assert changes["name"] == FieldChange("name", None, "CCAS de test")
    assert changes["types"].new == ["ccas"]
    assert "wait.days_max" not in changes and "eligibility.requires" not in changes
    assert list(changes) == sorted(changes)


def test_removal_lists_every_filled_field_as_gone():
    changes = diff_entries(make_entry(), None)
    assert {change.new for change in changes} == {None}
    assert describe(next(c for c in changes if c.field == "site.commune")) == "Commune : 72003 → (vide)"


def test_list_and_nested_changes():
    old = make_entry(zone=["72003"], wait=None)
    new = make_entry(zone=["72003", "zone:secteur_cmp_sable"], wait=WAIT,
                     contacts__phone__number="02 43 00 00 98")
    changes = diff_entries(old, new)
    assert [change.field for change in changes] == [
        "contacts.phone.number", "wait.days_max", "wait.days_min", "wait.saturation",
        "wait.stated_at", "wait.text", "zone"]
    shown = [describe(change) for change in changes]
    assert shown[0] == "Téléphone : 02 43 00 00 99 → 02 43 00 00 98"
    assert shown[1] == "Délai maximum (jours) : (vide) → 30"
    assert shown[-1] == "Territoire couvert : ajouté zone:secteur_cmp_sable"
    assert changes[0].as_dict() == {"field": "contacts.phone.number",
                                    "old": "02 43 00 00 99", "new": "02 43 00 00 98"}


def test_empty_values_are_equal_but_false_is_not_empty():
    assert diff_entries(make_entry(problems=[], notes=None), make_entry(problems=None, notes="")) == []
    change = diff_entries(make_entry(anonymous=None), make_entry(anonymous=False))
    assert [describe(c) for c in change] == ["Anonymat : (vide) → non"]
    assert diff_entries(make_entry(wait={**WAIT, "days_max": 30}),
                        make_entry(wait={**WAIT, "days_max": 90})) == [FieldChange("wait.days_max", 30, 90)]


def test_describe_uses_labels_and_cuts_long_texts():
    assert describe(FieldChange("status", "active", "closed")) == "Statut : active → closed"
    assert describe(FieldChange("last_verified_at", "2020-06-01", "2024-01-15")) == \
        "Dernière vérification : 2020-06-01 → 2024-01-15"
    long = describe(FieldChange("description", None, "mot " * 100))
    assert long.startswith("Description : (vide) → mot mot") and long.endswith("…")
    assert len(long) < 120
    assert describe(FieldChange("inconnu.champ", 1, 2)) == "inconnu.champ : 1 → 2"


def test_import_previews_are_deleted_after_a_day(tmp_path):
    import os
    import time

    from web.views.transfer import PREVIEW_HOURS, drop_old_previews

    old, recent = tmp_path / "ancien.yaml", tmp_path / "recent.yaml"
    old.write_text("x", encoding="utf-8")
    recent.write_text("y", encoding="utf-8")
    past = time.time() - (PREVIEW_HOURS + 1) * 3600
    os.utime(old, (past, past))
    assert drop_old_previews(tmp_path) == 1
    assert not old.exists() and recent.exists()
