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
    return failures + check_reading(answer, expect, types_of(answer, 5))


def check_reading(answer: dict, expect: dict, top5: list[str]) -> list[str]:
    """The reading keys of a case (``detected``, ``not_detected``, ``none_of_top5``), for a
    search answer or an orientation answer."""
    failures = []
    detected = {p["code"] for p in answer.get("detected_problems", [])}
    for code in expect.get("detected", []):
        if code not in detected:
            failures.append(f"{code} not detected (read: {sorted(detected)})")
    for code in expect.get("not_detected", []):
        if code in detected:
            failures.append(f"{code} detected")
    for code in expect.get("none_of_top5", []):
        if code in top5:
            failures.append(f"{code} in the first five {top5}")
    return failures


def search_types(answer: dict, top: int = 5) -> list[str]:
    """Types of the first results of a search answer (every type of each result)."""
    return [t for result in answer["results"][:top] for t in result["types"]]


def check_query(answer: dict, case: dict) -> list[str]:
    """Every unmet expectation of a lay query case (``expect_any`` among the first five)."""
    top5 = search_types(answer)
    failures = []
    if not set(top5) & set(case["expect_any"]):
        failures.append(f"none of {case['expect_any']} in the first five {[r['id'] for r in answer['results'][:5]]}")
    return failures + check_reading(answer, case, top5)


def precision_at_5(answer: dict, expect_any: list[str]) -> float:
    """Share of the first five results whose type is acceptable (0 when there is none)."""
    results = answer["results"][:5]
    if not results:
        return 0.0
    return sum(1 for r in results if set(r["types"]) & set(expect_any)) / len(results)
