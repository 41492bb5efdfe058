"""One HTTP session per client; server errors come back as the domain's exception classes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests

from ..errors import APIError, Conflict, Forbidden, InvalidRequest, MLServiceError, NotFound, Unavailable

_BY_STATUS = {400: InvalidRequest, 404: NotFound, 409: Conflict, 503: Unavailable}


class HTTP:
    def __init__(self, url: str, token: str | None, timeout: float = 60):
        self.base = url.rstrip("/") + "/mlservice/api"
        self.url = url
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"token {token}"

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None, timeout: float | None = None, raw: bool = False) -> Any:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            resp = self.session.request(method, self.base + path, params=params, json=json, timeout=timeout or self.timeout)
        except requests.ConnectionError as exc:
            raise MLServiceError(f"cannot reach the mlservice server at {self.url}: {exc.__class__.__name__}") from None
        if resp.status_code >= 400:
            self._raise(resp)
        if raw:
            return resp.content
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    def _raise(self, resp: requests.Response) -> None:
        try:
            body = resp.json()
            message, reason = body.get("message") or resp.reason, body.get("reason")
        except (ValueError, AttributeError):
            message, reason = resp.text[:500] or resp.reason, None
        if resp.status_code == 403 and reason == "Forbidden":  # out of reach (a path), not a token problem
            raise Forbidden(message)
        if resp.status_code in (401, 403):
            message = f"not authorized by the server at {self.url} (check MLSERVICE_TOKEN / token=): {message}"
        cls = _BY_STATUS.get(resp.status_code)
        if cls is not None:
            raise cls(message)
        raise APIError(message, resp.status_code)

    def download(self, path: str, dest: Any, params: dict[str, Any] | None = None, timeout: float | None = None) -> None:
        """Stream a response body into a file (written beside it first, renamed when complete)."""
        import os

        try:
            resp = self.session.get(self.base + path, params=params, stream=True, timeout=timeout or self.timeout)
        except requests.ConnectionError as exc:
            raise MLServiceError(f"cannot reach the mlservice server at {self.url}: {exc.__class__.__name__}") from None
        with resp:
            if resp.status_code >= 400:
                self._raise(resp)
            tmp = f"{os.fspath(dest)}.part"
            with open(tmp, "wb") as f:
                for chunk in resp.iter_content(chunk_size=1 << 20):
                    f.write(chunk)
            os.replace(tmp, dest)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json=json if json is not None else {}, **kw)

    def patch(self, path: str, json: Any, **kw: Any) -> Any:
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def paginate(self, path: str, params: dict[str, Any], limit: int | None) -> list[dict[str, Any]]:
        """Follow next_cursor until `limit` items (all when None)."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page_size = min(1000, (limit - len(items)) if limit else 1000)
            page = self.get(path, params={**params, "limit": page_size, "cursor": cursor})
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor or (limit is not None and len(items) >= limit):
                return items[:limit] if limit else items


class Collection:
    """One area of the API (``ml.jobs``, ``ml.models``...), speaking through the client's session."""

    def __init__(self, http: HTTP):
        self._http = http


class Record:
    """A REST object with its fields as attributes (``obj.name``) and ``obj.data``.

    Fields named in ``_TIMES`` read as datetimes (the REST document holds ISO strings); ``repr``
    shows the fields named in ``_SHOWN`` (by default the name and the status).
    """

    _TIMES: tuple[str, ...] = ()
    _SHOWN: tuple[str, ...] = ()

    def __init__(self, data: dict[str, Any]):
        self._data = data

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("_data", {})
        if name in data:
            return _parse_time(data[name]) if name in self._TIMES else data[name]
        raise AttributeError(name)

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        if not self._SHOWN:
            return f"{type(self).__name__}({self._data.get('name')!r}, status={self._data.get('status')!r})"
        return f"{type(self).__name__}({', '.join(f'{k}={self._data.get(k)!r}' for k in self._SHOWN)})"


class Handle(Record):
    """A Record that acts on the server (``job.cancel()``, ``schedule.runs()``): it keeps the
    client's session, and ``_PATH`` (filled from its fields) says where it lives in the REST API."""

    _PATH = ""

    def __init__(self, http: HTTP, data: dict[str, Any]):
        super().__init__(data)
        self._http = http

    def refresh(self):
        """Fetch the latest state. ``job.refresh().status``"""
        self._data = self._http.get(self._PATH.format_map(self._data))
        return self


def _parse_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value
