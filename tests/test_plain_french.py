"""The reference's working marks ([V:R16], [?], [K], « S3; V:R47 », « REFERENCE §8.6 »,
« (usage interne) ») never reach a page outside the coordinator's views: they are said in
plain French (« à confirmer », « fiche projet … (2014) »), and coordinators keep them."""

import re

import pytest
from sqlmodel import Session, select

from directory.models import Service
from directory.plain import PROJECT_SHEET, plain_source, plain_text
from tests.conftest import parse_html

INTERNAL_MARK = re.compile(r"\[(?:V:[^\]]*|\?|K|ILL|S\d)\]|V:R\d+|REFERENCE|§|usage interne|\bS[0-4]\b")
THREE_PROBLEMS = ("/orientation?problems=impayes_loyer&problems=addiction_alcool"
                  "&problems=troubles_psychiques_suspectes&commune=Le+Mans")


@pytest.mark.parametrize(("text", "expected"), [
    ("pas besoin d'adressage par le médecin traitant [V:R16].", "pas besoin d'adressage par le médecin traitant."),
    ("Délai fixé par le règlement intérieur [?].", "Délai fixé par le règlement intérieur (à confirmer)."),
    ("Anonymat : connaissance générale [K].", "Anonymat : connaissance générale (à confirmer)."),
    ("Statut à vérifier (REFERENCE §8.6, point 5) ; site au Mans [?].",
     "Statut à vérifier ; site au Mans (à confirmer)."),
    ("Charger le règlement (seuils) — REFERENCE §8.6, point 7. Coordonnées à vérifier.",
     "Charger le règlement (seuils). Coordonnées à vérifier."),
    ("Antennes locales (réseau CLIC, REFERENCE §8.6, point 8).", "Antennes locales (réseau CLIC)."),
    ("Siège : Le Mans (V:R43) — adresse à confirmer.", "Siège : Le Mans — adresse à confirmer."),
    ("dans la semaine (usage interne)", "dans la semaine"),
    ("couverture régionale à confirmer [?]", "couverture régionale à confirmer"),
    (None, ""),
])
def test_plain_text(text, expected):
    assert plain_text(text) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("S3", f"{PROJECT_SHEET} (2014)"),
    ("S3; V:R42 (sarthe.fr 2023 ; Le Journal des entreprises 2023)",
     f"{PROJECT_SHEET} (2014) ; sarthe.fr 2023 ; Le Journal des entreprises 2023"),
    ("V:R47", "source publique"),
    ("S3; V:R22", f"{PROJECT_SHEET} (2014) ; source publique"),
    ("V:R31 (2022); K", "source publique (2022) ; connaissance générale, non vérifiée"),
    ("V:R40 (Le Maine Libre 2017, ligne du BAVI) — à re-vérifier",
     "Le Maine Libre 2017, ligne du BAVI — à re-vérifier"),
    ("V:R37; V:R45; ?", "source publique ; information incertaine"),
    ("S2; S3", f"{PROJECT_SHEET} (2014)"),
    ("K; ILL", "connaissance générale, non vérifiée ; fiche d'exemple"),
    ("", "non renseignée"),
])
def test_plain_source(source, expected):
    assert plain_source(source) == expected


def _visible_text(response) -> str:
    page = parse_html(response)
    for element in page(["script", "style"]):
        element.decompose()
    return page.get_text(" ")


def _every_service_id(app) -> list[str]:
    with Session(app.extensions["maillage"].engine) as session:
        return list(session.exec(select(Service.id)))


def test_no_internal_mark_on_any_public_page(shared_app, shared_client):
    pages = [f"/services/{service_id}" for service_id in _every_service_id(shared_app)]
    pages += [THREE_PROBLEMS, THREE_PROBLEMS.replace("/orientation?", "/orientation/fiche?"),
              "/annuaire?q=imp%C3%A9s&commune=Le+Mans", "/annuaire?q=il+boit", "/"]
    marked = {}
    for page in pages:
        response = shared_client.get(page)
        assert response.status_code == 200, page
        found = INTERNAL_MARK.findall(_visible_text(response))
        if found:
            marked[page] = found
    # Free text is posted, never put in an address.
    response = shared_client.post("/orientation", data={"description": "courrier qui déborde, volets fermés, odeur",
                                                        "role": "gardien", "commune": "Le Mans"})
    assert response.status_code == 200
    marked["gardien"] = INTERNAL_MARK.findall(_visible_text(response))
    assert {page: found for page, found in marked.items() if found} == {}


def test_the_public_api_says_the_source_in_words(shared_client):
    body = shared_client.get("/api/services/centre-antipoison-angers").get_json()
    assert body["source"] == body["source_label"] and not INTERNAL_MARK.search(body["source"])


def test_coordinators_keep_the_references(client, coordinator):
    page = parse_html(client.get("/services/centre-antipoison-angers"))
    footer = page.select_one("footer.verification").get_text(" ")
    assert "V:R47" in footer
