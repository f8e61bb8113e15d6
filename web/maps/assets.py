"""Serve folium's JS/CSS assets from ``static/vendor/`` instead of public CDNs.

folium declares the assets of each element class in the class attributes
``default_js`` / ``default_css`` (lists of ``(name, url)``) of subclasses of
``folium.elements.JSCSSMixin``. :func:`use_local_assets` rewrites those URLs to
local paths of the files vendored by ``scripts/vendor_assets.py``.

Call it once at application start-up, before rendering any map::

    from web.maps.assets import use_local_assets
    use_local_assets("/static/vendor")

Only the folium classes Maillage uses are guaranteed to be fully local (see
:data:`USED_CLASSES`). If a folium upgrade changes one of their asset URLs,
:func:`use_local_assets` raises ``RuntimeError`` instead of silently falling
back to a CDN; re-vendor the assets and update :data:`URL_TO_LOCAL`.
"""

from __future__ import annotations

from collections.abc import Iterator

import folium
import folium.plugins  # noqa: F401  (registers the plugin classes)
from folium.elements import JSCSSMixin

# folium CDN URL (folium 0.20) -> path relative to the vendor root.
URL_TO_LOCAL: dict[str, str] = {
    # folium.Map
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/dist/leaflet.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap/dist/js/bootstrap.bundle.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "leaflet.awesome-markers/dist/leaflet.awesome-markers.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/dist/leaflet.css",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap/dist/css/bootstrap.min.css"
    ),
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "bootstrap3-glyphicons/css/bootstrap-glyphicons.css"
    ),
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "fontawesome-free/css/all.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "leaflet.awesome-markers/dist/leaflet.awesome-markers.css"
    ),
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": (
        "leaflet.awesome-rotate/leaflet.awesome.rotate.min.css"
    ),
    # folium.plugins.MarkerCluster (and FastMarkerCluster, which inherits it)
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        "leaflet.markercluster/dist/leaflet.markercluster.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": (
        "leaflet.markercluster/dist/MarkerCluster.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (
        "leaflet.markercluster/dist/MarkerCluster.Default.css"
    ),
}

# folium asset name (first item of the default_js/default_css pairs) -> path
# relative to the vendor root, for the assets of USED_CLASSES.
VENDORED_FILES: dict[str, str] = {
    "leaflet": "leaflet/dist/leaflet.js",
    "jquery": "jquery/dist/jquery.min.js",
    "bootstrap": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "bootstrap_css": "bootstrap/dist/css/bootstrap.min.css",
    "glyphicons_css": "bootstrap3-glyphicons/css/bootstrap-glyphicons.css",
    "awesome_markers_font_css": "fontawesome-free/css/all.min.css",
    "awesome_markers_css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "awesome_rotate_css": "leaflet.awesome-rotate/leaflet.awesome.rotate.min.css",
    "markerclusterjs": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/dist/MarkerCluster.Default.css",
}

# Fully qualified names of the folium asset classes Maillage uses. All their
# assets must have a local mapping. Classes such as Marker, Icon, Popup,
# FeatureGroup, LayerControl, GeoJson, CircleMarker, Circle or Polygon declare
# no assets of their own: they rely on the ones loaded by folium.Map.
USED_CLASSES: tuple[str, ...] = (
    "folium.folium.Map",
    "folium.plugins.marker_cluster.MarkerCluster",
    "folium.plugins.fast_marker_cluster.FastMarkerCluster",
)

_ASSET_ATTRS = ("default_js", "default_css")

# (class, attribute) -> folium's original list, captured before the first rewrite.
_ORIGINALS: dict[tuple[type, str], tuple[tuple[str, str], ...]] = {}


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _iter_asset_classes() -> Iterator[type]:
    """Yield every subclass of JSCSSMixin (depth first, each class once)."""
    seen = set()
    stack = list(reversed(JSCSSMixin.__subclasses__()))
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        stack.extend(reversed(cls.__subclasses__()))


def _original(cls: type, attr: str) -> tuple[tuple[str, str], ...]:
    """Return folium's original asset list declared on ``cls`` itself."""
    key = (cls, attr)
    if key not in _ORIGINALS:
        _ORIGINALS[key] = tuple((name, url) for name, url in cls.__dict__[attr])
    return _ORIGINALS[key]


def _original_resolved(cls: type, attr: str) -> tuple[tuple[str, str], ...]:
    """Return the original asset list of ``cls``, following inheritance."""
    for klass in cls.__mro__:
        if attr in klass.__dict__:
            if klass is JSCSSMixin or not issubclass(klass, JSCSSMixin):
                return tuple(klass.__dict__[attr])
            return _original(klass, attr)
    return ()


def vendored_files(static_url_prefix: str = "/static/vendor") -> dict[str, str]:
    """Return the mapping folium asset name -> local URL under ``static_url_prefix``.

    Useful in tests, e.g. to check that every referenced file exists on disk.
    """
    prefix = static_url_prefix.rstrip("/")
    return {name: f"{prefix}/{path}" for name, path in VENDORED_FILES.items()}


def unmapped_assets() -> list[tuple[str, str]]:
    """List ``(class name, url)`` of folium assets that have no local copy.

    These belong to folium classes Maillage does not use (e.g. Draw,
    Fullscreen); using such a class would load its assets from a CDN.
    """
    missing = []
    for cls in _iter_asset_classes():
        for attr in _ASSET_ATTRS:
            if attr in cls.__dict__:
                for _name, url in _original(cls, attr):
                    if url not in URL_TO_LOCAL:
                        missing.append((_qualname(cls), url))
    return missing


def use_local_assets(static_url_prefix: str = "/static/vendor") -> None:
    """Point folium's JS/CSS links at the local copies under ``static_url_prefix``.

    Rewrites, in place, the ``default_js`` / ``default_css`` class attributes of
    every subclass of ``folium.elements.JSCSSMixin`` whose URLs are known in
    :data:`URL_TO_LOCAL`; other URLs are left unchanged. Every class listed in
    :data:`USED_CLASSES` must exist and have all of its assets mapped, otherwise
    ``RuntimeError`` is raised (naming the class and URL) and nothing is changed,
    so that a folium upgrade fails loudly instead of silently using a CDN.

    Idempotent: the rewrite always starts from folium's original URLs, so the
    function may be called several times (also with a different prefix).

    Args:
        static_url_prefix: URL under which ``static/vendor/`` is served, e.g.
            ``"/static/vendor"`` or ``app.static_url_path + "/vendor"``.

    Raises:
        RuntimeError: if a used folium class is missing or one of its asset
            URLs has no local mapping.
    """
    prefix = static_url_prefix.rstrip("/")
    classes = list(_iter_asset_classes())
    by_name = {_qualname(cls): cls for cls in classes}

    errors = []
    for qualname in USED_CLASSES:
        cls = by_name.get(qualname)
        if cls is None:
            errors.append(f"folium class {qualname} not found (folium {folium.__version__})")
            continue
        for attr in _ASSET_ATTRS:
            for _name, url in _original_resolved(cls, attr):
                if url not in URL_TO_LOCAL:
                    errors.append(f"{qualname}.{attr}: no local copy for {url}")
    if errors:
        raise RuntimeError(
            "folium assets without a local mapping (run scripts/vendor_assets.py and "
            "update web/maps/assets.py):\n  " + "\n  ".join(errors)
        )

    for cls in classes:
        for attr in _ASSET_ATTRS:
            if attr not in cls.__dict__:
                continue  # inherited: rewritten on the class that declares it
            rewritten = [
                (name, f"{prefix}/{URL_TO_LOCAL[url]}" if url in URL_TO_LOCAL else url)
                for name, url in _original(cls, attr)
            ]
            # Assign a new list: folium's module-level lists stay untouched.
            setattr(cls, attr, rewritten)
