"""Maillage: application factory and command-line entry point.

``create_app(config=None)`` builds the Flask application: settings from ``MAILLAGE_*``
variables (then the mapping given, for tests), the database (SQLite in the instance
folder by default), the bundled reference data, and the feature blueprints. On first
start, an empty database is filled from the bundled ``data/partners.yaml``.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask
from flask.cli import FlaskGroup

from web.settings import DATA_DIR, PROJECT_ROOT, ConfigurationError, finalize, read_settings

log = logging.getLogger("maillage")


def create_app(config: dict | None = None) -> Flask:
    """Build and configure the application; raise ``ConfigurationError`` on bad settings."""
    settings = read_settings()
    settings.update(config or {})
    settings = finalize(settings)

    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "static"),
                instance_path=settings["INSTANCE_DIR"])
    app.config.update(settings)
    app.config.setdefault("DATA_DIR", str(DATA_DIR))
    if app.config["PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logging.basicConfig(level=app.config.get("LOG_LEVEL") or "INFO",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from web.state import init_state

    init_state(app)

    from web import security

    security.init_app(app)

    from web import cli as commands
    from web import core, errors, openapi, templating
    from web.views import (
        auth,
        coordination,
        directory_api,
        directory_pages,
        orientation,
        review,
        situations,
        situations_api,
        transfer,
    )
    from web.views import carte as directory_maps
    from web.views import coordination_api as workspace_api

    commands.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    app.register_blueprint(core.bp)
    app.register_blueprint(directory_pages.bp)
    app.register_blueprint(directory_api.bp)
    app.register_blueprint(orientation.bp)
    app.register_blueprint(directory_maps.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(coordination.bp)
    app.register_blueprint(workspace_api.bp)
    app.register_blueprint(transfer.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(situations.bp)
    app.register_blueprint(situations_api.bp)
    app.register_blueprint(openapi.bp)
    return app


def _create_app_for_cli() -> Flask:
    from sqlalchemy.exc import OperationalError

    try:
        return create_app()
    except ConfigurationError as error:
        # One clear line for the operator, no traceback.
        print(f"maillage : configuration invalide : {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error).splitlines()[0]
        print(f"maillage : base de données injoignable : {reason}", file=sys.stderr)
        raise SystemExit(3) from None


def _register_commands(group: FlaskGroup) -> None:
    from web.cli import register

    register(group)


cli = FlaskGroup(create_app=_create_app_for_cli, add_default_commands=True,
                 help="Maillage : annuaire des partenaires et aide à l'orientation.")
_register_commands(cli)


def main() -> None:
    """Console script ``maillage``."""
    cli.main(prog_name="maillage")


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = ["create_app", "main", "cli"]
