"""Web layer shared by the blueprints: settings, errors, core pages, CLI."""
