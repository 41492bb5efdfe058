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
