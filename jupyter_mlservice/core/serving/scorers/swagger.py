"""The swagger (2.0) and OpenAPI (3.0) documents of a deployment's `/score` route, built from
its scorer's request and answer schemas unless the deployment ships its own."""

from __future__ import annotations

from .base import Scorer


def swagger_document(endpoint: str, scorer: Scorer, version: str) -> dict | None:
    """`GET /swagger.json?version=2|3` for the `/score` route, as azmlinfsrv serves it; None for other versions."""
    if version not in ("2", "2.0", "3", "3.0"):
        return None
    version = version[0]
    custom = scorer.user_swagger(version)
    if custom is not None:
        return custom
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
        "openapi": "3.0.1",
        "info": {"title": endpoint, "version": "1.0"},
        "paths": {"/score": {"post": score}},
        "components": {
            "securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"ServiceInput": inp, "ServiceOutput": out, "ErrorResponse": error_schema},
        },
    }
