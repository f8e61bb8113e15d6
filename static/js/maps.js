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

  window.Maillage = window.Maillage || {};
  window.Maillage.addMarkers = addMarkers;
}());
