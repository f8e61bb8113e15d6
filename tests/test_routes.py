"""The list of routes is guarded, and every API route is described in the OpenAPI document."""

import re


def _rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_every_api_route_is_described(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, item in document["paths"].items()
                 for method in item if method in ("get", "post", "put", "patch", "delete")}
    routes = {(_rule_to_openapi(rule.rule), method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") or rule.rule == "/healthz"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes - described == set()


def test_request_schemas_come_from_the_validators(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert "types" in schemas["ServiceEntry"]["properties"]
    assert set(schemas["OrientationInput"]["properties"]) == {"commune", "problems", "description", "role",
                                                              "household", "answers", "dismissed"}


EXPECTED_ROUTES = {
    "/", "/healthz", "/annuaire", "/services/<service_id>", "/orientation", "/orientation/fiche", "/carte",
    "/carte/contours/<departement>.geojson",
    "/connexion", "/deconnexion", "/coordination/", "/coordination/services/nouveau",
    "/coordination/services/<service_id>/modifier", "/coordination/services/<service_id>/verifier",
    "/coordination/services/<service_id>/fermer", "/coordination/services/<service_id>/rouvrir",
    "/coordination/services/<service_id>/restaurer/<int:old_version>",
    "/coordination/services/<service_id>/historique", "/coordination/couverture",
    "/coordination/propositions", "/coordination/propositions/<int:proposal_id>", "/coordination/comptes",
    "/coordination/aide/<name>", "/coordination/import", "/coordination/import/appliquer", "/coordination/export",
    "/coordination/export/annuaire.yaml", "/coordination/export/annuaire.csv",
    "/api/services", "/api/services/<service_id>", "/api/communes", "/api/orientations",
    "/api/export/data-inclusion", "/api/openapi.json", "/static/<path:filename>",
    "/signalements/nouveau", "/api/situations", "/api/situations/<situation_id>",
}


def test_route_list_is_deliberate(app):
    """A new page or endpoint is added here on purpose (and documented in the README)."""
    assert {rule.rule for rule in app.url_map.iter_rules()} == EXPECTED_ROUTES
