"""Pages and API answers, parsed (HTML with BeautifulSoup, JSON with the client)."""

import pytest

from tests.conftest import parse_html

EMERGENCY = ["15", "17", "18", "112", "114", "115", "119", "3919", "3114"]


def test_healthz_counts_services(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["services"] >= 55


@pytest.mark.parametrize("path", ["/", "/services/departement-ase-crip", "/nulle-part"])
def test_every_page_shows_emergency_numbers_as_tel_links(client, path):
    page = parse_html(client.get(path))
    block = page.select_one(".emergency")
    dialled = {a["href"].split(":", 1)[1] for a in block.select("a[href]")}
    assert set(EMERGENCY) <= dialled
    assert block.select_one('a[href="sms:114"]') is not None


def test_service_sheet_shows_what_matters(client):
    response = client.get("/services/departement-ase-crip")
    assert response.status_code == 200
    page = parse_html(response)
    assert page.h1.get_text(strip=True)
    headings = [h.get_text(strip=True) for h in page.select("main h2")]
    assert headings == ["Ce que fait la structure", "Pour qui, à quelles conditions",
                        "Comment orienter", "Délai d'attente", "Contact",
                        "Territoire desservi"]
    verification = page.select_one(".verification time")
    assert verification["datetime"]
    assert page.select_one('main a[href="tel:0253044239"]') is not None


def test_unknown_service_gives_french_404_page(client):
    response = client.get("/services/inexistant")
    assert response.status_code == 404
    page = parse_html(response)
    assert page.h1.get_text(" ", strip=True).startswith("Page introuvable")
    assert page.html["lang"] == "fr"


def test_api_service_detail(client):
    response = client.get("/api/services/departement-ase-crip")
    body = response.get_json()
    assert response.status_code == 200
    assert body["id"] == "departement-ase-crip" and "crip" in body["types"]
    assert body["phone"] == {"number": "02 53 04 42 39", "placeholder": False,
                             "dial": "0253044239", "source": body["phone"]["source"]}
    assert body["last_verified_at"]


def test_api_unknown_service_is_json_404(client):
    response = client.get("/api/services/inexistant")
    assert response.status_code == 404
    assert response.get_json()["field"] == "id"


def test_api_placeholder_phone_has_no_dial(client):
    body = client.get("/api/services?limit=100").get_json()
    placeholders = [r for r in body["results"] if r["phone"] and r["phone"]["placeholder"]]
    assert placeholders
    assert all(r["phone"]["dial"] is None for r in placeholders)


def test_api_listing_paginates(client):
    first = client.get("/api/services?limit=5&offset=0").get_json()
    second = client.get("/api/services?limit=5&offset=5").get_json()
    assert first["total"] >= 55 and len(first["results"]) == 5
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


@pytest.mark.parametrize(("query", "field"), [
    ("limit=abc", "limit"), ("limit=0", "limit"), ("limit=1000", "limit"),
    ("offset=-1", "offset"), ("offset=1.5", "offset"),
])
def test_api_bad_parameters_are_400_naming_the_field(client, query, field):
    response = client.get(f"/api/services?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field and body["error"]


@pytest.mark.parametrize(("query", "expected"), [
    ("sablé", "72264"), ("Sable sur", "72264"), ("72190", "72095"), ("le mans", "72181"),
])
def test_api_communes_autocomplete(client, query, expected):
    body = client.get("/api/communes", query_string={"q": query, "departement": "72"}).get_json()
    assert body["results"][0]["insee"] == expected


def test_api_communes_empty_query(client):
    assert client.get("/api/communes?q=").get_json() == {"results": []}


def test_api_unknown_route_is_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404 and response.is_json


def test_unexpected_error_gives_french_500_page(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    page = parse_html(response)
    assert page.h1.get_text(" ", strip=True).startswith("Erreur interne")


def test_the_coverage_view_fits_the_territory_not_every_service():
    import re

    from web.maps.builders import TileSettings, cartography_map

    far = {"sante": [[43.3, 5.37, "marseille", "Loin", "#047857", "CMP"]]}
    coverage = [{"name": "Le Mans", "lat": 48.0, "lon": 0.2, "status": "covered"},
                {"name": "Mamers", "lat": 48.35, "lon": 0.37, "status": "not_covered"}]
    script = cartography_map(far, {"sante": "Santé"}, coverage, TileSettings("", "")).script
    bounds = re.search(r"fitBounds\(\s*\[\[([\d.\-]+),\s*([\d.\-]+)\],\s*\[([\d.\-]+),\s*([\d.\-]+)\]\]", script)
    assert bounds is not None
    assert [float(v) for v in bounds.groups()] == [48.0, 0.2, 48.35, 0.37]
