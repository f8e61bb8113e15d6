"""Bulk load: atomic, idempotent; zone matching identical on SQLite and PostgreSQL."""

import pytest
from sqlmodel import Session, select

from directory.export import export_yaml
from directory.loader import check_text
from directory.models import Service
from directory.storage import get_service, services_covering, upsert_entries
from tests.factories import make_entry, make_yaml


def _engine(app):
    return app.extensions["maillage"].engine


def test_load_command_is_atomic_when_one_entry_is_bad(app, runner, tmp_path):
    before = runner.invoke(args=["export"]).output
    bad = make_yaml(make_entry(id="nouvelle-a"), make_entry(id="nouvelle-b", types=["x"]))
    file = tmp_path / "lot.yaml"
    file.write_text(bad, encoding="utf-8")
    result = runner.invoke(args=["load", str(file)])
    assert result.exit_code == 1
    assert "1 erreur(s), aucune modification" in result.output
    with Session(_engine(app)) as session:
        assert get_service(session, "nouvelle-a") is None
    assert runner.invoke(args=["export"]).output == before


def test_transaction_rolls_back_when_storage_fails_midway(app, reference, monkeypatch):
    import directory.storage as storage

    entries = check_text(make_yaml(make_entry(id="premiere"), make_entry(id="seconde")),
                         reference).entries
    original = storage.insert_new_entries
    calls = []

    def failing(session, batch, ref):
        calls.extend(entry.id for entry in batch)
        if "seconde" in calls:
            raise RuntimeError("disque plein")
        return original(session, batch, ref)

    monkeypatch.setattr(storage, "INSERT_BATCH", 1)  # the first entry is written before the failure
    monkeypatch.setattr(storage, "insert_new_entries", failing)
    with pytest.raises(RuntimeError):
        upsert_entries(_engine(app), entries, reference)
    assert calls == ["premiere", "seconde"]
    with Session(_engine(app)) as session:
        assert get_service(session, "premiere") is None


def test_load_is_idempotent_upsert_by_id(app, runner, tmp_path):
    file = tmp_path / "lot.yaml"
    file.write_text(make_yaml(make_entry(id="ccas-test")), encoding="utf-8")
    first = runner.invoke(args=["load", str(file)])
    assert first.exit_code == 0 and "1 créée(s), 0 modifiée(s), 0 inchangée(s)" in first.output
    again = runner.invoke(args=["load", str(file)])
    assert "0 créée(s), 0 modifiée(s), 1 inchangée(s)" in again.output
    file.write_text(make_yaml(make_entry(id="ccas-test", name="CCAS renommé")), encoding="utf-8")
    changed = runner.invoke(args=["load", str(file)])
    assert "0 créée(s), 1 modifiée(s), 0 inchangée(s)" in changed.output
    with Session(_engine(app)) as session:
        row = get_service(session, "ccas-test")
        assert (row.name, row.version) == ("CCAS renommé", 2)


def test_round_trip_load_export_load_gives_identical_records(app, runner, tmp_path):
    exported = tmp_path / "export.yaml"
    assert runner.invoke(args=["export", str(exported)]).exit_code == 0
    with Session(_engine(app)) as session:
        first = export_yaml(session)
    reload = runner.invoke(args=["load", str(exported)])
    assert "0 créée(s), 0 modifiée(s)" in reload.output
    with Session(_engine(app)) as session:
        assert export_yaml(session) == first
    assert exported.read_text(encoding="utf-8") == first


def test_bundled_file_round_trips_entry_by_entry(app, reference):
    from directory.loader import check_file
    from web.settings import DATA_DIR

    bundled = [entry for name in ("partners.yaml", "town_halls.yaml")
               for entry in check_file(DATA_DIR / name, reference).entries]
    with Session(_engine(app)) as session:
        exported = check_text(export_yaml(session), reference)
    assert exported.ok
    by_id = {e.id: e.to_data() for e in exported.entries}
    assert {e.id: e.to_data() for e in bundled} == by_id


@pytest.mark.parametrize(("insee", "departement", "expected", "unexpected"), [
    ("72003", "72", {"zone-commune", "zone-departement", "zone-nommee"}, {"zone-ailleurs"}),
    ("72181", "72", {"zone-departement"}, {"zone-commune", "zone-ailleurs"}),
    ("78646", "78", {"zone-ailleurs"}, {"zone-departement", "zone-commune"}),
])
def test_zone_matching_by_commune_departement_and_named_zone(app, reference, insee, departement,
                                                             expected, unexpected):
    named = next(code for code, zone in reference.zones.items() if "72003" in zone.communes)
    entries = check_text(make_yaml(
        make_entry(id="zone-commune", zone=["72003"]),
        make_entry(id="zone-departement", zone=["departement:72"]),
        make_entry(id="zone-nommee", zone=[f"zone:{named}"]),
        make_entry(id="zone-ailleurs", zone=["departement:78"]),
    ), reference).entries
    upsert_entries(_engine(app), entries, reference)
    with Session(_engine(app)) as session:
        found = {s.id for s in services_covering(session, insee, departement, ["ccas"])}
    assert expected <= found
    assert not (unexpected & found)


def test_optimistic_lock_rejects_stale_write(app):
    from sqlalchemy.orm.exc import StaleDataError

    with Session(_engine(app)) as first, Session(_engine(app)) as second:
        a = first.exec(select(Service).order_by(Service.id)).first()
        b = second.get(Service, a.id)
        a.name = "Premier"
        first.commit()
        b.name = "Second"
        with pytest.raises(StaleDataError):
            second.commit()


def test_a_bulk_load_refreshes_the_planner_statistics(app, state):
    """With statistics, a "type T covering commune C" query starts from the commune's
    coverage keys, not from every service of the type."""
    from sqlalchemy import text

    engine = state.engine
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            tables = {r[0] for r in connection.execute(text("SELECT tbl FROM sqlite_stat1"))}
        else:
            tables = {r[0] for r in connection.execute(text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"))}
    assert {"service_zone", "service_type"} <= tables
