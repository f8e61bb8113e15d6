"""The orientation form: from submitted fields (strings) to a request body (typed JSON).

Plain Python over any mapping with ``get``/``getlist`` (Werkzeug's MultiDict, a dict of
lists in tests). Bad numbers become French errors naming the field.
"""

from __future__ import annotations

from directory.invalid import FieldError

LIST_FIELDS = ("prestations", "notifications_mdph", "suivis_en_cours")
CHOICE_FIELDS = ("contact_etabli", "bailleur", "mesure_protection")
INT_FIELDS = ("age", "nb_enfants_mineurs")


def _getlist(form, name: str) -> list[str]:
    if hasattr(form, "getlist"):
        values = form.getlist(name)
    else:
        value = form.get(name)
        values = value if isinstance(value, list) else ([value] if value is not None else [])
    return [str(v).strip() for v in values if str(v).strip()]


def form_to_body(form) -> tuple[dict, list[FieldError]]:
    """The JSON body of ``POST /api/orientations`` for submitted form fields."""
    errors: list[FieldError] = []
    # A commune chosen among those offered (homonyms, close names) replaces the typed one.
    body: dict = {"commune": (form.get("commune_choice") or form.get("commune") or "").strip(),
                  "problems": _getlist(form, "problems"),
                  "role": (form.get("role") or "travailleur_social").strip()}
    description = (form.get("description") or "").strip()
    if description:
        body["description"] = description
    household = _household(form, errors)
    if household:
        body["household"] = household
    answers = _answers(form)
    if answers:
        body["answers"] = answers
    dismissed = _getlist(form, "dismissed")
    if dismissed:
        body["dismissed"] = dismissed
    return body, errors


def _household(form, errors: list[FieldError]) -> dict:
    """What is known of the household, from the form's fields (bad numbers into ``errors``)."""
    household: dict = {}
    for name in INT_FIELDS:
        raw = (form.get(name) or "").strip()
        if raw:
            try:
                household[name] = int(raw)
            except ValueError:
                errors.append(FieldError(f"household.{name}", "doit être un nombre entier"))
    for name in LIST_FIELDS:
        values = _getlist(form, name)
        if values or form.get(f"{name}_given"):
            household[name] = values
    for name in CHOICE_FIELDS:
        value = (form.get(name) or "").strip()
        if value:
            household[name] = value
    if form.get("demande_mdph_en_cours"):
        household["demande_mdph_en_cours"] = True
    return household


def _answers(form) -> dict:
    """Answers to the questions of a previous answer (``answer_<question>`` fields)."""
    answers: dict = {}
    for name in ("danger_now", "who"):
        value = (form.get(f"answer_{name}") or "").strip()
        if value:
            answers[name] = value
    seen = _getlist(form, "answer_seen")
    if seen:
        answers["seen"] = seen
    return answers
