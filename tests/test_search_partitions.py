"""The search index is partitioned by département: a commune's search reads its own
département, a service is in the partition of each département it serves, edits move it."""

import pytest
from sqlmodel import Session

from search.documents import departements_of
from search.finder import SearchParams, search_directory
from tests.factories import load_entries, make_entry, make_yaml

MAYENNE_LAVAL = "53130"


def _ids(app, **params):
    state = app.extensions["maillage"]
    with Session(state.engine) as session:
        body = search_directory(session, state.search, state.reference, SearchParams(limit=200, **params))
    return [r["id"] for r in body["results"]], body


@pytest.mark.parametrize(("site", "zone", "expected"), [
    ("72181", ["72181"], ("72",)),
    ("72181", ["departement:53"], ("53", "72")),
    (None, ["53130", "departement:72"], ("53", "72")),
    (None, ["epci:247200132"], ("72",)),
])
def test_a_service_belongs_to_the_departements_of_its_zone_and_site(app, site, zone, expected, state):
    from directory.zones import expand_token

    reference = state.reference
    keys = sorted(set().union(*(expand_token(z, reference.gazetteer, reference.zones) for z in zone)))
    assert departements_of(site, keys, reference) == expected


def test_a_commune_search_reads_only_its_departement(app, runner, tmp_path, state):
    load_entries(runner, tmp_path,
          make_entry(id="ccas-laval", name="Guichet Zéphyrin Laval", site__commune=MAYENNE_LAVAL,
                     zone=[MAYENNE_LAVAL]),
          make_entry(id="ccas-mans", name="Guichet Zéphyrin Le Mans", site__commune="72181", zone=["72181"]))
    assert _ids(app, q="zéphyrin", commune="72181")[0] == ["ccas-mans"]
    assert _ids(app, q="zéphyrin", commune=MAYENNE_LAVAL)[0] == ["ccas-laval"]
    assert sorted(_ids(app, q="zéphyrin")[0]) == ["ccas-laval", "ccas-mans"]
    assert {"53", "72"} <= set(state.search.partition_keys())


def test_a_service_of_two_departements_is_found_from_both_and_counted_once(app, runner, tmp_path):
    load_entries(runner, tmp_path, make_entry(id="equipe-deux-deps", name="Équipe Zéphyrin",
                                       site__commune="72181", zone=["departement:72", "departement:53"]))
    for commune in ("72181", MAYENNE_LAVAL):
        ids, body = _ids(app, q="zéphyrin", commune=commune)
        assert ids == ["equipe-deux-deps"] and body["results"][0]["covers_commune"] is True
    ids, body = _ids(app, q="zéphyrin")
    assert ids == ["equipe-deux-deps"] and body["total"] == 1
    assert body["facets"]["types"] == {"ccas": 1}


def test_an_edit_moves_a_service_to_its_new_departement(app, runner, tmp_path):
    entry = make_entry(id="ccas-mobile", name="Guichet Zéphyrin", site__commune="72181", zone=["72181"])
    load_entries(runner, tmp_path, entry)
    assert _ids(app, q="zéphyrin", commune="72181")[0] == ["ccas-mobile"]
    load_entries(runner, tmp_path, {**entry, "site": {"commune": MAYENNE_LAVAL}, "zone": [MAYENNE_LAVAL]})
    assert _ids(app, q="zéphyrin", commune="72181")[0] == []
    assert _ids(app, q="zéphyrin", commune=MAYENNE_LAVAL)[0] == ["ccas-mobile"]
    assert _ids(app, q="zéphyrin")[1]["total"] == 1


def test_a_commune_outside_every_partition_still_finds_services(app):
    # Brest (29019): no service of the bundled directory serves the Finistère.
    ids, body = _ids(app, q="csapa", commune="29019")
    assert "montjoie-csapa" in ids
    assert all(r["covers_commune"] is False for r in body["results"])


def test_file_index_has_one_folder_per_departement(app_config, tmp_path):
    from app import create_app

    config = {**app_config, "INDEX_IN_MEMORY": False, "INDEX_DIR": str(tmp_path / "idx")}
    # A file left by the single-index layout of earlier versions.
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "_services_1.toc").write_bytes(b"old layout")
    application = create_app(config)
    folders = sorted(p.name for p in (tmp_path / "idx").iterdir() if p.is_dir())
    assert "dep-72" in folders and all(f.startswith("dep-") for f in folders)
    assert not (tmp_path / "idx" / "_services_1.toc").exists()
    application.extensions["maillage"].engine.dispose()


def test_a_new_partition_written_by_another_process_is_read(app_config, tmp_path):
    """Two server processes share the file index: one's edit is seen by the other."""
    from app import create_app

    config = {**app_config, "INDEX_IN_MEMORY": False, "INDEX_DIR": str(tmp_path / "idx")}
    writer_app, reader_app = create_app(config), create_app(config)
    file = tmp_path / "lot.yaml"
    file.write_text(make_yaml(make_entry(id="ccas-laval", name="Guichet Zéphyrin", site__commune=MAYENNE_LAVAL,
                                         zone=[MAYENNE_LAVAL])), encoding="utf-8")
    assert writer_app.test_cli_runner().invoke(args=["load", str(file)]).exit_code == 0
    assert _ids(reader_app, q="zéphyrin", commune=MAYENNE_LAVAL)[0] == ["ccas-laval"]
    for application in (writer_app, reader_app):
        application.extensions["maillage"].engine.dispose()


def test_a_deleted_partition_is_rebuilt_at_start(app_config, tmp_path):
    import shutil

    from app import create_app

    config = {**app_config, "INDEX_IN_MEMORY": False, "INDEX_DIR": str(tmp_path / "idx")}
    create_app(config).extensions["maillage"].engine.dispose()
    shutil.rmtree(tmp_path / "idx" / "dep-72")
    restarted = create_app(config)
    assert (tmp_path / "idx" / "dep-72").is_dir()
    assert "montjoie-csapa" in _ids(restarted, q="csapa", commune="72181")[0]
    restarted.extensions["maillage"].engine.dispose()


def test_a_large_batch_moves_between_partitions(app, runner, tmp_path):
    """More than 64 changed services: the partition's ids are read in one pass."""
    entries = [make_entry(id=f"ccas-lot-{n:03d}", name=f"Guichet Zéphyrin {n}", site__commune="72181",
                          zone=["72181"]) for n in range(70)]
    load_entries(runner, tmp_path, *entries)
    assert _ids(app, q="zéphyrin", commune="72181")[1]["total"] == 70
    moved = [{**e, "site": {"commune": MAYENNE_LAVAL}, "zone": [MAYENNE_LAVAL]} for e in entries]
    load_entries(runner, tmp_path, *moved)
    assert _ids(app, q="zéphyrin", commune="72181")[1]["total"] == 0
    assert _ids(app, q="zéphyrin", commune=MAYENNE_LAVAL)[1]["total"] == 70


def test_a_bulk_load_rebuilds_the_index_instead_of_updating_it(app, runner, tmp_path, monkeypatch):
    import directory.changes
    import search.sync

    rebuilt = []
    real_rebuild = search.sync.rebuild_index
    monkeypatch.setattr(directory.changes, "BULK_CHANGE_THRESHOLD", 2)
    monkeypatch.setattr(search.sync, "rebuild_index", lambda *a: rebuilt.append(1) or real_rebuild(*a))
    load_entries(runner, tmp_path, *[make_entry(id=f"ccas-lot-{n}", name=f"Guichet Zéphyrin {n}") for n in range(3)])
    assert rebuilt and _ids(app, q="zéphyrin")[1]["total"] == 3


def test_parallel_rebuild_gives_the_same_index(app_config, tmp_path, monkeypatch):
    import search.maintenance
    import search.parallel
    from app import create_app
    from search.maintenance import rebuild_index

    config = {**app_config, "INDEX_IN_MEMORY": False, "INDEX_DIR": str(tmp_path / "idx")}
    application = create_app(config)
    state = application.extensions["maillage"]
    sequential = {q: _ids(application, q=q, commune="72181")[0] for q in ("csapa", "il boit", "loyer impayé")}
    monkeypatch.setattr(search.maintenance, "PARALLEL_BUILD_MIN", 0)
    groups = []
    real_groups = search.parallel.balanced_groups
    monkeypatch.setattr(search.parallel, "balanced_groups",
                        lambda members, count: groups.extend(real_groups(members, count)) or groups)
    before = {f.name for f in (tmp_path / "idx").rglob("*.trm")}
    assert before, "no segment found: the test would prove nothing"
    with Session(state.engine) as session:
        count = rebuild_index(session, state.search, state.reference, processes=2)
    assert len(groups) == 2 and count >= 55
    assert before.isdisjoint(f.name for f in (tmp_path / "idx").rglob("*.trm"))  # every segment rewritten
    with Session(state.engine) as session:
        assert state.search.is_current(search.maintenance.index_basis(session, state.reference))
    assert {q: _ids(application, q=q, commune="72181")[0] for q in sequential} == sequential
    state.engine.dispose()



def test_builders_get_groups_of_similar_size():
    from search.parallel import balanced_groups

    members = {"72": ["a"] * 50, "53": ["b"] * 30, "61": ["c"] * 25, "49": ["d"] * 5}
    groups = balanced_groups(members, 2)
    assert sorted(sum(len(ids) for ids in g.values()) for g in groups) == [55, 55]
    assert sorted(k for g in groups for k in g) == sorted(members)
    assert len(balanced_groups({"72": ["a"]}, 4)) == 1


@pytest.fixture
def file_index_app(app_config, tmp_path):
    """An application whose index is in files (as in production)."""
    from app import create_app

    application = create_app({**app_config, "INDEX_IN_MEMORY": False, "INDEX_DIR": str(tmp_path / "idx")})
    yield application
    application.extensions["maillage"].engine.dispose()


# whoosh leaves the unreadable table-of-contents file open when it fails to read it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_index_damaged_while_serving_gives_a_503_not_a_500(file_index_app, tmp_path):
    import gc

    for file in (tmp_path / "idx" / "dep-72").iterdir():
        if file.suffix in (".toc", ".trm"):
            file.write_bytes(b"garbage")
    client = file_index_app.test_client()
    api = client.get("/api/services", query_string={"q": "csapa", "commune": "72181"})
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert "reconstruction" in api.get_json()["error"]
    page = client.get("/annuaire", query_string={"q": "csapa", "commune": "72181"})
    assert page.status_code == 503
    # The responses keep the failure's traceback, which holds the file whoosh left open.
    del api, page, client
    gc.collect()


def test_a_partition_dropped_by_another_process_is_forgotten(file_index_app, tmp_path):
    import shutil

    client = file_index_app.test_client()
    assert client.get("/api/services", query_string={"q": "csapa"}).status_code == 200
    shutil.rmtree(tmp_path / "idx" / "dep-49")  # what another process's rebuild does
    response = client.get("/api/services", query_string={"q": "csapa"})
    assert response.status_code == 200 and response.get_json()["total"] > 0


def test_the_index_is_warm_when_the_application_starts(file_index_app):
    """Ranking metadata is read at start, before the server forks its workers."""
    search = file_index_app.extensions["maillage"].search
    partitions = [search._partition(key, create=False) for key in search.partition_keys()]
    assert partitions and all(p._metadata for p in partitions)


def test_partitions_of_coverage_keys_are_worked_out_by_the_database_as_by_the_gazetteer(app, runner, tmp_path, state):
    """Corsica (2A), overseas (974, 988), a département-wide zone and a commune zone."""
    from search.documents import departement_of_key, partition_members

    load_entries(runner, tmp_path,
          make_entry(id="ccas-ajaccio", site__commune="2A004", zone=["2A004"]),
          make_entry(id="ccas-saint-denis", site__commune="97411", zone=["97411"]),
          make_entry(id="ccas-noumea", site__commune=None, zone=["98818"]),
          make_entry(id="mdph-mayenne", site__commune=None, zone=["departement:53"]))
    with Session(state.engine) as session:
        members = partition_members(session, state.reference)
    where = {service_id: key for key, ids in members.items() for service_id in ids}
    assert (where["ccas-ajaccio"], where["ccas-saint-denis"], where["ccas-noumea"], where["mdph-mayenne"]) == \
        ("2A", "974", "988", "53")
    assert departement_of_key("c:98818", state.reference) == "988"
