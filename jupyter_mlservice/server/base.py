"""What every handler shares: auth, JSON in/out, domain errors as HTTP codes, work off the loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from http.client import responses
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, TypeAdapter, ValidationError
from tornado import web
from tornado.log import app_log

from ..core.errors import InvalidRequest, MLServiceError
from ..core.jsonbody import loads_untrusted
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
        except Exception as exc:
            status = _mlflow_client_error(exc)
            if status is None:
                raise
            raise web.HTTPError(status, f"MLflow refused the request: {exc.message}", reason="InvalidRequest" if status == 400 else "NotFound") from None

    def parse(self, model: type[T] | Any) -> T:
        """Validate the JSON body; a bad body is a 400 naming the field.

        Every body goes through ``loads_untrusted``: UTF-8, finite numbers, no lone surrogates or
        NUL characters, bounded nesting -- so what a service stores can always be read back.
        A missing body counts as ``{}`` (routes whose body has required fields then name them).
        """
        raw = self.request.body or b""
        try:
            data = loads_untrusted(raw) if raw.strip() else {}
        except InvalidRequest as exc:
            raise web.HTTPError(400, exc.message, reason="InvalidRequest") from None
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

    def query_time(self, name: str) -> datetime | None:
        """An ISO 8601 instant from the query (``Z`` accepted; naive = UTC), or None when absent."""
        raw = self.get_query_argument(name, None)
        if raw is None:
            return None
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise web.HTTPError(400, f"query parameter {name} must be an ISO 8601 time, e.g. 2026-12-03T14:00:00Z", reason="InvalidRequest") from None

    def get_login_url(self) -> str:
        # Jupyter's API handlers answer 403 to a request with no credentials; 401 says what is
        # missing (and is what the OpenAPI document promises).
        if not self.current_user:
            raise web.HTTPError(401, "authentication required: send the Jupyter token (Authorization: token <T>)", reason="NotAuthenticated")
        return super().get_login_url()

    def check_xsrf_cookie(self) -> None:
        if hasattr(self, "_jupyter_current_user") and self.current_user is None:
            raise web.HTTPError(401, "authentication required: send the Jupyter token (Authorization: token <T>)", reason="NotAuthenticated")
        return super().check_xsrf_cookie()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every error body is an ErrorBody: ``{"message": str, "reason": str}``, nothing echoed."""
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        phrase = responses.get(status_code, "Error")
        if isinstance(exc, web.HTTPError):
            message = exc.log_message or phrase
            reason = exc.reason or {401: "NotAuthenticated", 403: "NotAuthorized"}.get(status_code, phrase.replace(" ", ""))
        else:
            message, reason = "internal error; the server log has the details", "InternalError"
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.set_header("Content-Type", "application/json")
        self.log.warning("wrote error: %r", message)
        self.finish(json.dumps({"message": message, "reason": reason}))

    def _request_summary(self) -> str:
        # tornado's warning and error lines name the request by its URI: a ?token= stays out
        return f"{self.request.method} {scrub_uri(self.request.uri)} ({self.request.remote_ip})"

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, web.HTTPError):
            return super().log_exception(typ, value, tb)  # one warning line, via _request_summary
        # tornado adds repr(self.request), whose uri holds the query string: leave it out
        app_log.error("Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb))

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The methods this route answers (what a 405's Allow header lists)."""
        return [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if getattr(cls, m.lower()) is not getattr(web.RequestHandler, m.lower())]

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


def scrub_uri(uri: str) -> str:
    """The URI with secret-looking query values (token, key, auth...) replaced, as Jupyter's own
    access log writes it."""
    try:
        from jupyter_server.log import _scrub_uri
    except ImportError:  # pragma: no cover - a Jupyter server without it
        return uri.split("?", 1)[0] + ("?[query]" if "?" in uri else "")
    return _scrub_uri(uri)


def _mlflow_client_error(exc: Exception) -> int | None:
    """400/404 for an MlflowException that blames the request (a malformed page token, filter or
    order_by the user passed through); None for anything else."""
    try:
        from mlflow.exceptions import MlflowException
    except ImportError:  # pragma: no cover
        return None
    if not isinstance(exc, MlflowException):
        return None
    status = exc.get_http_status_code()
    return status if status in (400, 404) else None


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
