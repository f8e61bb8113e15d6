"""FINESS imports: the semicolon CSV extract (``structureet`` lines) and the data.gouv
« structures » JSON feed v1, built from their published layouts."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from directory.imports.finess import CSV_FIELDS
from directory.imports.readers import read_register
from directory.imports.records import register_mapping
from directory.models import Service
from tests.factories import pending_proposals
from workspace.models import StoredProposal
from workspace.review import decide, import_records


def csv_line(**fields) -> str:
    """A ``structureet`` line of the CSV extract (31 fields after the line's kind)."""
    base = {"nofinesset": "720012345", "nofinessej": "720000999", "rs": "CMP ADULTES BONNETABLE",
            "rslongue": "CENTRE MEDICO PSYCHOLOGIQUE ADULTES DE BONNETABLE", "numvoie": "12", "typvoie": "R",
            "voie": "DE LA GARE", "commune": "039", "departement": "72", "libdepartement": "SARTHE",
            "ligneacheminement": "72110 BONNETABLE", "telephone": "0243290011", "categetab": "156",
            "libcategetab": "Centre Médico-Psychologique (C.M.P.)", "categagretab": "1107",
            "siret": "26720000100012", "dateouv": "1990-01-01", "datemaj": "2026-10-20"}
    base.update(fields)
    return "structureet;" + ";".join(base.get(name, "") for name in CSV_FIELDS)


def write_csv(tmp_path, lines, encoding="utf-8", name="finess.csv"):
    path = tmp_path / name
    text = "finess;etalab;111;2026-11-02\n" + "\n".join(lines) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def run(state, path, departement="72"):
    records = read_register("finess", path, register_mapping(), departement)
    return import_records(state.engine, state.reference, records, "test", departement)


def test_the_mapping_uses_known_types_and_three_digit_codes(reference):
    categories = register_mapping()["finess"]["categories"]
    assert {"156", "197", "178", "446", "445", "214", "165", "180", "258", "340"} <= set(categories)
    for code, kind in categories.items():
        assert len(code) == 3 and code.isdigit() and kind["label"]
        assert kind["type"] in reference.taxonomy.service_types


def test_a_csv_extract_becomes_proposals_with_its_summary(app, tmp_path, state):
    path = write_csv(tmp_path, [
        csv_line(),
        csv_line(nofinesset="720000111", rs="PHARMACIE DU CENTRE", rslongue="", categetab="620"),
        csv_line(nofinesset="490001234", departement="49", commune="007", ligneacheminement="49000 ANGERS"),
        csv_line(nofinesset="720000222", datemaj="20/10/2026"),
        "structureet;720000333;trop;court",
        csv_line(),  # the same establishment twice
        "geolocalisation;720012345;480000.1;6780000.2;1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93;2026-05-04",
    ])
    summary = run(state, path)
    assert summary.new == 1 and summary.other_departement == 1 and summary.duplicates == 1
    assert summary.skipped == {"catégorie FINESS non retenue par l'annuaire": 1}
    assert {issue.where for issue in summary.issues} == {"ligne 5", "ligne 6"}
    (proposal,) = pending_proposals(state)
    entry = proposal.entry
    assert entry["types"] == ["cmp"] and entry["site"]["commune"] == "72039"
    assert entry["identifiers"]["finess"] == "720012345" and entry["identifiers"]["siret"] == "26720000100012"
    assert entry["contacts"]["phone"] == {"number": "02 43 29 00 11", "placeholder": False,
                                          "source": "FINESS (data.gouv)"}
    assert entry["site"]["address"] == "12 R DE LA GARE, 72110 BONNETABLE"
    assert "troubles_psychiques_suspectes" in entry["problems"]  # from the taxonomy, for a CMP


def test_a_latin1_extract_is_read(app, tmp_path, state):
    path = write_csv(tmp_path, [csv_line(rslongue="CMP DE BONNÉTABLE")], encoding="latin-1")
    run(state, path)
    assert pending_proposals(state)[0].entry["name"] == "CMP DE BONNÉTABLE"


def test_an_accepted_establishment_is_found_again_by_its_number(app, tmp_path, state):
    path = write_csv(tmp_path, [csv_line()])
    run(state, path)
    (proposal,) = pending_proposals(state)
    decide(state.engine, None, state.reference, proposal.id, None, "coord@example.org")
    again = run(state, write_csv(tmp_path, [csv_line(telephone="0243290099")], name="later.csv"))
    assert again.matched_by == {"finess": 1} and again.updates == 1
    update = pending_proposals(state)[0]
    assert update.service_id == proposal.service_id and list(update.changes) == ["contacts.phone"]
    assert run(state, path).updates == 0  # the first file again: nothing new


def _feed(establishments: list[dict]) -> dict:
    """A « structures » feed v1 (ansforge/finess schema): one legal entity and its EGE."""
    return {"schemaVersion": "v1.0.0", "generatedAt": "2026-11-02T03:00:00Z", "pmej": [{
        "informationsGeneralesPMEJ": {"pmSmsseId": "1", "dateCreation": "1990-01-01",
                                      "denominationLonguePmSmsse": "ASSOCIATION MONTJOIE", "denominationPm": "MONTJOIE",
                                      "numFinessPm": "720000999", "statutJuridique": "60", "typePersonneMorale": "1"},
        "adresse": [{"cogCommune": "72181", "codePostal": "72000"}], "evenement": [], "etatObjet": "A",
        "dateDerniereMaj": "2026-10-01 00:00:00", "ege": establishments}]}


def ege(**overrides) -> dict:
    data = {"informationsGeneralesEGE": {"egeId": "9", "dateOuverture": "2001-01-01",
                                         "datePremiereAutorisation": "2001-01-01", "nomEgeCourt": "CSAPA MONTJOIE",
                                         "nomEgeLong": "CSAPA MONTJOIE LE MANS", "numFinessEge": "720019999",
                                         "siret": "77568999900021"},
            "categorieentiteGeographiqueExercice": "197",
            "adresse": [{"numeroVoie": "8", "typeVoie": "R   ", "libelleVoie": "DU PORT", "cogCommune": "72181",
                         "codePostal": "72000", "ligneAcheminement": "LE MANS",
                         "coordonneesGeographique": {"coordonneeX": "6780000", "coordonneeY": "490000",
                                                     "directionLatitude": "48.0061", "directionLongitude": "0.1996"}}],
            "contact": [{"typeContact": {"roleContact": "1"}, "telecom": {"telephone": "0243810099"}}],
            "etatObjet": "A", "dateDerniereMaj": "2026-10-15 00:00:00"}
    data.update(overrides)
    return data


def test_the_json_feed_becomes_proposals_and_reports_bad_records(app, tmp_path, state):
    missing = ege()
    del missing["informationsGeneralesEGE"]["numFinessEge"]
    closed = ege(etatObjet="I")
    closed["informationsGeneralesEGE"] = {**closed["informationsGeneralesEGE"], "numFinessEge": "720018888"}
    path = tmp_path / "structures.json"
    path.write_text(json.dumps(_feed([ege(), missing, closed])), encoding="utf-8")
    summary = run(state, path)
    assert [i.where for i in summary.issues] == ["pmej[0].ege[1]"]
    assert "informationsGeneralesEGE.numFinessEge" in summary.issues[0].message
    assert summary.skipped == {"établissement fermé ou inactif": 1}
    proposals = pending_proposals(state)
    assert len(proposals) == 1
    # « CSAPA MONTJOIE LE MANS » at Le Mans is the directory's « Montjoie — CSAPA »: an update,
    # which gives it its FINESS number and a real phone, never its network fields.
    proposal = proposals[0]
    assert proposal.kind == "update" and proposal.service_id == "montjoie-csapa"
    assert proposal.match.startswith("nom et commune")
    assert proposal.changes["identifiers.finess"]["proposed"] == "720019999"
    assert proposal.changes["contacts.phone"]["proposed"]["number"] == "02 43 81 00 99"
    assert not {p for p in proposal.changes if p.startswith(("zone", "eligibility", "wait", "referral", "notes"))}


def test_a_file_that_is_neither_is_one_issue(app, tmp_path, state):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"services": []}), encoding="utf-8")
    summary = run(state, path)
    assert summary.issues[0].where == "fichier" and not pending_proposals(state)


def test_the_import_command_prints_a_summary(app, runner, tmp_path, state):
    path = write_csv(tmp_path, [csv_line()])
    result = runner.invoke(args=["import", "--format", "finess", "--departement", "72", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 nouvelle(s) fiche(s) proposée(s)" in result.output
    with Session(state.engine) as session:
        assert session.get(Service, pending_proposals(state)[0].service_id) is None  # proposed, not applied
        assert len(list(session.exec(__import__("sqlmodel").select(StoredProposal)))) == 1


@pytest.mark.parametrize("fmt", ["yaml", "csv"])
def test_the_import_command_refuses_an_unknown_format(runner, tmp_path, fmt):
    path = write_csv(tmp_path, [csv_line()])
    result = runner.invoke(args=["import", "--format", fmt, str(path)])
    assert result.exit_code != 0 and "data-inclusion" in result.output


def test_establishments_sharing_a_siret_are_never_merged(app, tmp_path, state):
    """Three establishments of one legal body share its SIRET: three new proposals, never
    an update of the first (its name and commune replaced)."""
    path = write_csv(tmp_path, [
        csv_line(nofinesset="720100001", rs="ANTENNE ALPHA", rslongue="", commune="039",
                 ligneacheminement="72110 BONNETABLE", siret="26720000100012"),
        csv_line(nofinesset="720100002", rs="ANTENNE BETA", rslongue="", commune="180",
                 ligneacheminement="72600 MAMERS", siret="26720000100012"),
        csv_line(nofinesset="720100003", rs="ANTENNE GAMMA", rslongue="", commune="264",
                 ligneacheminement="72300 SABLE SUR SARTHE", siret="26720000100012"),
    ])
    summary = run(state, path)
    assert summary.new == 3 and summary.updates == 0
    proposals = pending_proposals(state)
    assert sorted(p.entry["identifiers"]["finess"] for p in proposals) == ["720100001", "720100002", "720100003"]
    assert all(p.kind == "new" for p in proposals)


def test_two_imports_at_once_each_keep_their_own_records(app, tmp_path, monkeypatch, state):
    """The second import matched its records before the first committed (it did not know
    the shared ones were proposed): the shared ones are « déjà proposé(s) », its own all stay."""
    from workspace import review

    shared = [csv_line(nofinesset=f"7202000{n:02d}", rs=f"CMP PARTAGE {n}", rslongue="") for n in range(6)]
    own_a = [csv_line(nofinesset=f"7203000{n:02d}", rs=f"CMP PREMIER {n}", rslongue="") for n in range(3)]
    own_b = [csv_line(nofinesset=f"7204000{n:02d}", rs=f"CMP SECOND {n}", rslongue="") for n in range(4)]
    first = run(state, write_csv(tmp_path, shared + own_a, name="a.csv"))
    assert first.new == 9
    monkeypatch.setattr(review, "known_fingerprints", lambda session: set())
    second = run(state, write_csv(tmp_path, shared + own_b, name="b.csv"))
    assert second.new == 4 and second.already_proposed == 6
    numbers = sorted(p.entry["identifiers"]["finess"] for p in pending_proposals(state))
    assert numbers == sorted([f"7202000{n:02d}" for n in range(6)] + [f"7203000{n:02d}" for n in range(3)]
                             + [f"7204000{n:02d}" for n in range(4)])


# -- hostile or careless register files: French errors with their place, never a traceback --------
def _good(n: int) -> str:
    return csv_line(nofinesset=f"7205000{n:02d}", rs=f"CMP BON {n}", rslongue="")


@pytest.mark.parametrize(("bad", "message"), [
    (csv_line(nofinesset="720599999", rslongue="X" * 200_000), "champ de plus de"),
    ("structureet;" + ";".join(["a"] * 5) + '"' + "x" * 300_000, "champ de plus de"),
    (csv_line(nofinesset="720599998", rslongue="CMP AVEC \x00 UN NUL"), None),
])
def test_a_bad_csv_record_is_reported_and_the_good_ones_all_proposed(app, tmp_path, bad, message, state):
    summary = run(state, write_csv(tmp_path, [_good(1), bad, _good(2), _good(3)]))
    assert summary.new >= 3
    numbers = {p.entry["identifiers"]["finess"] for p in pending_proposals(state)}
    assert {"720500001", "720500002", "720500003"} <= numbers
    if message:
        assert [i.where for i in summary.issues] == ["ligne 3"] and message in summary.issues[0].message
    else:  # the NUL is stripped, the record kept
        assert "720599998" in numbers
        assert all("\x00" not in p.entry["name"] for p in pending_proposals(state))


def test_a_utf8_line_with_one_stray_byte_keeps_its_utf8_and_reports_the_byte(app, tmp_path, state):
    path = tmp_path / "mixed.csv"
    line = csv_line(nofinesset="720500077", rs="", rslongue="CENTRE MÉDICO PSYCHOLOGIQUE").encode("utf-8")
    line = line.replace(b"PSYCHOLOGIQUE", b"PSYCHOLOGIQUE \xe9")
    path.write_bytes(b"finess;etalab;111;2026-11-02\n" + line + b"\n")
    summary = run(state, path)
    (proposal,) = pending_proposals(state)
    assert proposal.entry["name"].startswith("CENTRE MÉDICO PSYCHOLOGIQUE")
    assert [i.where for i in summary.issues] == ["ligne 2"] and "0xE9" in summary.issues[0].message


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("fmt", ["finess", "data-inclusion"])
def test_a_json_nested_200000_deep_is_refused_in_french(app, tmp_path, fmt):
    from directory.imports.readers import read_register

    path = tmp_path / "deep.json"
    path.write_text('{"pmej": ' + _deep(200_000) + ', "structures": []}', encoding="utf-8")
    issues = [r for r in read_register(fmt, path, register_mapping(), "72")]
    assert len(issues) == 1 and "trop imbriqué" in issues[0].message


@pytest.mark.parametrize("mutate", [
    lambda e: e["informationsGeneralesEGE"].update(numFinessEge=720019999),
    lambda e: e.update(informationsGeneralesEGE="pas un objet"),
    lambda e: e["contact"][0].update(telecom="0243810099"),
    lambda e: e.update(dateDerniereMaj=20261015),
    lambda e: e.update(adresse="8 rue du Port"),
    lambda e: e.update(contact={"telecom": None}),
], ids=["number-as-int", "general-as-string", "telecom-as-string", "date-as-number", "address-as-string",
        "contact-as-object"])
def test_json_fields_of_the_wrong_type_never_raise(app, tmp_path, mutate, state):
    site = ege()
    mutate(site)
    feed = _feed([site, ege(informationsGeneralesEGE={**ege()["informationsGeneralesEGE"],
                                                      "numFinessEge": "720017777", "nomEgeLong": "CSAPA AUTRE"})])
    path = tmp_path / "structures.json"
    path.write_text(json.dumps(feed), encoding="utf-8")
    summary = run(state, path)
    # The odd record is read or reported with its place; the good one is always proposed.
    assert summary.read + len([i for i in summary.issues if i.where == "pmej[0].ege[0]"]) == 2
    assert "720017777" in {p.entry["identifiers"]["finess"] for p in pending_proposals(state)
                           if p.kind == "new"} | {p.changes.get("identifiers.finess", {}).get("proposed")
                                                   for p in pending_proposals(state)}


def test_a_pmej_block_of_the_wrong_type_is_reported(app, tmp_path, state):
    feed = _feed([ege()])
    feed["pmej"][0]["informationsGeneralesPMEJ"] = ["pas", "un", "objet"]
    path = tmp_path / "structures.json"
    path.write_text(json.dumps(feed), encoding="utf-8")
    summary = run(state, path)
    assert summary.read == 1 and not [i for i in summary.issues if "Traceback" in i.message]
