"""No page loads a script, stylesheet, font or image from another host."""

import re

import pytest

from tests.conftest import parse_html

PAGES = ["/", "/annuaire", "/annuaire?q=il+boit&commune=72003", "/services/departement-ase-crip",
         "/services/cmp-sable", "/orientation", "/orientation?commune=72003&problems=incurie",
         "/carte", "/carte?coverage=cmp&type=csapa", "/inexistant"]
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def _asset_urls(page) -> list[str]:
    urls = [tag["src"] for tag in page.select("script[src], img[src], iframe[src], source[src]")]
    urls += [tag["href"] for tag in page.select("link[href]")]
    for style in page.select("style"):
        urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", style.get_text())
        urls += re.findall(r"@import\s+['\"]([^'\"]+)", style.get_text())
    return urls


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_external_asset(client, path):
    response = client.get(path)
    page = parse_html(response)
    external = [u for u in _asset_urls(page) if EXTERNAL.match(u)]
    assert external == []
    for url in _asset_urls(page):
        if url.startswith("/static/"):
            with client.get(url) as asset:
                assert asset.status_code == 200, url


WORKSPACE_PAGES = ["/connexion", "/coordination/", "/coordination/services/nouveau",
                   "/coordination/services/ccas-allonnes/modifier", "/coordination/services/ccas-allonnes/historique",
                   "/coordination/couverture", "/coordination/import", "/coordination/export",
                   "/coordination/comptes"]


@pytest.mark.parametrize("path", WORKSPACE_PAGES)
def test_workspace_pages_have_no_external_asset(app, client, path, state):
    from sqlmodel import Session

    from workspace.accounts import create_user

    with Session(state.engine) as session:
        create_user(session, "admin@example.org", "mot de passe assez long", "admin")
        session.commit()
    client.post("/connexion", data={"email": "admin@example.org", "password": "mot de passe assez long"})
    response = client.get(path)
    assert response.status_code == 200
    assert [u for u in _asset_urls(parse_html(response)) if EXTERNAL.match(u)] == []


def test_print_sheet_has_no_external_asset(client):
    page = parse_html(client.post("/orientation/fiche", data={"commune": "72003", "problems": "incurie"}))
    assert [u for u in _asset_urls(page) if EXTERNAL.match(u)] == []


def test_vendored_css_references_nothing_external():
    from directory.paths import PROJECT_ROOT

    for css in (PROJECT_ROOT / "static").rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        refs = re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text)
        assert [r for r in refs if EXTERNAL.match(r)] == [], css
