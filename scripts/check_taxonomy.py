#!/usr/bin/env python3
"""Self-check for data/taxonomy.yaml (Maillage controlled vocabulary).

Usage:  python3 scripts/check_taxonomy.py

Checks structure, counts (6 domains / 54 service types / 27 problems), code
uniqueness, cross-references, emergency-number safety rules and a few
escalation-word smoke tests.

Dev aid only: if the domain reference ../shared/domain/REFERENCE.md exists
(outside the repo, path overridable with MAILLAGE_REFERENCE), the §3.1 and
§4.1 tables are parsed from it and the code lists must match exactly, in
order. The application itself never reads ../shared.
"""
from __future__ import annotations

import os
import re
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = ROOT / "data" / "taxonomy.yaml"
REFERENCE = Path(os.environ.get(
    "MAILLAGE_REFERENCE", ROOT.parent / "shared" / "domain" / "REFERENCE.md"))

TOP_KEYS = ["version", "domains", "problem_groups", "service_types", "problems",
            "eligibility_requirements", "referrers", "household_values",
            "emergency_numbers", "escalation_words"]
DOMAINS = ["logement", "hebergement", "sante", "medico_social", "droit_commun", "urgence"]
ACCESS_KEYS = ["gardien_direct", "self_referral", "referral_by", "requires"]
TRIAGE = {"P0", "P1", "P2", "P3"}
BLOCKS = {"urgences", "urgences_sociales", "numeros_utiles"}
NATURES = {"medical", "violence", "fire", "cannot_speak", "child", "levee_de_doute", "any"}
HOUSEHOLD_REQUIRED = ["prestations", "notifications_mdph", "mesure_protection", "bailleur",
                      "contact_etabli", "procedure_stage"]

errors: list[str] = []


def err(msg: str) -> None:
    errors.append(msg)


def codes(items) -> list[str]:
    return [i["code"] for i in items]


def check_unique(name: str, values: list[str]) -> None:
    seen = set()
    for v in values:
        if v in seen:
            err(f"{name}: duplicate code {v!r}")
        seen.add(v)


def is_lower(words) -> bool:
    return all(w == w.lower() for w in words)


# --- text normalisation & matching (mirrors §4.2 guidance) -------------------
def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("œ", "oe")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"([a-z])\1{2,}", r"\1", text)  # "biiizarre" -> "bizarre"
    return f" {text.strip()} "


def contains(text_n: str, phrase: str) -> bool:
    return normalise(phrase) in text_n


def escalation(tax, text: str) -> list[str]:
    t = normalise(text)
    found = []
    for group in tax["escalation_words"]:
        tt = t
        for ex in group.get("except_phrases", []):
            tt = tt.replace(normalise(ex), " ")
        hits = {w for w in group["words"] if contains(tt, w)}
        if len(hits) < group.get("min_signs", 1):
            continue
        if "with_any" in group and not any(contains(tt, w) for w in group["with_any"]):
            continue
        found.append(group["nature"])
    return found


def problem_matches(tax, text: str) -> list[str]:
    t = normalise(text)
    return [p["code"] for p in tax["problems"]
            if any(contains(t, w) for w in p["lay_words"] + p["stigmatising_words"])]


# --- reference parsing (dev aid) ---------------------------------------------
def section(lines: list[str], start: str, end: str) -> list[str]:
    i = next(n for n, l in enumerate(lines) if l.startswith(start))
    j = next(n for n, l in enumerate(lines) if n > i and l.startswith(end))
    return lines[i:j]


def check_against_reference(tax) -> None:
    if not REFERENCE.exists():
        print(f"note: {REFERENCE} not found, reference comparison skipped")
        return
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    row = re.compile(r"^\|\s*\d+\s*\|\s*`([a-z_]+)`\s*\|\s*([^|]+?)\s*\|")
    ref_types = [m.group(1) for l in section(lines, "### 3.1", "### 3.2") if (m := row.match(l))]
    ref_probs = [(m.group(1), m.group(2)) for l in section(lines, "### 4.1", "### 4.2")
                 if (m := row.match(l))]
    if codes(tax["service_types"]) != ref_types:
        err(f"service type codes differ from REFERENCE §3.1 "
            f"(missing {set(ref_types) - set(codes(tax['service_types']))}, "
            f"extra {set(codes(tax['service_types'])) - set(ref_types)}, or order)")
    if codes(tax["problems"]) != [c for c, _ in ref_probs]:
        err("problem codes differ from REFERENCE §4.1 (set or order)")
    for p, (c, label) in zip(tax["problems"], ref_probs, strict=False):
        if p["code"] == c and p["label"] != label:
            err(f"problem {c}: label {p['label']!r} != reference {label!r}")
    # every number of §6 tables must be present
    ours = {re.sub(r"\D", "", n["number"]) for n in tax["emergency_numbers"]}
    for l in section(lines, "## 6.", "## 7."):
        m = re.match(r"^\|\s*\**([0-9][0-9 ]*[0-9]|[0-9]+)\**\s*\|", l)
        if m and re.sub(r"\D", "", m.group(1)) not in ours:
            err(f"§6 number {m.group(1)!r} missing from emergency_numbers")
    print(f"reference: {len(ref_types)} type codes and {len(ref_probs)} problem codes compared")


def main() -> int:
    with TAXONOMY.open(encoding="utf-8") as f:
        tax = yaml.safe_load(f)

    if list(tax.keys()) != TOP_KEYS:
        err(f"top-level keys {list(tax.keys())} != {TOP_KEYS}")

    # counts & uniqueness
    if codes(tax["domains"]) != DOMAINS:
        err(f"domains {codes(tax['domains'])} != {DOMAINS}")
    if len(tax["service_types"]) != 54:
        err(f"{len(tax['service_types'])} service types, expected 54")
    if len(tax["problems"]) != 27:
        err(f"{len(tax['problems'])} problems, expected 27")
    if not 5 <= len(tax["problem_groups"]) <= 7:
        err(f"{len(tax['problem_groups'])} problem groups, expected 5-7")
    for key in ["domains", "problem_groups", "service_types", "problems",
                "eligibility_requirements", "referrers"]:
        check_unique(key, codes(tax[key]))

    type_codes = set(codes(tax["service_types"]))
    prob_codes = set(codes(tax["problems"]))
    group_codes = set(codes(tax["problem_groups"]))
    req_codes = set(codes(tax["eligibility_requirements"]))
    ref_codes = set(codes(tax["referrers"]))
    used_req, used_ref = set(), set()

    # service types
    for t in tax["service_types"]:
        c = t["code"]
        for k in ["label", "short_label", "domain", "secondary_domains", "scope", "description",
                  "sectorised", "access", "typical_wait", "long_wait", "lay_words"]:
            if k not in t:
                err(f"type {c}: missing {k}")
        if t["domain"] not in DOMAINS:
            err(f"type {c}: unknown domain {t['domain']}")
        for d in t["secondary_domains"]:
            if d not in DOMAINS or d == t["domain"]:
                err(f"type {c}: bad secondary domain {d}")
        if t["scope"] not in ("core", "ext"):
            err(f"type {c}: bad scope")
        if len(t["short_label"]) > 25:
            err(f"type {c}: short_label longer than 25 chars")
        if not isinstance(t["sectorised"], bool) or not isinstance(t["long_wait"], bool):
            err(f"type {c}: sectorised/long_wait must be booleans")
        a = t["access"]
        if list(a.keys()) != ACCESS_KEYS:
            err(f"type {c}: access keys {list(a.keys())}")
        for r in a["referral_by"]:
            used_ref.add(r)
            if r not in ref_codes:
                err(f"type {c}: unknown referrer {r}")
        for r in a["requires"]:
            used_req.add(r)
            if r not in req_codes:
                err(f"type {c}: unknown requirement {r}")
        if a["self_referral"] != ("self" in a["referral_by"]):
            err(f"type {c}: self_referral inconsistent with referral_by")
        if a["gardien_direct"] and not {"gardien", "any_citizen"} & set(a["referral_by"]):
            err(f"type {c}: gardien_direct but neither gardien nor any_citizen in referral_by")
        if len(t["lay_words"]) > 10 or not is_lower(t["lay_words"]):
            err(f"type {c}: lay_words must be 0-10 lower-case items")

    # problems
    used_groups = set()
    for p in tax["problems"]:
        c = p["code"]
        for k in ["label", "group", "triage", "triage_note", "definition", "lay_words",
                  "stigmatising_words", "questions", "service_types"]:
            if k not in p:
                err(f"problem {c}: missing {k}")
        if p["group"] not in group_codes:
            err(f"problem {c}: unknown group {p['group']}")
        used_groups.add(p["group"])
        if p["triage"] not in TRIAGE:
            err(f"problem {c}: bad triage {p['triage']}")
        for s in p["service_types"]:
            if s not in type_codes:
                err(f"problem {c}: unknown service type {s}")
        check_unique(f"problem {c} service_types", p["service_types"])
        check_unique(f"problem {c} lay_words", p["lay_words"])
        if not is_lower(p["lay_words"]) or not is_lower(p["stigmatising_words"]):
            err(f"problem {c}: words must be lower-case")
        overlap = set(p["lay_words"]) & set(p["stigmatising_words"])
        if overlap:
            err(f"problem {c}: stigmatising words in lay_words: {overlap}")
    for g in group_codes - used_groups:
        err(f"problem group {g} is not used")

    # household values
    hv = tax["household_values"]
    for k in HOUSEHOLD_REQUIRED:
        if k not in hv:
            err(f"household_values: missing {k}")
    for k, items in hv.items():
        check_unique(f"household_values.{k}", codes(items))
        for i in items:
            if "nature" in i and i["nature"] not in NATURES:
                err(f"household_values.{k}.{i['code']}: bad nature")
            if "triage" in i and i["triage"] not in TRIAGE:
                err(f"household_values.{k}.{i['code']}: bad triage")

    # emergency numbers
    number_natures = set()
    for n in tax["emergency_numbers"]:
        label = n["number"]
        if not isinstance(n["number"], str) or not isinstance(n["dial"], str):
            err(f"number {label}: number and dial must be strings")
        if n["block"] not in BLOCKS:
            err(f"number {label}: bad block")
        if n["dial"] and not n["dial"].isdigit():
            err(f"number {label}: dial must be digits only")
        if not n["verified"] and n["dial"]:
            err(f"number {label}: unverified number must have dial \"\"")
        if n["verified"] and n["dial"] != re.sub(r"\D", "", n["number"]):
            err(f"number {label}: dial does not match number")
        for x in n["nature"]:
            if x not in NATURES:
                err(f"number {label}: bad nature {x}")
            number_natures.add(x)
        for pc in n["show_for_problems"]:
            if pc not in prob_codes:
                err(f"number {label}: unknown problem {pc}")
    if [n["sms"] for n in tax["emergency_numbers"] if n["number"] == "114"] != [True]:
        err("114 must be sms: true")

    # escalation words
    for g in tax["escalation_words"]:
        if g["nature"] not in NATURES:
            err(f"escalation nature {g['nature']} unknown")
        if g["nature"] not in number_natures:
            err(f"escalation nature {g['nature']} has no emergency number")
        if not is_lower(g["words"] + g.get("with_any", []) + g.get("except_phrases", [])):
            err(f"escalation group {g['nature']}: words must be lower-case")

    # smoke tests of the escalation vocabulary
    cases = [
        ("il dit qu'il va se foutre en l'air ce soir, il a des cachets", "medical"),
        ("elle veut en finir, elle a des médicaments", "medical"),
        ("il a des idées noires depuis son divorce", None),
        ("volets fermés depuis 2 semaines, courrier qui déborde, odeur bizarre", "levee_de_doute"),
        ("volets fermés tout le temps", None),
        ("dit que les voisins envoient du gaz par les prises", None),
        ("odeur de gaz dans la cage d'escalier", "fire"),
        ("détecteur de fumée arraché", None),
        ("il la menace avec un couteau", "violence"),
        ("bébé seul depuis ce matin, il hurle", "child"),
        ("elle doit faire une prise de sang", None),
    ]
    for text, expected in cases:
        got = escalation(tax, text)
        if (expected is None and got) or (expected and expected not in got):
            err(f"escalation test {text!r}: got {got}, expected {expected}")
    t6 = problem_matches(tax, "il boit, bouteilles partout, tombe dans l'escalier, insulte les voisins")
    if not {"addiction_alcool", "troubles_voisinage"} <= set(t6):
        err(f"T6 lay matching: got {t6}")

    check_against_reference(tax)

    unused_req = req_codes - used_req
    unused_ref = ref_codes - used_ref
    print(f"domains={len(tax['domains'])} groups={len(tax['problem_groups'])} "
          f"service_types={len(tax['service_types'])} problems={len(tax['problems'])} "
          f"requirements={len(req_codes)} referrers={len(ref_codes)} "
          f"emergency_numbers={len(tax['emergency_numbers'])} "
          f"escalation_groups={len(tax['escalation_words'])}")
    if unused_req:
        print(f"note: requirement codes not used by any type: {sorted(unused_req)}")
    if unused_ref:
        print(f"note: referrer codes not used by any type: {sorted(unused_ref)}")
    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print(f"  - {e}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
