"""The orientation engine (plain Python, no Flask: its pages are ``web.views.orientation``)."""
