"""Per-application state (engine, reference data) and the request-scoped DB session."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlmodel import Session

from directory.bootstrap import data_files, ensure_seeded
from directory.invalid import InvalidInput
from directory.models import Service
from directory.reference import ReferenceData, load_reference
from directory.storage import create_schema, get_service, make_engine
from reading.reader import reader_for
from recommender.questions import search_questions
from recommender.rules import RuleSet, load_rules
from search.backend import SearchIndex
from search.finder import SearchParams, search_directory
from search.maintenance import ensure_index
from search.sync import IndexSync
from web.settings import ConfigurationError
from workspace import models as _workspace_tables  # noqa: F401  (tables created with the schema)
from workspace import situation_models as _situation_tables  # noqa: F401  (same)
from workspace.gaps import RecentOrientations
from workspace.platforms import load_platforms
from workspace.privacy import DataCipher, DataKeyError, generate_key
from workspace.retention import DEFAULT_RETENTION_DAYS, purge

log = logging.getLogger("maillage")
RANK_CACHE_SIZE = 4096


@dataclass
class AppState:
    """What the blueprints share: the engine and the bundled reference data."""

    engine: Engine
    reference: ReferenceData
    data_dir: Path
    search: SearchIndex
    rules: RuleSet
    sync: IndexSync
    poll_seconds: float = 0.0
    # The territorial platforms (data/platforms.yaml) and the key of the personal fields of
    # the situations relayed to them.
    platforms: dict = field(default_factory=dict)
    cipher: DataCipher | None = field(default=None, repr=False)
    retention_days: int = DEFAULT_RETENTION_DAYS
    _purged_on: dt.date | None = field(default=None, repr=False)
    # Orientations whose gaps were counted lately (a reload is not a new orientation).
    recent_orientations: RecentOrientations = field(default_factory=RecentOrientations, repr=False)
    _ranked: dict = field(default_factory=dict, repr=False)

    def search_answer(self, session: Session, params: SearchParams) -> dict:
        """A directory search on an index brought up to the database's change feed first
        (one cheap check when nothing changed); ``index.stale`` says when results may
        miss a change saved on another server."""
        fresh = self.sync.catch_up()
        answer = search_directory(session, self.search, self.reference, params, answer_types=self.rank_types,
                                  first_contacts=tuple(self.rules.first_contacts.gardien))
        answer["index"] = {"stale": False, "behind": 0} if fresh else _lag_view(self.sync)
        # The danger question, and the situations a « Oui » would be about (page and API alike).
        answer["questions"], answer["possible_dangers"] = search_questions(
            reader_for(self.reference.taxonomy), params.q, answer)
        return answer

    def start_background_sync(self) -> None:
        """Start this process's catch-up thread (a no-op after the first call, or when
        polling is off or the index is in memory)."""
        if self.poll_seconds > 0 and self.search.path is not None:
            self.sync.start_background(self.poll_seconds)

    def purge_daily(self) -> None:
        """Erase what the retention period allows, once a day per process (on the day's
        first request: cheap when there is nothing to erase; never fails a request)."""
        today = dt.date.today()
        if self._purged_on == today:
            return
        self._purged_on = today
        try:
            erased = purge(self.engine, self.retention_days)
        except Exception:  # noqa: BLE001 - retried tomorrow; the request must be answered
            log.exception("Purge quotidienne des situations impossible")
            return
        if erased:
            log.info("Purge quotidienne : %s situation(s) anonymisée(s)", erased)

    def rank_types(self, problems: list[str], signals: set[str], facts: dict | None = None) -> list[str]:
        """The types answering these problems, best first (the orientation rules; cached,
        the rules do not change while the application runs)."""
        key = (frozenset(problems), frozenset(signals), tuple(sorted((facts or {}).items())))
        ranked = self._ranked.get(key)
        if ranked is None:
            from recommender.engine import Engine

            engine = Engine(self.reference, self.rules, find_services=None)
            ranked = tuple(engine.rank_types(sorted(problems), set(signals), facts or {}))
            if len(self._ranked) < RANK_CACHE_SIZE:
                self._ranked[key] = ranked
        return list(ranked)


def _lag_view(sync: IndexSync) -> dict:
    try:
        status = sync.status()
    except Exception:  # noqa: BLE001 - the database answered the search a moment ago
        return {"stale": True, "behind": None}
    return {"stale": status.stale, "behind": status.behind}


def init_state(app: Flask) -> AppState:
    """Create the engine and schema, load reference data, seed an empty database."""
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    data_dir = Path(app.config["DATA_DIR"])
    reference = load_reference(data_dir)
    # Compile the lay vocabulary now, not under the first concurrent requests.
    reader_for(reference.taxonomy)
    rules = load_rules(str(data_dir / "rules.yaml"), reference.taxonomy)
    # Checked before anything is opened: a bad key or platform file stops the start cleanly.
    platforms, cipher = _platforms(data_dir, reference), _cipher(app)
    engine = make_engine(app.config["DATABASE_URL"])
    create_schema(engine)
    seeded = ensure_seeded(engine, reference, data_files(app.config["DATA_FILE"]))
    if seeded:
        log.info("Base vide : %s services chargés depuis %s", seeded, app.config["DATA_FILE"])
    index_dir = None if app.config.get("INDEX_IN_MEMORY") else Path(app.config["INDEX_DIR"])
    search = SearchIndex.open(index_dir)
    processes = os.cpu_count() or 1
    with Session(engine) as session:
        # A large directory's index is rebuilt with one builder per core.
        ensure_index(session, search, reference, processes=processes)
    sync = IndexSync(engine, search, reference, degraded_after_s=app.config["INDEX_LAG_SECONDS"],
                     processes=processes)
    # A current index kept from the last run applies what other servers saved since.
    sync.catch_up(wait_s=60.0, rebuild=True)
    search.warm()
    state = AppState(engine=engine, reference=reference, data_dir=data_dir, search=search,
                     rules=rules, sync=sync, poll_seconds=app.config["INDEX_POLL_SECONDS"],
                     platforms=platforms, cipher=cipher,
                     retention_days=app.config.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    app.extensions["maillage"] = state
    app.teardown_appcontext(_close_session)
    # Forked server workers start their own thread on their first request.
    app.before_request(state.start_background_sync)
    app.before_request(state.purge_daily)
    return state


def current_state() -> AppState:
    """The state of the current application."""
    return current_app.extensions["maillage"]


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(current_state().engine)
    return g.db_session


def get_service_or_404(service_id: str, session: Session | None = None) -> Service:
    """The stored service, or a 404 naming it (JSON with the field for the API, a French
    page elsewhere)."""
    row = get_service(session or db_session(), service_id)
    if row is None:
        raise InvalidInput.on("id", f"service « {service_id} » introuvable", status=404)
    return row


def _platforms(data_dir: Path, reference: ReferenceData) -> dict:
    """The platforms of ``data/platforms.yaml``; a file with errors stops the start with
    every error named (a relay must never go to a guessed platform)."""
    path = data_dir / "platforms.yaml"
    if not path.exists():
        return {}
    try:
        return load_platforms(path, reference)
    except InvalidInput as error:
        raise ConfigurationError(f"{path.name} : " + " ; ".join(f"{e.field} : {e.message}"
                                                              for e in error.errors)) from None


def _cipher(app: Flask) -> DataCipher:
    """The cipher of the personal fields: ``MAILLAGE_DATA_KEY``, or outside production a
    key kept in the instance folder (created once, readable by its owner only)."""
    keys = app.config.get("DATA_KEY")
    if not keys:
        key_file = Path(app.config["INSTANCE_DIR"]) / "data.key"
        if not key_file.exists():
            key_file.write_text(generate_key(), encoding="ascii")
            key_file.chmod(0o600)
            log.warning("MAILLAGE_DATA_KEY absente : clé de développement créée dans %s", key_file)
        keys = key_file.read_text(encoding="ascii").strip()
    try:
        return DataCipher(keys)
    except DataKeyError as error:
        raise ConfigurationError(str(error)) from None


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.close()
        except Exception:  # noqa: BLE001 - a connection the database terminated: the answer is sent
            log.warning("Session de base non refermée proprement (connexion interrompue)")
