"""Fixtures: ``app``, ``client``, ``runner`` on SQLite (or PostgreSQL when
``MAILLAGE_TEST_DATABASE_URL`` is set), and the bundled reference data."""

from __future__ import annotations

import os

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, make_url, text
from sqlmodel import SQLModel

from app import create_app
from directory.reference import load_reference
from directory.storage import make_engine
from web.settings import DATA_DIR, normalize_database_url

TEST_DATABASE_URL = os.environ.get("MAILLAGE_TEST_DATABASE_URL")


def worker_database_url() -> str | None:
    """The PostgreSQL test database of this test process: ``MAILLAGE_TEST_DATABASE_URL``
    itself, or under pytest-xdist one database per worker beside it (``test_gw0``…),
    created when missing, so that parallel workers never empty each other's tables."""
    if not TEST_DATABASE_URL:
        return None
    url = make_url(normalize_database_url(TEST_DATABASE_URL))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url.render_as_string(hide_password=False)
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first() is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def fresh_database_url(tmp_path) -> str:
    """A database URL for a test: SQLite in tmp_path, or the emptied PostgreSQL test database."""
    url = worker_database_url()
    if url is None:
        return f"sqlite:///{tmp_path / 'test.db'}"
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    engine.dispose()
    return url


def pytest_collection_modifyitems(items):
    """Browser tests are slow too: the everyday command leaves them to .ci/run (« -m slow »)."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    """No test reads the developer's MAILLAGE_* variables."""
    for name in list(os.environ):
        if name.startswith("MAILLAGE_") and name != "MAILLAGE_TEST_DATABASE_URL":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def app_config(tmp_path):
    """Settings of the test application (instance in a temporary folder)."""
    return {
        "ENV": "testing",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": fresh_database_url(tmp_path),
        # Sentinel: a test that would fetch tiles fails loudly instead of reaching the network.
        "TILES_URL": "http://tiles.invalid/{z}/{x}/{y}.png",
        "INDEX_IN_MEMORY": True,
        # No background catch-up thread: it would outlive the test and poll the next one's
        # database (tests that want one start real servers, tests/test_two_nodes.py).
        "INDEX_POLL_SECONDS": 0,
        # Forms are tested without tokens; the csrf_client fixture (tests/test_workspace.py) turns
        # CSRF back on.
        "WTF_CSRF_ENABLED": False,
    }


@pytest.fixture
def app(app_config):
    """The application, seeded with the bundled directory."""
    application = create_app(app_config)
    yield application
    application.extensions["maillage"].engine.dispose()


@pytest.fixture
def state(app):
    """The application's state (engine, reference data, rules, search index) for tests that
    call the domain functions directly."""
    return app.extensions["maillage"]


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One application per test module, for tests that only read (cases, pages)."""
    tmp = tmp_path_factory.mktemp("shared")
    application = create_app({
        "ENV": "testing", "INSTANCE_DIR": str(tmp / "instance"), "DATABASE_URL": fresh_database_url(tmp),
        "TILES_URL": "http://tiles.invalid/{z}/{x}/{y}.png", "INDEX_IN_MEMORY": True, "WTF_CSRF_ENABLED": False,
        "INDEX_POLL_SECONDS": 0})
    yield application
    application.extensions["maillage"].engine.dispose()


@pytest.fixture(scope="module")
def shared_client(shared_app):
    """A test client of ``shared_app`` (read-only tests)."""
    return shared_app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner bound to the application."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def reference():
    """The bundled taxonomy, gazetteer and named zones."""
    return load_reference(DATA_DIR)


def parse_html(response) -> BeautifulSoup:
    """Parsed HTML of a response."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def users(state):
    """A coordinator (coord@example.org) and an administrator (admin@example.org)."""
    from sqlmodel import Session

    from tests.factories import PASSWORD
    from workspace.accounts import create_user

    with Session(state.engine) as session:
        create_user(session, "coord@example.org", PASSWORD, "coordinateur")
        create_user(session, "admin@example.org", PASSWORD, "admin")
        session.commit()


@pytest.fixture
def coordinator(client, users):
    """A client logged in as coordinator."""
    from tests.factories import login

    assert login(client).status_code == 302
    return client


@pytest.fixture
def csrf_app(app_config, users):
    """An application with CSRF protection on (as in production), same database as ``app``."""
    application = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    yield application
    application.extensions["maillage"].engine.dispose()


@pytest.fixture
def csrf_client(csrf_app):
    """A client of ``csrf_app``."""
    return csrf_app.test_client()
