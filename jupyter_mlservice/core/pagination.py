"""Opaque keyset cursors for list routes."""

import base64
import json

from .errors import InvalidRequest


def encode_cursor(*key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(key, list) or len(key) != arity:
            raise ValueError
        return key
    except ValueError:
        raise InvalidRequest("cursor is not valid; pass the next_cursor of a previous page") from None


def check_mlflow_page_token(token: str | None) -> str | None:
    """MLflow's page tokens (base64 JSON ``{"offset": n}``), checked before MLflow sees them: its
    stores fail with an internal error, not a usage error, on a token they did not issue."""
    if not token:
        return None
    try:
        key = json.loads(base64.b64decode(token.encode("ascii"), validate=True))
        offset = key.get("offset") if isinstance(key, dict) else None
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValueError
    except (ValueError, UnicodeError):
        raise InvalidRequest("cursor is not valid; pass the next_cursor of a previous page") from None
    return token
