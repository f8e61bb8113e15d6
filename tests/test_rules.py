"""The rules file: validated like the directory (file, line, rule id, field, French), and
every rule described and exercised by at least one case."""

from pathlib import Path

import pytest
import yaml

from directory.paths import DATA_DIR
from recommender.rules import check_rules_file, check_rules_text

CASES = Path(__file__).parent / "cases"


@pytest.fixture(scope="module")
def rules_text():
    return (DATA_DIR / "rules.yaml").read_text(encoding="utf-8")


def test_bundled_rules_are_valid(reference):
    result = check_rules_file(DATA_DIR / "rules.yaml", reference.taxonomy)
    assert result.ok, [str(i) for i in result.issues]
    ids = [r.id for r in result.rules.rules]
    assert all(r.description for r in result.rules.rules)
    assert {f"R{n:02d}" for n in range(1, 43)} <= {i[:3] for i in ids}


def _mutate(text: str, rule_id: str, old: str, new: str) -> str:
    start = text.index(f"- id: {rule_id}\n")
    end = text.find("\n  - id: ", start + 5)
    block = text[start:end]
    assert old in block, (rule_id, old)
    return text[:start] + block.replace(old, new, 1) + text[end:]


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("type: fsl", "type: fsll", "propose[", "type de service inconnu « fsll »"),
    ("impayes_loyer", "impayes", "when.problems_any[", "code problème inconnu « impayes »"),
    ("weight: ", "weight: 1", "weight", "au plus"),
    ("description: ", "descriptio: ", "description", "champ obligatoire manquant"),
])
def test_rule_errors_name_file_line_rule_and_field(reference, rules_text, old, new, field, words):
    text = _mutate(rules_text, "R22", old, new)
    issues = check_rules_text(text, reference.taxonomy, "rules.yaml").issues
    assert issues, "mutation not detected"
    issue = next(i for i in issues if i.entry_id == "R22")
    assert issue.file == "rules.yaml" and issue.field.startswith(field.rstrip("["))
    assert words in issue.message
    assert issue.line is not None
    if old != "description: ":
        assert new.split(":")[0].strip() in text.splitlines()[issue.line - 1]


def test_duplicate_rule_id(reference, rules_text):
    text = _mutate(rules_text, "R22", "- id: R22", "- id: R21")
    issues = check_rules_text(text, reference.taxonomy).issues
    assert any("identifiant de règle en double" in i.message for i in issues)


def test_unknown_household_condition(reference, rules_text):
    text = _mutate(rules_text, "R22", "contact_etabli: [oui, partiel, inconnu]", "salaire_min: 2")
    issues = check_rules_text(text, reference.taxonomy).issues
    assert [(i.entry_id, i.field) for i in issues] == [("R22", "when.household.salaire_min")]


def test_bad_yaml_is_reported_with_its_line(reference):
    issues = check_rules_text("rules:\n  - id: R01\n    description: [\n", reference.taxonomy).issues
    assert issues[0].field == "(fichier)" and issues[0].line


def test_every_rule_is_exercised_by_a_case(client):
    from recommender.rules import load_rules

    cases = [c for name in ("vignettes_public.yaml", "vignettes_own.yaml")
             for c in yaml.safe_load((CASES / name).read_text(encoding="utf-8"))]
    applied = set()
    for case in cases:
        answer = client.post("/api/orientations", json=case["request"]).get_json()
        applied |= set(answer["rules_applied"])
    rules = load_rules(str(DATA_DIR / "rules.yaml"),
                       client.application.extensions["maillage"].reference.taxonomy)
    assert {r.id for r in rules.rules} - applied == set()
