"""Configuration: read at start from MAILLAGE_* variables, refused without a secret."""

import pytest

from app import create_app
from web.settings import SETTINGS, ConfigurationError, finalize, normalize_database_url
from workspace.privacy import generate_key


def test_production_without_secret_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="MAILLAGE_SECRET_KEY"):
        create_app({"ENV": "production", "INSTANCE_DIR": str(tmp_path)})


def test_production_with_development_secret_is_refused(tmp_path):
    with pytest.raises(ConfigurationError):
        finalize({"ENV": "production", "SECRET_KEY": "dev-only-insecure-secret",
                  "INSTANCE_DIR": str(tmp_path)})


def test_production_without_trusted_hosts_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="MAILLAGE_TRUSTED_HOSTS"):
        finalize({"ENV": "production", "SECRET_KEY": "s" * 40, "INSTANCE_DIR": str(tmp_path)})
    assert finalize({"ENV": "production", "SECRET_KEY": "s" * 40, "INSTANCE_DIR": str(tmp_path),
                     "TRUSTED_HOSTS": "maillage.example.org", "DATA_KEY": generate_key()}
                    )["TRUSTED_HOSTS"] == ["maillage.example.org"]


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="MAILLAGE_ENV"):
        finalize({"ENV": "prod", "INSTANCE_DIR": str(tmp_path)})


def test_environment_variables_are_read_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("MAILLAGE_ENV", "development")
    monkeypatch.setenv("MAILLAGE_INSTANCE_DIR", str(tmp_path / "inst"))
    application = create_app()
    try:
        assert application.config["ENV"] == "development"
        assert application.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'maillage.db'}"
        assert (tmp_path / "inst" / "maillage.db").exists()
    finally:
        application.extensions["maillage"].engine.dispose()


def test_cli_refuses_to_start_in_production_without_secret(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from app import cli

    monkeypatch.setenv("MAILLAGE_INSTANCE_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["export"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["maillage : configuration invalide : MAILLAGE_SECRET_KEY est obligatoire "
                     "en production (ou définir MAILLAGE_ENV=development pour un poste de "
                     "développement)."]


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_postgres_urls_use_psycopg3(given, expected):
    assert normalize_database_url(given) == expected


def test_every_setting_is_documented_in_readme():
    from web.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []


def test_the_maillage_command_works_from_any_folder(tmp_path):
    """The installed command finds every package of the project, not only from the
    repository's root (``workspace`` was once left out of the package list)."""
    import subprocess
    import sys
    from pathlib import Path

    command = Path(sys.executable).parent / "maillage"
    if not command.exists():
        import pytest

        pytest.skip("the project is not installed in this environment")
    result = subprocess.run([str(command), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MAILLAGE_ENV": "development",
                                 "MAILLAGE_INSTANCE_DIR": str(tmp_path / "instance")})
    assert result.returncode == 0, result.stderr
    assert "reindex" in result.stdout and "serve" in result.stdout
