"""What every handler shares: auth, JSON in/out, domain errors as HTTP codes, work off the loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, TypeAdapter, ValidationError
from tornado import web

from ..core.errors import MLServiceError
from ..core.schemas import MAX_PAGE_SIZE

T = TypeVar("T")

AUTH_RESOURCE = "mlservice"


class MLServiceHandler(ExtensionHandlerMixin, APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def workspace(self):
        return self.settings["mlservice_workspace"]

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking service work on a thread; map domain errors to HTTP errors."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except MLServiceError as exc:
            raise web.HTTPError(exc.status, exc.message, reason=type(exc).__name__) from None

    def parse(self, model: type[T] | Any) -> T:
        """Validate the JSON body; a bad body is a 400 naming the field."""
        try:
            data = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as exc:
            raise web.HTTPError(400, f"request body is not valid JSON: {exc}", reason="InvalidRequest") from None
        try:
            adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise web.HTTPError(400, describe_validation_error(exc), reason="InvalidRequest") from None

    def query_int(self, name: str, default: int, low: int = 1, high: int = MAX_PAGE_SIZE) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise web.HTTPError(400, f"query parameter {name} must be an integer", reason="InvalidRequest") from None
        if not low <= value <= high:
            raise web.HTTPError(400, f"query parameter {name} must be between {low} and {high}", reason="InvalidRequest")
        return value

    def page_args(self, default_limit: int) -> dict[str, Any]:
        """``limit`` and ``cursor`` of a list route, as service keyword arguments."""
        return {"limit": self.query_int("limit", default_limit), "cursor": self.get_query_argument("cursor", None)}

    def no_content(self) -> None:
        self.set_status(204)
        self.finish()

    def reply(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        if isinstance(value, BaseModel):
            self.finish(value.model_dump_json())
        else:
            self.finish(json.dumps(value, default=str))


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = list(err["loc"])
        # A discriminated union puts the chosen kind first ("command", "timeout_s"); drop it.
        if len(loc) > 1 and loc[0] in ("command", "notebook", "code", "batch"):
            loc = loc[1:]
        parts.append(f"{'.'.join(str(p) for p in loc) or 'body'}: {err['msg']}")
    return "invalid request: " + "; ".join(parts)


# Re-exported so route modules use one spelling.
authenticated = web.authenticated
__all__ = ["MLServiceHandler", "authenticated", "authorized", "describe_validation_error"]
