"""Blueprints of the coordinators' workspace (the only Flask modules of ``workspace``)."""
