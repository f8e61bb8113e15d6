"""Directory files: every error reported at once with file, line, id and field, in French."""

import pytest

from directory.loader import check_file, check_text
from tests.factories import dedent, make_entry, make_yaml

GOOD = make_entry()


def _issues(reference, text):
    return check_text(text, reference, "annuaire.yaml").issues


def _line_of(text: str, needle: str, after: str = "id: fautif") -> int:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines[start:], start + 1) if needle in line)


@pytest.mark.parametrize(("overrides", "field", "needle", "words"), [
    ({"types": ["ccas", "cmpp"]}, "types[1]", "cmpp", "type de service inconnu"),
    ({"problems": ["impayes"]}, "problems[0]", "impayes", "code problème inconnu"),
    ({"site__commune": "99999"}, "site.commune", "99999", "commune inconnue"),
    ({"zone": ["zone:nulle_part"]}, "zone[0]", "nulle_part", "zone nommée inconnue"),
    ({"wait": {"days_min": "deux", "days_max": 10, "saturation": "forte",
               "stated_at": "2024-01-01", "text": None}}, "wait.days_min", "deux",
     "nombre entier"),
    ({"wait": {"days_min": 30, "days_max": 10, "saturation": "forte",
               "stated_at": "2024-01-01", "text": None}}, "wait", "days_min: 30",
     "délai minimum supérieur"),
    ({"wait": {"days_min": 1, "days_max": 10, "saturation": "forte",
               "stated_at": "hier", "text": None}}, "wait.stated_at", "hier", "date invalide"),
    ({"hours": {"osm": "lundi 9h-12h", "text": None, "source": None}}, "hours.osm",
     "lundi 9h-12h", "horaires illisibles"),
    ({"contacts__phone": {"number": "02 43 00 00 12", "placeholder": False, "source": "x"}},
     "contacts.phone", "02 43 00 00 12", "placeholder doit valoir true"),
    ({"contacts__phone": {"number": "12345", "placeholder": True, "source": None}},
     "contacts.phone.number", "12345", "numéro de téléphone invalide"),
    ({"status": "ouvert"}, "status", "ouvert", "valeur non permise"),
    ({"last_verified_at": "2999-01-01"}, "last_verified_at", "2999-01-01", "futur"),
    ({"eligibility__requires": ["notif"]}, "eligibility.requires[0]", "notif",
     "condition inconnue"),
    ({"colour": "bleu"}, "colour", "colour", "champ inconnu"),
])
def test_each_error_names_file_line_id_and_field(reference, overrides, field, needle, words):
    text = make_yaml(make_entry(id="premier"), make_entry(id="fautif", **overrides))
    issues = _issues(reference, text)
    assert len(issues) == 1, issues
    issue = issues[0]
    assert (issue.file, issue.entry_id, issue.field) == ("annuaire.yaml", "fautif", field)
    assert issue.line == _line_of(text, needle)
    assert words in issue.message
    assert str(issue).startswith(f"annuaire.yaml:{issue.line} · entrée « fautif » · champ {field}")


@pytest.mark.parametrize("missing", ["name", "types", "site", "zone", "status", "source",
                                     "last_verified_at"])
def test_missing_required_field_is_reported(reference, missing):
    entry = make_entry(id="incomplet")
    del entry[missing]
    issues = _issues(reference, make_yaml(entry))
    assert [(i.entry_id, i.field, i.message) for i in issues] == [
        ("incomplet", missing, "champ obligatoire manquant")]
    assert issues[0].line == 2  # the entry's first line


def test_duplicate_id_points_to_second_occurrence(reference):
    text = make_yaml(make_entry(id="double"), make_entry(id="double", name="Autre"))
    issues = _issues(reference, text)
    assert [(i.entry_id, i.field) for i in issues] == [("double", "id")]
    lines = [i for i, line in enumerate(text.splitlines(), 1) if "id: double" in line]
    assert issues[0].line == lines[1]
    assert f"ligne {lines[0]}" in issues[0].message


def test_bad_yaml_syntax_gives_the_line(reference):
    text = dedent("""
        services:
          - id: a
            name: "non fermé
            types: [ccas]
        """)
    issues = _issues(reference, text)
    assert len(issues) == 1
    assert issues[0].field == "(fichier)"
    assert "syntaxe YAML invalide" in issues[0].message
    assert issues[0].line in (3, 4, 5)


def test_document_without_services_list(reference):
    issues = _issues(reference, "titre: annuaire\n")
    assert [i.message for i in issues] == ["le fichier doit contenir une liste « services: » d'entrées"]


def test_all_errors_are_reported_at_once(reference):
    text = make_yaml(make_entry(id="a", types=["inconnu"]),
                     make_entry(id="b", problems=["nope"], site__commune="00000"),
                     make_entry(id="c"))
    issues = _issues(reference, text)
    assert sorted((i.entry_id, i.field) for i in issues) == [
        ("a", "types[0]"), ("b", "problems[0]"), ("b", "site.commune")]


def test_unreadable_file(reference, tmp_path):
    result = check_file(tmp_path / "absent.yaml", reference)
    assert not result.ok and "lecture impossible" in result.issues[0].message


def test_domain_defaults_to_first_type(reference):
    entry = make_entry(types=["cmp"], domain=None)
    result = check_text(make_yaml(entry), reference)
    assert result.ok and result.entries[0].domain == "sante"
