"""Maps of services, orientations and coverage (the only module building folium maps).

Maps are rendered into the application's own layout: the head links, the map ``div``
and the script of the folium root are returned separately for the ``_map.html``
partial. Every asset is served locally (``web.maps.assets``); the tile layer is
configurable and optional: without tiles, markers, popups and clusters still work.
Confidential sites are placed at their commune's centroid (``present.coordinates``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import folium
from folium.plugins import FastMarkerCluster
from markupsafe import Markup

from web.maps.assets import use_local_assets
from web.maps.layers import (
    AreaRow,
    DataAreas,
    DataMarkers,
    MarkerRow,
    circle,
    phone_segments,
    pin,
    segment,
)

DOMAIN_COLOURS = {"logement": "#1d4ed8", "hebergement": "#7c3aed", "sante": "#047857",
                  "medico_social": "#b45309", "droit_commun": "#374151", "urgence": "#b91c1c"}
# Coverage has its own colours, none of a domain's (green and orange used to read as
# « Santé » and « Médico-social »): cyan covered, yellow from afar, magenta not covered.
COVERED, NOT_COVERED, DISTANT = "#0891b2", "#db2777", "#eab308"
COVERAGE_COLOURS = {"covered": COVERED, "distant": DISTANT, "not_covered": NOT_COVERED}
MAX_ZOOM = 18
# folium's default header also loads Bootstrap (page-wide styles) that our maps do not use.
_UNUSED_HEADER_ASSETS = ("bootstrap_css", "bootstrap", "glyphicons_css")
# Markers sharing a point (services placed at their commune's centroid) are spread on a
# small circle so each stays visible and clickable.
SPREAD_DEGREES = 0.004


@dataclass(frozen=True)
class MapParts:
    """The three pieces of a rendered map, safe to insert in a template."""

    header: Markup
    html: Markup
    script: Markup
    element_id: str


@dataclass(frozen=True)
class Outlines:
    """Where the browser fetches a département's commune outlines, and which it has."""

    url: str
    codes: frozenset[str]


@dataclass(frozen=True)
class TileSettings:
    """Tile layer URL template and attribution ('' = no tiles)."""

    url: str
    attribution: str


def _new_map(tiles: TileSettings, location=(47.99, 0.2), zoom: int = 9) -> folium.Map:
    use_local_assets()
    fmap = folium.Map(location=list(location), zoom_start=zoom, tiles=None, control_scale=True,
                      max_zoom=MAX_ZOOM, prefer_canvas=False)
    # A clustered map needs an explicit maxZoom when it has no tile layer.
    fmap.options["maxZoom"] = MAX_ZOOM
    if tiles.url:
        folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, name="Fond de carte",
                         max_zoom=MAX_ZOOM, control=False).add_to(fmap)
    return fmap


def render(fmap: folium.Map) -> MapParts:
    """Render a map into header, html and script parts."""
    root = fmap.get_root()
    root.render()
    for name in _UNUSED_HEADER_ASSETS:
        root.header._children.pop(name, None)
    return MapParts(Markup(root.header.render()), Markup(root.html.render()),
                    Markup(root.script.render()), fmap.get_name())


def orientation_map(result: dict, tiles: TileSettings, sheet_url) -> MapParts:
    """The household's commune and the suggested services numbered by rank."""
    commune = result["commune"]
    fmap = _new_map(tiles, (commune["lat"] or 47.99, commune["lon"] or 0.2), 10)
    points = []
    rows: list[MarkerRow] = []
    if commune["lat"] is not None:
        rows.append(MarkerRow(
            commune["lat"], commune["lon"], pin=pin("⌂", "#111827", "home"),
            tooltip=f"Commune du ménage : {commune['name']}",
            popup=[[segment("Commune du ménage", strong=True), segment(f" : {commune['name']}")],
                   [segment("(position de la commune, jamais une adresse)")]]))
        points.append((commune["lat"], commune["lon"]))
    placed: set[str] = set()
    taken: dict[tuple[float, float], int] = {}
    for suggestion in result["suggestions"]:
        for service in suggestion["services"]:
            if service["id"] in placed or service.get("lat") is None:
                continue
            placed.add(service["id"])
            colour = DOMAIN_COLOURS.get(service.get("domain", ""), "#374151")
            wait = (service.get("wait") or {}).get("summary", "délai non renseigné")
            location = _spread(service["lat"], service["lon"], taken)
            rows.append(MarkerRow(
                location[0], location[1], pin=pin(str(suggestion["rank"]), colour), tooltip=service["name"],
                popup=[[segment(f'{suggestion["rank"]}. {service["name"]}', strong=True)],
                       [segment(suggestion["type_label"])],
                       [segment(f"Délai : {wait}")],
                       phone_segments(service.get("phone")),
                       [segment("Voir la fiche", href=sheet_url(service["id"]))]]))
            points.append(tuple(location))
    DataMarkers(rows).add_to(fmap)
    _fit(fmap, points)
    return render(fmap)


def _spread(lat: float, lon: float, taken: dict[tuple[float, float], int]) -> list[float]:
    key = (round(lat, 5), round(lon, 5))
    index = taken.get(key, 0)
    taken[key] = index + 1
    if index == 0:
        return [lat, lon]
    angle = index * 2.399963  # golden angle: successive markers never line up
    radius = SPREAD_DEGREES * (1 + index // 8)
    return [lat + radius * math.sin(angle), lon + radius * 1.5 * math.cos(angle)]


def _fit(fmap: folium.Map, points: list[tuple[float, float]]) -> None:
    if len(points) >= 2:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        # Two close points (a site and its commune) would zoom to the street: a town's view.
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30), max_zoom=14)


def service_map(service: dict, domain: str, communes: list, tiles: TileSettings) -> MapParts:
    """A service's site and the communes it serves (points; a whole département is not drawn)."""
    coordinates = service.get("coordinates")
    center = coordinates or ((communes[0].lat, communes[0].lon) if communes else (47.99, 0.2))
    fmap = _new_map(tiles, center, 10)
    points = []
    zone = folium.FeatureGroup(name="Communes desservies").add_to(fmap)
    served = [MarkerRow(c.lat, c.lon, tooltip=c.name, circle=circle(COVERED, 4, 0.6))
              for c in communes if c.lat is not None]
    DataMarkers(served).add_to(zone)
    points += [(row.lat, row.lon) for row in served]
    if coordinates:
        label = "Commune du site (adresse confidentielle)" if service.get("address_confidential") else "Site"
        site = MarkerRow(coordinates[0], coordinates[1], pin=pin("●", DOMAIN_COLOURS.get(domain, "#374151")),
                         tooltip=f"{label} : {service['name']}",
                         popup=[[segment(service["name"], strong=True)], [segment(label)]])
        DataMarkers([site]).add_to(fmap)
        points.append(tuple(coordinates))
    _fit(fmap, points)
    return render(fmap)


_CLUSTER_CALLBACK = """
function (row) {
    var icon = L.divIcon({className: 'map-pin-wrapper', iconSize: [24, 24], iconAnchor: [12, 12],
        html: '<span class="map-pin map-pin--small" style="background:' + row[4] + '"></span>'});
    var marker = L.marker(new L.LatLng(row[0], row[1]), {icon: icon, title: row[3]});
    var link = document.createElement('a');
    link.href = '/services/' + encodeURIComponent(row[2]);
    link.textContent = row[3];
    var box = document.createElement('div');
    var strong = document.createElement('strong');
    strong.appendChild(link);
    box.appendChild(strong);
    box.appendChild(document.createElement('br'));
    box.appendChild(document.createTextNode(row[5]));
    marker.bindPopup(box);
    marker.options.serviceId = row[2];
    return marker;
}
"""


def cartography_map(layers: dict[str, list[list]], domain_labels: dict[str, str],
                    coverage: list[dict] | None, tiles: TileSettings,
                    outlines: Outlines | None = None, hidden: frozenset[str] = frozenset()) -> MapParts:
    """All services, one clustered layer per domain; optional coverage view of communes.

    ``layers`` maps a layer code (a domain, or ``hidden`` ones shown only on demand) to rows
    ``[lat, lon, id, name, colour, type_label]``; ``coverage`` lists communes ``{insee,
    name, lat, lon, status}`` (covered / not_covered / distant), drawn as areas when
    ``outlines`` has theirs (a choropleth), as circles otherwise.
    """
    fmap = _new_map(tiles, (47.99, 0.2), 9)
    points = []
    for domain, rows in layers.items():
        if not rows:
            continue
        name = f"{domain_labels.get(domain, domain)} ({len(rows)})"
        parent = fmap
        if domain in hidden:
            # FastMarkerCluster adds itself to the map whatever its ``show``: a group off
            # by default holds it instead, and is the entry of the layer control.
            parent = folium.FeatureGroup(name=name, show=False).add_to(fmap)
        FastMarkerCluster(rows, callback=_CLUSTER_CALLBACK, name=name, control=parent is fmap,
                          options={"maxClusterRadius": 40}).add_to(parent)
        points += [(r[0], r[1]) for r in rows]
    if coverage:
        group = folium.FeatureGroup(name="Couverture").add_to(fmap)
        colours = COVERAGE_COLOURS
        labels = {"covered": "couverte", "not_covered": "non couverte", "distant": "couverte de loin"}
        codes = outlines.codes if outlines else frozenset()
        areas = [AreaRow(c["insee"], colours[c["status"]], f"coverage coverage--{c['status']}",
                         f"{c['name']} : {labels[c['status']]}", c["lat"], c["lon"])
                 for c in coverage if c.get("insee") in codes]
        rows = [MarkerRow(commune["lat"], commune["lon"], tooltip=f"{commune['name']} : {labels[commune['status']]}",
                          circle=circle(colours[commune["status"]], 6, 0.75, f"coverage coverage--{commune['status']}"))
                for commune in coverage if commune.get("insee") not in codes]
        if areas:
            DataAreas(outlines.url, areas).add_to(group)
        if rows:
            DataMarkers(rows).add_to(group)
        # The view is the territory looked at: a service far away (Angers) must not zoom
        # the map out of it.
        points = [(c["lat"], c["lon"]) for c in coverage]
    folium.LayerControl(collapsed=False).add_to(fmap)
    _fit(fmap, points)
    return render(fmap)


def rows_json_size(layers: dict[str, list[list]]) -> int:
    """Approximate size of the inline marker data (for measurements)."""
    return sum(len(json.dumps(rows)) for rows in layers.values())
