"""Checks of an orientation answer against a vignette's expectations (see tests/cases)."""

from __future__ import annotations


def types_of(answer: dict, top: int | None = None) -> list[str]:
    """Suggested types in rank order."""
    suggestions = answer["suggestions"][:top] if top else answer["suggestions"]
    return [s["type"] for s in suggestions]


def check_expectations(answer: dict, expect: dict) -> list[str]:  # noqa: C901 - one check per key
    """Every unmet expectation, in words (empty when the answer passes)."""
    failures = []
    urgency = expect.get("urgency")
    if urgency == "not_P0" and answer["urgency"] == "P0":
        failures.append("urgency is P0")
    elif urgency and urgency != "not_P0" and answer["urgency"] != urgency:
        failures.append(f"urgency {answer['urgency']} != {urgency}")
    numbers = [n["number"] for n in answer["emergency_numbers"]]
    helplines = [n["number"] for n in answer["helplines"]]
    if "emergency_first" in expect and (not numbers or numbers[0] not in expect["emergency_first"]):
        failures.append(f"first emergency number {numbers[:1]} not in {expect['emergency_first']}")
    for number in expect.get("numbers_include", []):
        if number not in numbers + helplines:
            failures.append(f"number {number} missing")
    for key, top in (("top3_any", 3), ("top5_any", 5)):
        if key in expect and not set(types_of(answer, top)) & set(expect[key]):
            failures.append(f"{key}: none of {expect[key]} in {types_of(answer, top)}")
    for code in expect.get("all_of", []):
        if code not in types_of(answer):
            failures.append(f"{code} not suggested")
    if "not_top1" in expect and types_of(answer, 1) and types_of(answer, 1)[0] in expect["not_top1"]:
        failures.append(f"top 1 is {types_of(answer, 1)[0]}")
    by_type = {s["type"]: s for s in answer["suggestions"]}
    for code in expect.get("covers_commune", []):
        services = by_type.get(code, {}).get("services", [])
        if not services or not services[0]["covers_commune"]:
            failures.append(f"first {code} service does not cover the commune")
    for code in expect.get("bridges_for", []):
        if not by_type.get(code, {}).get("bridges"):
            failures.append(f"no bridge for {code}")
    return failures
