"""Map markers passed to the browser as JSON data, never as JavaScript source.

folium writes popup and tooltip HTML into JavaScript template strings, where a
back-tick or ``${…}`` in a service name runs as script (stored XSS). Every marker of
Maillage's maps that carries text is therefore a :class:`DataMarkers` layer: its rows
are serialised with folium's escaped JSON (``<``, ``>``, ``&`` and ``'`` as unicode
escapes) and ``static/js/maps.js`` builds the pins, tooltips and popups with DOM nodes
and ``textContent``. Only numbers, colours and fixed class names reach attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from branca.element import MacroElement
from folium.template import Template

SCRIPT_PATH = "js/maps.js"


def segment(text: str, *, strong: bool = False, em: bool = False, href: str | None = None) -> dict:
    """One piece of a popup line: text, optionally bold, italic or a link."""
    piece: dict = {"text": str(text)}
    if strong:
        piece["strong"] = True
    if em:
        piece["em"] = True
    if href:
        piece["href"] = str(href)
    return piece


def phone_segments(phone: dict | None) -> list[dict]:
    """A phone for a popup: a ``tel:`` link only for real numbers, placeholders flagged."""
    if not phone:
        return [segment("Pas de numéro référencé")]
    if phone.get("dial"):
        return [segment(phone["number"], href=f"tel:{phone['dial']}")]
    return [segment(phone["number"]), segment(" "), segment("(numéro fictif)", em=True)]


@dataclass
class MarkerRow:
    """One marker: a pin (label and colour) or a circle, with text tooltip and popup."""

    lat: float
    lon: float
    tooltip: str = ""
    popup: list[list[dict]] = field(default_factory=list)
    pin: dict | None = None
    circle: dict | None = None

    def as_json(self) -> dict:
        """The row as ``static/js/maps.js`` reads it."""
        row: dict = {"lat": self.lat, "lon": self.lon}
        for name in ("tooltip", "popup", "pin", "circle"):
            value = getattr(self, name)
            if value:
                row[name] = value
        return row


def pin(label: str, colour: str, variant: str = "") -> dict:
    """A round numbered pin (``variant``: '' / 'home' / 'small')."""
    return {"label": label, "colour": colour, "variant": variant}


def circle(colour: str, radius: int, fill_opacity: float, class_name: str = "") -> dict:
    """A circle marker (communes served, coverage)."""
    return {"colour": colour, "radius": radius, "fillOpacity": fill_opacity, "className": class_name}


class DataMarkers(MacroElement):
    """A group of markers added by ``Maillage.addMarkers`` from JSON rows."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            Maillage.addMarkers({{ this._parent.get_name() }}, {{ this.rows|tojavascript }});
        {% endmacro %}
    """)

    def __init__(self, rows: list[MarkerRow]):
        super().__init__()
        self._name = "DataMarkers"
        self.rows = [row.as_json() for row in rows]


@dataclass
class AreaRow:
    """One commune of a choropleth: its outline is found by INSEE code in the fetched
    file; ``lat``/``lon`` place a circle instead when the outline cannot be loaded."""

    insee: str
    colour: str
    class_name: str
    tooltip: str
    lat: float
    lon: float

    def as_json(self) -> dict:
        """The row as ``Maillage.addAreas`` reads it."""
        return {"insee": self.insee, "colour": self.colour, "className": self.class_name,
                "tooltip": self.tooltip, "lat": self.lat, "lon": self.lon}


class DataAreas(MacroElement):
    """Communes coloured by ``Maillage.addAreas`` from an outline file served locally."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            Maillage.addAreas({{ this._parent.get_name() }}, {{ this.url|tojavascript }},
                              {{ this.rows|tojavascript }});
        {% endmacro %}
    """)

    def __init__(self, url: str, rows: list[AreaRow]):
        super().__init__()
        self._name = "DataAreas"
        self.url = str(url)
        self.rows = [row.as_json() for row in rows]


__all__ = ["AreaRow", "DataAreas", "DataMarkers", "MarkerRow", "SCRIPT_PATH", "circle", "phone_segments", "pin",
           "segment"]
