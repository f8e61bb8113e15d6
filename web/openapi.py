"""OpenAPI description of the JSON API, served at ``/api/openapi.json``.

Request bodies come from the validators themselves (``ServiceEntry``, ``OrientationInput``)
so the description cannot drift from what the API accepts; a test checks that every
``/api`` route is described.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from directory.schema import ServiceEntry
from recommender.request import OrientationInput
from workspace.situation_models import SITUATION_STATUSES
from workspace.situations import RelayInput

bp = Blueprint("openapi", __name__)

_COMMUNE_OPTION = {"type": "object", "required": ["insee", "name", "departement", "label"], "properties": {
    "insee": {"type": "string"}, "name": {"type": "string"}, "departement": {"type": "string"},
    "label": {"type": "string", "description": "« Saint-Georges (15) »"}}}
_OPTIONS = {"type": "array", "items": _COMMUNE_OPTION,
            "description": "Communes à proposer : homonymes (département indiqué) ou noms proches"}
_CHOSEN_COMMUNE = {"type": ["object", "null"], "properties": {
    "insee": {"type": "string"}, "name": {"type": "string"}, "departement": {"type": ["string", "null"]},
    "in_territory": {"type": "boolean", "description": "Faux quand aucune structure de l'annuaire ne dessert "
                     "le département de la commune : les structures proposées sont seulement les plus proches"},
    "homonyms": {"type": "array", "items": _COMMUNE_OPTION,
                 "description": "Autres communes du même nom (ou du même code postal) quand celle de "
                 "l'annuaire a été retenue"},
    "homonyms_share": {"enum": ["name", "postcode"]}}}
_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"}, "field": {"type": "string"}, "options": _OPTIONS,
                         "status": {"type": "integer"},
                         "errors": {"type": "array", "maxItems": 20, "items": {"type": "object"}},
                         "errors_omitted": {"type": "integer",
                                            "description": "Erreurs non listées au-delà des 20 premières"}}}
_RELAYED = {"type": "object", "required": ["id", "platform", "status"], "properties": {
    "id": {"type": "string"}, "platform": {"type": "string"}, "platform_name": {"type": "string"},
    "status": {"type": "string"},
    "emergency": {"type": "string", "description": "Présent quand l'accord est « emergency » : appeler d'abord"}}}
_PHONE = {"type": ["object", "null"], "properties": {
    "number": {"type": "string"}, "placeholder": {"type": "boolean"},
    "dial": {"type": ["string", "null"], "description": "Chiffres à composer ; null pour un numéro fictif"}}}
_SEARCH_RESULT = {"type": "object", "required": ["id", "name", "types", "domain"], "properties": {
    "id": {"type": "string"}, "name": {"type": "string"},
    "types": {"type": "array", "items": {"type": "string"}}, "domain": {"type": "string"},
    "commune": {"type": ["object", "null"]}, "covers_commune": {"type": ["boolean", "null"]},
    "distance_km": {"type": ["number", "null"]}, "wait": {"type": ["object", "null"]},
    "phone": _PHONE, "score": {"type": "number"}}}
_IGNORED = {"type": "array", "description": "Mots lus puis écartés, avec la raison (négation, passé, hypothèse, "
            "autre personne, faux ami, signe isolé, mot proche d'un mot d'alerte)",
            "items": {"type": "object", "required": ["code", "words", "category", "reason"]}}
_SEARCH = {"type": "object", "required": ["total", "results", "facets", "detected_problems"], "properties": {
    "total": {"type": "integer"}, "results": {"type": "array", "items": _SEARCH_RESULT}, "commune": _CHOSEN_COMMUNE,
    "facets": {"type": "object"}, "detected_problems": {"type": "array", "items": {"type": "object"}},
    "ignored": _IGNORED, "danger_signals": {"type": "array"},
    "commune_needed": {"type": "boolean", "description": "Sans commune, une réponse est la mairie de la commune "
                       "de résidence : indiquer la commune pour avoir ses coordonnées"},
    "urgency": {"enum": ["P0", "P1", "P2", "P3"], "description": "Présent quand un danger est lu ou qu'un "
                "problème compris dit quand appeler les secours"},
    "emergency_numbers": {"type": "array"}, "helplines": {"type": "array"}, "advice": {"type": "array"},
    "index": {"type": "object", "required": ["stale", "behind"], "description": "Fraîcheur de l'index de ce "
              "serveur : stale = des changements enregistrés ne sont peut-être pas encore dans les résultats",
              "properties": {"stale": {"type": "boolean"}, "behind": {"type": ["integer", "null"]}}}}}
_HEALTH = {"type": "object", "required": ["status", "services", "index"], "properties": {
    "status": {"enum": ["ok", "degraded"]}, "services": {"type": "integer"},
    "index": {"type": "object", "required": ["applied_change", "latest_change", "behind", "lag_seconds", "stale"]}}}
_ORIENTATION = {"type": "object", "required": ["commune", "urgency", "emergency_numbers", "suggestions", "gaps"],
                "properties": {"commune": _CHOSEN_COMMUNE, "urgency": {"enum": ["P0", "P1", "P2", "P3"]},
                               "detected_problems": {"type": "array"}, "ignored": _IGNORED,
                               "signals": {"type": "array"}, "advice": {"type": "array"},
                               "emergency_numbers": {"type": "array"},
                               "helplines": {"type": "array"}, "suggestions": {"type": "array"},
                               "gaps": {"type": "array"}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    texts = {400: "Paramètre ou corps invalide (champ nommé)", 401: "Authentification requise",
             403: "Droits insuffisants", 404: "Introuvable", 409: "Conflit de version",
             413: "Corps trop volumineux (256 Ko au plus)", 428: "En-tête If-Match requis",
             503: "Base de données ou index de recherche momentanément indisponible (Retry-After)"}
    return {str(code): _json({"$ref": "#/components/schemas/Error"}, texts[code]) for code in codes}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


_ID = {"name": "service_id", "in": "path", "required": True, "schema": {"type": "string"}}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
             "description": "Version lue (ETag de GET /api/services/{service_id})"}
_WRITE_SECURITY = [{"session": []}, {"bearer": []}]
_PATCH_BODY = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
_COMMUNES = {"type": "object", "required": ["results"]}


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of the API."""
    entry = ServiceEntry.model_json_schema(ref_template="#/components/schemas/{model}")
    orientation_input = OrientationInput.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = {"Error": _ERROR, "SearchResponse": _SEARCH, "OrientationResponse": _ORIENTATION}
    for source in (entry, orientation_input):
        schemas.update(source.pop("$defs", {}))
    schemas["ServiceEntry"] = entry
    schemas["OrientationInput"] = orientation_input
    relay_input = RelayInput.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(relay_input.pop("$defs", {}))
    schemas["RelayInput"] = relay_input
    service = _json({"type": "object"}, "Une structure, tous ses champs (ETag = version)")
    search_params = [
        _query("q", "Texte libre (500 caractères au plus)"), _query("commune", "Code INSEE, code postal ou nom"),
        _query("type", "Code de type de service (répétable)"), _query("domain", "Code de domaine"),
        _query("problem", "Code problème"), _query("status", "Statut"),
        _query("open_now", "Ouvert maintenant (1)"),
        _query("limit", "Taille de page", {"type": "integer", "minimum": 1, "maximum": 100}),
        _query("offset", "Décalage", {"type": "integer", "minimum": 0})]
    body = {"required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServiceEntry"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Maillage", "version": "1",
                 "description": "Annuaire des partenaires et aide à l'orientation."},
        "paths": {
            "/healthz": {"get": {"summary": "État du service", "responses": {
                "200": _json(_HEALTH, "OK ou dégradé (index en retard)"), **_errors(503)}}},
            "/api/services": {
                "get": {"summary": "Rechercher dans l'annuaire", "parameters": search_params,
                        "responses": {"200": _json({"$ref": "#/components/schemas/SearchResponse"}, "Résultats"),
                                      **_errors(400, 503)}},
                "post": {"summary": "Créer une structure", "security": _WRITE_SECURITY, "requestBody": body,
                         "responses": {"201": service, **_errors(400, 401, 403, 409, 413)}}},
            "/api/services/{service_id}": {
                "parameters": [_ID],
                "get": {"summary": "Une structure", "responses": {"200": service, **_errors(404)}},
                "put": {"summary": "Remplacer une structure", "security": _WRITE_SECURITY,
                        "parameters": [_IF_MATCH], "requestBody": body,
                        "responses": {"200": service, **_errors(400, 401, 403, 404, 409, 413, 428)}},
                "patch": {"summary": "Modifier des champs", "security": _WRITE_SECURITY, "parameters": [_IF_MATCH],
                          "requestBody": _PATCH_BODY,
                          "responses": {"200": service, **_errors(400, 401, 403, 404, 409, 413, 428)}},
                "delete": {"summary": "Fermer une structure (historique conservé)", "security": _WRITE_SECURITY,
                           "parameters": [_IF_MATCH],
                           "responses": {"200": service, **_errors(401, 403, 404, 409, 428)}}},
            "/api/communes": {"get": {"summary": "Autocomplétion des communes",
                                      "parameters": [_query("q", "Début du nom ou code postal"),
                                                     _query("departement", "Code du département"),
                                                     _query("limit", "Nombre", {"type": "integer", "minimum": 1,
                                                                                "maximum": 50})],
                                      "responses": {"200": _json(_COMMUNES, "Communes"), **_errors(400)}}},
            "/api/orientations": {"post": {
                "summary": "Orientations suggérées pour un ménage (rien n'est enregistré)",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/OrientationInput"}}}},
                "responses": {"200": _json({"$ref": "#/components/schemas/OrientationResponse"}, "Orientations"),
                              **_errors(400, 413)}}},
            "/api/situations": {
                "get": {"summary": "Situations des plateformes de l'appelant et celles qu'il a transmises "
                                   "(sans donnée personnelle)", "security": _WRITE_SECURITY,
                        "responses": {"200": _json({"type": "object", "required": ["situations"]}, "Situations"),
                                      **_errors(401)}},
                "post": {"summary": "Transmettre une situation à la plateforme de la commune (correspondants, "
                                    "référents sociaux)", "security": _WRITE_SECURITY,
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/RelayInput"}}}},
                         "responses": {"201": _json(_RELAYED, "Transmise"), **_errors(400, 401, 403, 413)}}},
            "/api/situations/{situation_id}": {
                "parameters": [{"name": "situation_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"summary": "Une situation, selon ce que l'appelant peut en voir (404 pour qui ne doit "
                                  "pas savoir qu'elle existe)", "security": _WRITE_SECURITY,
                        "responses": {"200": _json({"type": "object", "required": ["id", "status"]}, "Situation"),
                                      **_errors(401, 404)}},
                "patch": {"summary": "Changer le statut (membres de la plateforme ; journalisé)",
                          "security": _WRITE_SECURITY,
                          "requestBody": {"required": True, "content": {"application/json": {"schema": {
                              "type": "object", "required": ["status"], "additionalProperties": False,
                              "properties": {"status": {"enum": list(SITUATION_STATUSES)}}}}}},
                          "responses": {"200": _json({"type": "object", "required": ["id", "status"]}, "Statut"),
                                        **_errors(400, 401, 403, 404, 413)}}},
            "/api/export/data-inclusion": {"get": {
                "summary": "Export au schéma data·inclusion",
                "responses": {"200": _json({"type": "object", "required": ["structures", "services"]}, "Export")}}},
            "/api/openapi.json": {"get": {"summary": "Cette description",
                                          "responses": {"200": _json({"type": "object"}, "OpenAPI")}}},
        },
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "Session de coordinateur + en-tête X-CSRFToken"},
            "bearer": {"type": "http", "scheme": "bearer", "description": "Jeton d'API créé par un administrateur"}}},
    }


@bp.get("/api/openapi.json")
def openapi_json():
    """The OpenAPI description."""
    return jsonify(openapi_document())
