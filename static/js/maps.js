/* Markers of Maillage's maps, built from JSON data.
 *
 * The server never writes user text into JavaScript source: it passes each map's
 * markers as JSON (see directory/map_layers.py) and this file builds the pins,
 * tooltips and popups with DOM nodes and textContent, so a name such as
 * "${...}" or "</script>" stays text.
 *
 * A marker: {lat, lon, pin: {label, colour, variant}, circle: {radius, colour,
 * fillOpacity, className}, tooltip: "text", popup: [[segment, ...], ...]}
 * A segment: {text, strong, em, href}; lines of a popup are separated by <br>.
 */
(function () {
  "use strict";

  function segmentNode(segment) {
    var node;
    if (segment.href) {
      node = document.createElement("a");
      node.href = segment.href;
      node.textContent = segment.text;
    } else if (segment.em) {
      node = document.createElement("em");
      node.textContent = segment.text;
    } else {
      node = document.createTextNode(segment.text);
    }
    if (segment.strong) {
      var strong = document.createElement("strong");
      strong.appendChild(node);
      return strong;
    }
    return node;
  }

  function popupNode(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line, index) {
      if (index > 0) {
        box.appendChild(document.createElement("br"));
      }
      line.forEach(function (segment) {
        box.appendChild(segmentNode(segment));
      });
    });
    return box;
  }

  function textNode(text) {
    var box = document.createElement("div");
    box.textContent = text;
    return box;
  }

  function pinIcon(pin) {
    var span = document.createElement("span");
    span.className = "map-pin" + (pin.variant ? " map-pin--" + pin.variant : "");
    span.style.background = pin.colour;
    span.textContent = pin.label;
    var size = pin.variant === "small" ? 24 : 28;
    return L.divIcon({className: "map-pin-wrapper", iconSize: [size, size],
                      iconAnchor: [size / 2, size / 2], html: span});
  }

  function layerOf(data) {
    if (data.circle) {
      return L.circleMarker([data.lat, data.lon], {
        radius: data.circle.radius, color: data.circle.colour, fill: true,
        fillColor: data.circle.colour, fillOpacity: data.circle.fillOpacity, weight: 1,
        className: data.circle.className || ""
      });
    }
    return L.marker([data.lat, data.lon], {icon: pinIcon(data.pin)});
  }

  /* Add the markers described by `rows` to a Leaflet map or layer group. */
  function addMarkers(target, rows) {
    rows.forEach(function (data) {
      var layer = layerOf(data);
      if (data.tooltip) {
        layer.bindTooltip(textNode(data.tooltip), {sticky: true});
      }
      if (data.popup && data.popup.length) {
        layer.bindPopup(popupNode(data.popup), {maxWidth: 280});
      }
      layer.addTo(target);
    });
  }

  /* Colour the communes of `rows` ({insee, colour, className, tooltip, lat, lon}) with
   * the outlines of the GeoJSON file at `url` (same origin); a commune without an
   * outline, or every commune if the file cannot be read, gets a circle instead. When
   * done, the map's container says so: data-areas="outlines" or "circles". */
  function addAreas(target, url, rows) {
    var byCode = {};
    rows.forEach(function (row) { byCode[row.insee] = row; });
    var container = target._map ? target._map.getContainer() : (target.getContainer && target.getContainer());
    function circles(list) {
      addMarkers(target, list.map(function (row) {
        return {lat: row.lat, lon: row.lon, tooltip: row.tooltip,
                circle: {colour: row.colour, radius: 6, fillOpacity: 0.75, className: row.className}};
      }));
    }
    function done(kind) {
      var box = container || (target._map && target._map.getContainer());
      if (box) { box.setAttribute("data-areas", kind); }
    }
    fetch(url, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error("outlines " + response.status); }
      return response.json();
    }).then(function (collection) {
      var drawn = {};
      L.geoJSON(collection, {
        filter: function (feature) { return Boolean(byCode[feature.properties.insee]); },
        style: function (feature) {
          var row = byCode[feature.properties.insee];
          return {color: "#ffffff", weight: 0.6, fillColor: row.colour, fillOpacity: 0.55,
                  className: row.className};
        },
        onEachFeature: function (feature, layer) {
          drawn[feature.properties.insee] = true;
          layer.bindTooltip(textNode(byCode[feature.properties.insee].tooltip), {sticky: true});
        }
      }).addTo(target);
      circles(rows.filter(function (row) { return !drawn[row.insee]; }));
      done("outlines");
    }).catch(function () {
      circles(rows);
      done("circles");
    });
  }

  window.Maillage = window.Maillage || {};
  window.Maillage.addMarkers = addMarkers;
  window.Maillage.addAreas = addAreas;
}());
