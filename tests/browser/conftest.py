"""Browser tests: Playwright driving Debian's Chromium against a live local server.

Chromium comes from the system (``apt-get install chromium``), never from
``playwright install``. Without it these tests are skipped, unless
``MAILLAGE_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns the skip into a failure.
Every request the page makes must stay on 127.0.0.1; tile requests go to a sentinel host
and are refused, so the maps must work without tiles.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from app import create_app

CHROMIUM = os.environ.get("MAILLAGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TILE_HOST = "tiles.invalid"
COORDINATOR = ("coordination@example.org", "mot de passe de test solide")
VIEWPORTS = {"telephone": {"width": 360, "height": 740}, "bureau": {"width": 1280, "height": 860},
             # The widths the journeys are checked at (a current phone, a common laptop).
             "telephone-390": {"width": 390, "height": 844}, "bureau-1366": {"width": 1366, "height": 768}}


def _require_browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium introuvable ({CHROMIUM}) : tests navigateur impossibles"
        if os.environ.get("MAILLAGE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return pytest.importorskip("playwright.sync_api")


@contextmanager
def serving(tmp: Path, prepare=None, **config):
    """Serve the application on 127.0.0.1 in a thread; yields its base URL. ``prepare(app)``
    runs first (data a test needs)."""
    from tests.conftest import fresh_database_url

    settings = {"ENV": "testing", "INSTANCE_DIR": str(tmp / "instance"),
                "DATABASE_URL": fresh_database_url(tmp), "INDEX_IN_MEMORY": True,
                "TILES_URL": f"http://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png"}
    app = create_app({**settings, **config})
    from sqlmodel import Session

    from workspace.accounts import create_user

    with Session(app.extensions["maillage"].engine) as session:
        create_user(session, COORDINATOR[0], COORDINATOR[1], "coordinateur")
        session.commit()
    if prepare is not None:
        prepare(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["maillage"].engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The application on the bundled data, served on 127.0.0.1; yields its base URL."""
    with serving(tmp_path_factory.mktemp("live")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless."""
    sync_api = _require_browser()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--no-first-run", "--disable-sync",
                  "--disable-component-update"])
        yield chromium
        chromium.close()


class RequestLog:
    """Hosts contacted by a page (tiles refused)."""

    def __init__(self):
        self.foreign: list[str] = []
        self.tiles = 0

    def handle(self, route):
        host = urlparse(route.request.url).hostname
        if host == TILE_HOST:
            self.tiles += 1
            route.abort()
        elif host != "127.0.0.1":
            self.foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()


@pytest.fixture
def page_factory(browser):
    """``open(path, viewport='bureau') -> (page, log)``; fails if a request leaves 127.0.0.1."""
    contexts = []
    logs = []

    def open_page(base_url: str, path: str, viewport: str = "bureau"):
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR")
        contexts.append(context)
        log = RequestLog()
        logs.append(log)
        page = context.new_page()
        page.route("**/*", log.handle)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        page.js_errors = errors
        return page, log

    yield open_page
    for context in contexts:
        context.close()
    for log in logs:
        assert log.foreign == [], f"requests left 127.0.0.1: {log.foreign}"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot in test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page) -> None:
    """Sign the browser page in as the test coordinator (from the sign-in page)."""
    page.fill("#email", COORDINATOR[0])
    page.fill("#password", COORDINATOR[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/coordination/")
