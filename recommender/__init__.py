"""The orientation engine (plain Python); only ``recommender.web`` imports Flask."""
