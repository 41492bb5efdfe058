"""``AMLRequest`` and ``rawhttp``, as Azure ML's scoring scripts use them.

A ``run`` decorated with ``@rawhttp`` gets the HTTP request itself (any method, binary bodies,
multipart uploads) instead of the body as text. The request offers what Azure's (a werkzeug
request) offers scripts: ``method``, ``path``, ``full_path``, ``args``, ``headers``,
``get_data()``, ``data``, ``get_json()``/``json``, ``files`` and ``form``.
"""

from __future__ import annotations

import functools
import io
import json
import shutil
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl


def rawhttp(func):
    """``@rawhttp def run(request): ...`` -- run() gets the AMLRequest."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    wrapper.__aml_rawhttp__ = True
    return wrapper


class Headers(dict):
    """Header names match whatever their case (``request.headers["content-type"]``)."""

    def __init__(self, pairs):
        super().__init__()
        for k, v in pairs:
            super().__setitem__(k.lower(), v)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class MultiDict(dict):
    """``args["k"]`` is the first value; ``args.getlist("k")`` all of them."""

    def __init__(self, pairs):
        super().__init__()
        self._lists: dict[str, list] = {}
        for k, v in pairs:
            self._lists.setdefault(k, []).append(v)
            if k not in self:
                super().__setitem__(k, v)

    def getlist(self, key: str) -> list:
        return list(self._lists.get(key, []))


class FileStorage:
    """An uploaded file: ``filename``, ``content_type``, ``read()``, ``stream``, ``save(path)``."""

    def __init__(self, name: str, filename: str | None, content_type: str, data: bytes):
        self.name, self.filename, self.content_type = name, filename, content_type
        self.mimetype = content_type.split(";", 1)[0].strip()
        self.stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def save(self, dst) -> None:
        if hasattr(dst, "write"):
            shutil.copyfileobj(self.stream, dst)
        else:
            with open(dst, "wb") as f:
                shutil.copyfileobj(self.stream, f)


class AMLRequest:
    def __init__(self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes):
        self.method = method
        self.path = path
        self.query_string = query.encode()
        self.full_path = f"{path}?{query}"
        self.url = self.full_path
        self.headers = Headers(headers)
        self.args = MultiDict(parse_qsl(query, keep_blank_values=True))
        self._body = body
        self.content_type = self.headers.get("content-type", "")
        self.mimetype = self.content_type.split(";", 1)[0].strip().lower()
        self.content_length = len(body)
        self._form: tuple[MultiDict, MultiDict] | None = None

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False):
        return self._body.decode("utf-8", "replace") if as_text else self._body

    @property
    def data(self) -> bytes:
        return self._body

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not force and not (self.mimetype == "application/json" or self.mimetype.endswith("+json")):
            return None
        try:
            return json.loads(self._body)
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> Any:
        return self.get_json()

    def _parse_form(self) -> tuple[MultiDict, MultiDict]:
        if self._form is None:
            form, files = [], []
            if self.mimetype == "multipart/form-data":
                message = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + self.content_type.encode("latin-1") + b"\r\n\r\n" + self._body
                )
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    filename = part.get_filename()
                    payload = part.get_payload(decode=True) or b""
                    if filename is not None:
                        files.append((name, FileStorage(name, filename, part.get_content_type(), payload)))
                    else:
                        form.append((name, payload.decode(part.get_content_charset() or "utf-8", "replace")))
            elif self.mimetype == "application/x-www-form-urlencoded":
                form = parse_qsl(self._body.decode("latin-1"), keep_blank_values=True)
            self._form = (MultiDict(form), MultiDict(files))
        return self._form

    @property
    def form(self) -> MultiDict:
        return self._parse_form()[0]

    @property
    def files(self) -> MultiDict:
        return self._parse_form()[1]
