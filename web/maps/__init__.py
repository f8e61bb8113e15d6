"""Folium maps (the only place folium is used), rendered into page partials."""
