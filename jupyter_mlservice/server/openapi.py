"""The OpenAPI document, generated from the route table and the pydantic schemas.

`python -m jupyter_mlservice.server.openapi` rewrites the checked-in copy (openapi.json beside
this file); a test fails when the two differ.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from ..core.contract import constants
from .routes import OPS, PREFIX

API_VERSION = "1.0"

CHECKED_IN = Path(__file__).with_name("openapi.json")
REF = "#/components/schemas/{model}"


def _schema_of(obj: Any, defs: dict[str, Any]) -> dict[str, Any] | None:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        return {"$ref": REF.format(model=obj.__name__)}
    schema = TypeAdapter(obj).json_schema(ref_template=REF)
    defs.update(schema.pop("$defs", {}))
    return schema


@functools.cache
def openapi_document() -> dict[str, Any]:
    models = set()
    for op in OPS:
        for obj in (op.response, op.body):
            if isinstance(obj, type) and issubclass(obj, BaseModel):
                models.add(obj)
    _, top = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)], ref_template=REF)
    components: dict[str, Any] = dict(top.get("$defs", {}))
    error = {"$ref": REF.format(model="ErrorBody")}
    from ..core.schemas import ErrorBody

    components["ErrorBody"] = ErrorBody.model_json_schema(ref_template=REF)
    paths: dict[str, Any] = {}
    for op in OPS:
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _path_params(op.path)
        ]
        for q in op.query:
            schema: dict[str, Any] = {"type": q.type}
            if q.repeated:
                schema = {"type": "array", "items": schema}
            params.append({"name": q.name, "in": "query", "required": False, "description": q.description, "schema": schema})
        responses: dict[str, Any] = {}
        body_schema = _schema_of(op.response, components)
        if op.status == 204 or body_schema is None:
            responses[str(op.status)] = {"description": "Done."}
        else:
            media = "*/*" if body_schema.get("format") == "binary" else "application/json"  # a file, typed by its name
            responses[str(op.status)] = {"description": "OK", "content": {media: {"schema": body_schema}}}
        for code, what in (("400", "Bad input; the message says what to change."), ("401", "Not authenticated."), ("403", "Not authorized, or a path out of reach (outside the server root)."), ("404", "Not found."), ("409", "Conflicts with the current state."), ("503", "The server is stopping; try again once it is back.")):
            responses[code] = {"description": what, "content": {"application/json": {"schema": error}}}
        entry: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag] if op.tag else [],
            "parameters": params,
            "responses": responses,
            "security": [{"token": []}],
        }
        request = _schema_of(op.body, components)
        if request is not None:
            # a body whose fields are all optional may be left out (the handler reads it as {})
            resolved = _resolve(request, components)
            required = resolved.get("type") != "object" or bool(resolved.get("required"))
            entry["requestBody"] = {"required": required, "content": {"application/json": {"schema": request}}}
        links = _links(op, components)
        if links:
            responses[str(op.status)]["links"] = links
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "jupyter-mlservice",
            "version": API_VERSION,
            "description": "REST API of the jupyter-mlservice server extension. Every route needs Jupyter auth.",
        },
        "x-mlservice-constants": constants(),
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "Jupyter server token (`Authorization: token <T>` also works)."}},
        },
    }


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def _links(op: Any, components: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI links from a create (POST answering 201) to the operations on what it created:
    `POST /jobs` -> `GET /jobs/{job_id}` with job_id taken from the answer's `id`. Clients (and
    the fuzz test's stateful phase) follow them."""
    if op.method != "POST" or op.status != 201 or not isinstance(op.response, type):
        return {}
    props = _resolve(_schema_of(op.response, {}) or {}, components).get("properties", {})
    base = _path_params(op.path)
    out: dict[str, Any] = {}
    for other in OPS:
        if other is op or not other.path.startswith(op.path + "/{"):
            continue
        params: dict[str, str] = {p: f"$request.path.{p}" for p in base}
        used: set[str] = set()
        for name in _path_params(other.path)[len(base):]:
            field = next((f for f in (name, "id", "name") if f in props and f not in used), None)
            if field is None:
                break
            used.add(field)
            params[name] = f"$response.body#/{field}"
        else:
            out[other.operation_id] = {"operationId": other.operation_id, "parameters": params}
    return out


def _path_params(path: str) -> list[str]:
    import re

    return re.findall(r"\{(\w+)\}", path)


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=False) + "\n"


def main() -> int:
    CHECKED_IN.write_text(render())
    print(f"wrote {CHECKED_IN}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
