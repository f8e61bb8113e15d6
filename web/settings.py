"""Application settings, declared once with their help text.

Settings come from ``MAILLAGE_*`` environment variables, read by ``create_app``
(never at import time), then overridden by the mapping a caller (tests) gives.
The README's configuration table is checked against this list by a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from directory.paths import DATA_DIR, PROJECT_ROOT  # noqa: F401  (re-exported)

ENVIRONMENTS = ("production", "development", "testing")


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid; the message is one line for the operator."""


@dataclass(frozen=True)
class Setting:
    """One configuration variable: environment name, config key, default and help."""

    env: str
    key: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("MAILLAGE_ENV", "ENV", "production",
            "production, development ou testing ; hors production, une clé secrète "
            "par défaut est acceptée."),
    Setting("MAILLAGE_SECRET_KEY", "SECRET_KEY", None,
            "Clé secrète des sessions. Obligatoire en production."),
    Setting("MAILLAGE_INSTANCE_DIR", "INSTANCE_DIR", "./instance",
            "Dossier de l'instance : base SQLite et index de recherche."),
    Setting("MAILLAGE_DATABASE_URL", "DATABASE_URL", None,
            "URL SQLAlchemy de la base ; par défaut SQLite dans le dossier d'instance. "
            "postgresql://… est accepté (pilote psycopg 3)."),
    Setting("MAILLAGE_DATA_FILE", "DATA_FILE",
            os.pathsep.join([str(DATA_DIR / "partners.yaml"), str(DATA_DIR / "town_halls.yaml")]),
            "Fichier(s) d'annuaire chargés au premier démarrage quand la base est vide "
            f"(plusieurs fichiers séparés par « {os.pathsep} »)."),
    Setting("MAILLAGE_TILES_URL", "TILES_URL",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "Modèle d'URL des tuiles de carte (vide : pas de fond de carte)."),
    Setting("MAILLAGE_TILES_ATTRIBUTION", "TILES_ATTRIBUTION",
            "&copy; les contributeurs d'OpenStreetMap",
            "Attribution affichée avec les tuiles."),
    Setting("MAILLAGE_LOG_LEVEL", "LOG_LEVEL", "INFO",
            "Niveau de journalisation (DEBUG, INFO, WARNING…)."),
    Setting("MAILLAGE_FRESHNESS_DAYS", "FRESHNESS_DAYS", "182",
            "Au-delà de ce nombre de jours sans vérification, une fiche est à revérifier."),
    Setting("MAILLAGE_RATELIMIT_STORAGE", "RATELIMIT_STORAGE", "memory://",
            "Stockage du limiteur de tentatives de connexion (memory:// ou redis://…)."),
    Setting("MAILLAGE_COOKIE_SECURE", "COOKIE_SECURE", "1",
            "En production, cookies de session réservés à HTTPS (0 pour un test en HTTP local)."),
    Setting("MAILLAGE_SESSION_HOURS", "SESSION_HOURS", "8",
            "Durée maximale d'une session de coordination, en heures depuis la connexion."),
    Setting("MAILLAGE_TRUSTED_HOSTS", "TRUSTED_HOSTS", "",
            "Noms d'hôte acceptés, séparés par des virgules (par ex. maillage.example.org) ; "
            "tout autre en-tête Host reçoit 400. Vide : pas de contrôle (un avertissement en production)."),
    Setting("MAILLAGE_PROXIES", "PROXIES", "0",
            "Nombre de mandataires inverses de confiance devant l'application (X-Forwarded-For, "
            "-Proto, -Host lus seulement s'ils sont posés par eux) ; 0 : en-têtes ignorés."),
    Setting("MAILLAGE_INDEX_POLL_SECONDS", "INDEX_POLL_SECONDS", "2",
            "Plusieurs serveurs : intervalle, en secondes, auquel chaque processus lit les changements "
            "des autres dans la base (sur PostgreSQL, LISTEN/NOTIFY le réveille aussitôt) ; 0 : seulement "
            "avant chaque recherche."),
    Setting("MAILLAGE_DATA_KEY", "DATA_KEY", None,
            "Clé(s) Fernet chiffrant les données personnelles des situations transmises aux plateformes "
            "(base64 url de 32 octets ; plusieurs, séparées par des virgules, la plus récente d'abord, pour "
            "une rotation). Obligatoire en production ; `maillage generate-data-key` en crée une. Hors "
            "production, sans elle, une clé est créée dans le dossier d'instance (data.key)."),
    Setting("MAILLAGE_RETENTION_DAYS", "RETENTION_DAYS", "365",
            "Jours après la clôture d'une situation au bout desquels ses données personnelles sont effacées "
            "(la situation reste, anonyme, pour les statistiques)."),
    Setting("MAILLAGE_INDEX_LAG_SECONDS", "INDEX_LAG_SECONDS", "30",
            "Au-delà de ce retard (en secondes) sur un changement enregistré, l'index du serveur est "
            "signalé « degraded » par /healthz."),
)

MIN_SECRET_BYTES = 32

DEV_SECRET_KEY = "dev-only-insecure-secret"


def read_settings(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, str | None]:
    """Return the configuration mapping read from ``MAILLAGE_*`` variables."""
    environ = os.environ if environ is None else environ
    return {s.key: environ.get(s.env, s.default) for s in SETTINGS}


def finalize(config: dict) -> dict:
    """Check and complete a configuration mapping; raise ``ConfigurationError``.

    Fills the defaults that depend on other settings (database URL in the
    instance directory) and refuses a missing secret outside development/tests.
    """
    env = config.get("ENV") or "production"
    if env not in ENVIRONMENTS:
        raise ConfigurationError(
            f"MAILLAGE_ENV={env!r} inconnu : choisir parmi {', '.join(ENVIRONMENTS)}."
        )
    config["ENV"] = env
    config["TESTING"] = config.get("TESTING", env == "testing")
    if not config.get("SECRET_KEY"):
        if env == "production":
            raise ConfigurationError(
                "MAILLAGE_SECRET_KEY est obligatoire en production "
                "(ou définir MAILLAGE_ENV=development pour un poste de développement)."
            )
        config["SECRET_KEY"] = DEV_SECRET_KEY
    elif env == "production" and config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigurationError("MAILLAGE_SECRET_KEY ne peut pas être la clé de développement.")
    elif env == "production" and len(str(config["SECRET_KEY"]).encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"MAILLAGE_SECRET_KEY est trop courte ({MIN_SECRET_BYTES} octets au moins, par exemple "
            "la sortie de : python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    config["TRUSTED_HOSTS"] = _host_list(config.get("TRUSTED_HOSTS"))
    if env == "production" and not config["TRUSTED_HOSTS"]:
        # Without it the Host header is reflected (Werkzeug's trailing-slash redirects, links).
        raise ConfigurationError(
            "MAILLAGE_TRUSTED_HOSTS est obligatoire en production : les noms d'hôte du service, séparés "
            "par des virgules (par exemple maillage.example.org)."
        )
    if env == "production" and not config.get("DATA_KEY"):
        raise ConfigurationError(
            "MAILLAGE_DATA_KEY est obligatoire en production : elle chiffre les données personnelles des "
            "situations transmises (en créer une : maillage generate-data-key).")
    config["RETENTION_DAYS"] = _count(config.get("RETENTION_DAYS", "365"), "MAILLAGE_RETENTION_DAYS")
    config["PROXIES"] = _count(config.get("PROXIES"), "MAILLAGE_PROXIES")
    config["INDEX_POLL_SECONDS"] = _seconds(config.get("INDEX_POLL_SECONDS", "2"), "MAILLAGE_INDEX_POLL_SECONDS")
    config["INDEX_LAG_SECONDS"] = _seconds(config.get("INDEX_LAG_SECONDS", "30"), "MAILLAGE_INDEX_LAG_SECONDS")
    instance_dir = Path(config.get("INSTANCE_DIR") or "./instance").resolve()
    config["INSTANCE_DIR"] = str(instance_dir)
    config["DATABASE_URL"] = normalize_database_url(
        config.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'maillage.db'}"
    )
    config.setdefault("INDEX_DIR", str(instance_dir / "index"))
    return config


def _host_list(value) -> list[str] | None:
    if isinstance(value, (list, tuple)):
        return list(value) or None
    hosts = [host.strip() for host in str(value or "").split(",") if host.strip()]
    return hosts or None


def _count(value, name: str) -> int:
    try:
        number = int(str(value or "0").strip())
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} : un nombre entier est attendu.") from None
    if number < 0:
        raise ConfigurationError(f"{name}={value!r} : un nombre positif ou nul est attendu.")
    return number


def _seconds(value, name: str) -> float:
    try:
        number = float(str(value if value is not None else "0").strip().replace(",", "."))
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} : un nombre de secondes est attendu.") from None
    if not 0 <= number <= 3600:
        raise ConfigurationError(f"{name}={value!r} : entre 0 et 3600 secondes.")
    return number


def normalize_database_url(url: str) -> str:
    """Rewrite ``postgres://``/``postgresql://`` URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
