"""JSON from untrusted clients: decoded strictly, so that what reaches a service can be stored,
logged and sent back without failing later.

A request that passes ``loads_untrusted`` is UTF-8 JSON with no NaN/Infinity, no lone UTF-16
surrogates (``"\\ud800"`` decodes to a Python string that no UTF-8 encoder, SQLite or PostgreSQL
accepts), no NUL characters (PostgreSQL text refuses them, and so do paths, argv and environment
variables) and no nesting deeper than ``MAX_DEPTH``. Anything else is an ``InvalidRequest`` whose
message says what to change and never repeats the input.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import InvalidRequest

MAX_DEPTH = 64


def loads_untrusted(raw: bytes | str, *, what: str = "request body", max_depth: int = MAX_DEPTH) -> Any:
    """``loads_untrusted(b'{"a": 1}')`` -> ``{"a": 1}``; bad input raises InvalidRequest."""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequest(f"{what} is not UTF-8 text (invalid byte at offset {exc.start}); send JSON encoded as UTF-8") from None
    else:
        text = raw
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidRequest(f"{what} nests arrays/objects too deeply (at most {max_depth} levels)") from None
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # integers longer than Python converts, NaN/Infinity
        raise InvalidRequest(f"{what} is not acceptable JSON: {exc}") from None
    check_values(data, what=what, max_depth=max_depth)
    return data


def check_values(data: Any, *, what: str = "request body", max_depth: int = MAX_DEPTH) -> None:
    """Walk decoded JSON (without recursion): depth, and every string and key storable as text."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            _check_text(value, what, where)
        elif isinstance(value, (dict, list)):
            if depth >= max_depth:
                raise InvalidRequest(f"{what} nests arrays/objects too deeply (at most {max_depth} levels)")
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key, what, f"{where}.{key}" if _printable(key) else where)
                    stack.append((item, depth + 1, f"{where}.{key}" if where else str(key)))
            else:
                for i, item in enumerate(value):
                    stack.append((item, depth + 1, f"{where}[{i}]"))


def _check_text(text: str, what: str, where: str) -> None:
    if "\x00" in text:
        raise InvalidRequest(f"{_place(what, where)} contains a NUL character (\\u0000); remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(
            f"{_place(what, where)} contains a lone UTF-16 surrogate (such as \\ud800); send valid Unicode text"
        ) from None


def _place(what: str, where: str) -> str:
    return f"{what} field {where}" if where and _printable(where) and len(where) <= 200 else what


def _printable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return text.isprintable() and "\x00" not in text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; send a finite number or null")
