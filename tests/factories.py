"""Factories for test data: each test states only what matters to it."""

from __future__ import annotations

import copy
import textwrap

import yaml

BASE_ENTRY = {
    "id": "ccas-test",
    "ref": "ajout",
    "name": "CCAS de test",
    "operator": "Ville de test",
    "types": ["ccas"],
    "domain": "droit_commun",
    "description": "Accueil social de la commune.",
    "site": {"commune": "72003", "address": None, "address_confidential": False,
             "lat": None, "lon": None},
    "zone": ["72003"],
    "zone_label": "Allonnes",
    "sectorisation": "Par commune de résidence",
    "eligibility": {"age_min": None, "age_max": None, "requires": [], "text": None},
    "referral": {"by": ["self", "travailleur_social"], "documents": [], "text": None},
    "cost": "gratuit",
    "anonymous": None,
    "wait": None,
    "contacts": {"phone": {"number": "02 43 00 00 99", "placeholder": True, "source": None},
                 "email": None, "website": None},
    "hours": None,
    "problems": ["impayes_loyer"],
    "status": "illustrative",
    "source": "Test",
    "confidence": "ILL",
    "last_verified_at": "2024-01-15",
    "verified_by": None,
    "notes": None,
    "identifiers": {"finess": None, "siret": None, "data_inclusion": None},
}


def make_entry(**overrides) -> dict:
    """A valid entry dict; nested keys with ``__`` (``site__commune="72181"``)."""
    entry = copy.deepcopy(BASE_ENTRY)
    for key, value in overrides.items():
        target = entry
        parts = key.split("__")
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value
    return entry


def make_yaml(*entries: dict) -> str:
    """A directory file holding these entries."""
    return yaml.safe_dump({"services": list(entries)}, sort_keys=False, allow_unicode=True)


def dedent(text: str) -> str:
    """Strip the common indentation of an inline YAML snippet."""
    return textwrap.dedent(text).lstrip("\n")


PASSWORD = "correct horse battery"


def login(client, email="coord@example.org", password=PASSWORD, **kwargs):
    """POST the login form (``kwargs`` go to the test client: headers, environ_base…)."""
    return client.post("/connexion", data={"email": email, "password": password}, **kwargs)


def orient(client, **body) -> dict:
    """POST an orientation request and return its JSON answer (asserting a 200)."""
    response = client.post("/api/orientations", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def load_entries(runner, tmp_path, *entries: dict) -> None:
    """Load entries into the test database with ``maillage load`` (asserting it succeeds)."""
    file = tmp_path / "lot.yaml"
    file.write_text(make_yaml(*entries), encoding="utf-8")
    result = runner.invoke(args=["load", str(file)])
    assert result.exit_code == 0, result.output


def pending_proposals(state) -> list:
    """The import proposals waiting for a coordinator's decision."""
    from sqlmodel import Session

    from workspace.review import pending

    with Session(state.engine) as session:
        return pending(session)
