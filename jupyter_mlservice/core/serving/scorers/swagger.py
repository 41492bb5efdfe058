"""The swagger (2.0) and OpenAPI (3.0, 3.1) documents of a deployment's `/score` route, built from
its scorer's request and answer schemas unless the deployment ships its own.

Versions as Azure's inference server serves them: ``GET /swagger.json`` is version 2;
``?version=`` takes 2 (or 2.0), 3 (or 3.0) and 3.1. A file next to the scoring script wins:
``swagger.json`` or ``swagger2.json`` for 2, ``swagger3.json`` for 3, ``swagger3.1.json`` for 3.1.
"""

from __future__ import annotations

from .base import Scorer

# ?version= -> the version it means (Azure's aliases)
VERSIONS = {"2": "2", "2.0": "2", "3": "3", "3.0": "3", "3.1": "3.1"}
SUPPORTED = ["2", "3", "3.1"]


class SwaggerVersionError(Exception):
    """A version that is not served; the message says which are (a 404, as Azure answers it)."""


def swagger_document(endpoint: str, scorer: Scorer, version: str) -> dict:
    """`GET /swagger.json?version=...` for the `/score` route, as azmlinfsrv serves it."""
    if version not in VERSIONS:
        raise SwaggerVersionError(f"Swagger version [{version}] is not valid. Supported versions: [{', '.join(SUPPORTED)}].")
    version = VERSIONS[version]
    custom = scorer.user_swagger(version)
    if custom is not None:
        return custom
    supported = scorer.swagger_versions()
    if version not in supported:
        raise SwaggerVersionError(f"Swagger version [{version}] is not supported for the scoring script. "
                                  f"Supported swagger versions: [{', '.join(supported)}].")
    inp, out = scorer.swagger_schemas()
    error_schema = {"type": "object", "properties": {"message": {"type": "string"}}}
    score = {
        "operationId": "RunMLService",
        "description": "Run web service's model and get the prediction output",
        "security": [{"Bearer": []}],
        "responses": {
            "200": {"description": "The prediction", "schema": {"$ref": "#/definitions/ServiceOutput"}},
            "default": {"description": "An error", "schema": {"$ref": "#/definitions/ErrorResponse"}},
        },
    }
    if version == "2":
        score["parameters"] = [
            {"name": "serviceInputPayload", "in": "body", "schema": {"$ref": "#/definitions/ServiceInput"}}
        ]
        return {
            "swagger": "2.0",
            "info": {"title": endpoint, "description": f"API specification for the endpoint {endpoint}",
                     "version": "1.0"},  # fmt: skip
            "schemes": ["http"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "securityDefinitions": {
                "Bearer": {"type": "apiKey", "name": "Authorization", "in": "header",
                           "description": "For example: Bearer abc123"}  # fmt: skip
            },
            "paths": {
                "/": {"get": {"operationId": "ServiceHealthCheck", "responses": {"200": {"description": "Healthy"}}}},
                "/score": {"post": score},
            },
            "definitions": {"ServiceInput": inp, "ServiceOutput": out, "ErrorResponse": error_schema},
        }
    ref = {"$ref": "#/components/schemas/ServiceOutput"}
    score["responses"] = {"200": {"description": "The prediction", "content": {"application/json": {"schema": ref}}}}
    score["requestBody"] = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServiceInput"}}}
    }
    return {
        "openapi": "3.1.0" if version == "3.1" else "3.0.1",
        "info": {"title": endpoint, "version": "1.0"},
        "paths": {"/score": {"post": score}},
        "components": {
            "securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"ServiceInput": inp, "ServiceOutput": out, "ErrorResponse": error_schema},
        },
    }
