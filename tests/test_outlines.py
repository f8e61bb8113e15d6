"""Commune outlines for the coverage choropleth (data/outlines-72.geojson)."""

from __future__ import annotations

import json
import re

import pytest

from directory.outlines import outline_path, outlined_communes
from tests.conftest import parse_html
from web.maps.builders import Outlines, TileSettings, cartography_map
from web.settings import DATA_DIR


def test_every_commune_of_the_sarthe_has_a_light_outline(reference):
    codes = outlined_communes(DATA_DIR, "72")
    assert codes == set(reference.gazetteer.communes_of_departement("72"))
    # Simplified at build time: a whole département's outlines stay small.
    assert outline_path(DATA_DIR, "72").stat().st_size < 400_000


@pytest.mark.parametrize("departement", ["99", "..", "72.geojson", "7"])
def test_no_outline_for_an_unknown_or_odd_departement(departement):
    assert outline_path(DATA_DIR, departement) is None


def test_the_outlines_are_served_locally_and_cached(shared_client):
    with shared_client.get("/carte/contours/72.geojson") as response:
        assert response.status_code == 200 and response.mimetype == "application/geo+json"
        assert "max-age=86400" in response.headers["Cache-Control"]
        collection = json.loads(response.get_data())
    assert len(collection["features"]) == 352
    assert {f["geometry"]["type"] for f in collection["features"]} <= {"Polygon", "MultiPolygon"}
    assert shared_client.get("/carte/contours/99.geojson").status_code == 404


def _script_call(script: str, function: str) -> list:
    """The JSON arguments of ``Maillage.<function>(map, …)`` in a map script."""
    found = re.search(rf"Maillage\.{function}\([^,]+,\s*(.+?)\);\n", script, re.S)
    assert found, f"no {function} call"
    # folium writes JavaScript literals: trailing commas allowed.
    return json.loads(re.sub(r",\s*([}\]])", r"\1", f"[{found.group(1)}]"))


def test_communes_with_an_outline_become_areas_the_others_circles():
    coverage = [{"insee": "72181", "name": "Le Mans", "lat": 48.0, "lon": 0.2, "status": "covered"},
                {"insee": "72003", "name": "Allonnes", "lat": 47.97, "lon": 0.16, "status": "not_covered"}]
    script = cartography_map({}, {}, coverage, TileSettings("", ""),
                             Outlines("/carte/contours/72.geojson", frozenset({"72181"}))).script
    url, areas = _script_call(script, "addAreas")
    assert url == "/carte/contours/72.geojson"
    assert [(a["insee"], a["className"], a["tooltip"]) for a in areas] == [
        ("72181", "coverage coverage--covered", "Le Mans : couverte")]
    (circles,) = _script_call(script, "addMarkers")
    assert [c["tooltip"] for c in circles] == ["Allonnes : non couverte"]


def test_the_coverage_page_draws_a_choropleth_with_its_legend(shared_client):
    page = parse_html(shared_client.get("/carte", query_string={"coverage": "ccas"}))
    script = "\n".join(s.get_text() for s in page.select("script"))
    url, areas = _script_call(script, "addAreas")
    assert url == "/carte/contours/72.geojson" and len(areas) == 352
    legend = page.select(".legend--coverage [data-status] .legend-dot--area")
    assert len(legend) == 3


def test_the_town_halls_are_a_layer_of_their_own_off_by_default(shared_client):
    page = parse_html(shared_client.get("/carte"))
    item = page.select_one('.legend [data-layer="mairies"]')
    assert item is not None and "(352, masquées" in item.get_text()
    chosen = parse_html(shared_client.get("/carte", query_string={"type": "mairie"}))
    assert "masquées" not in chosen.select_one('.legend [data-layer="mairies"]').get_text()
