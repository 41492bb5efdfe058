"""Keyset pagination for list routes: one helper, opaque cursors.

A page is ordered by some columns (ending with a unique one, so the order is total); its cursor
holds the last row's values of those columns, and the next page starts strictly after them.
Unlike offsets, a page stays right while rows are added in front of it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, and_, or_
from sqlalchemy.orm import Session

from .errors import InvalidRequest
from .schemas import MAX_PAGE_SIZE


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


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE_SIZE}")


def page(session: Session, query, columns: Sequence[Any], limit: int, cursor: str | None, descending: bool = False) -> tuple[list, str | None]:
    """One page of ``query``'s rows ordered by ``columns`` -> (rows, next_cursor or None).

    ``page(s, select(JobRow), [JobRow.created_at, JobRow.id], 50, cursor, descending=True)``
    """
    check_limit(limit)
    query = query.order_by(*(c.desc() if descending else c.asc() for c in columns))
    if cursor:
        values = [_load(c, v) for c, v in zip(columns, decode_cursor(cursor, len(columns)))]
        query = query.where(_after(columns, values, descending))
    rows = list(session.scalars(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(*(_dump(getattr(rows[-1], c.key)) for c in columns))


def _after(columns: Sequence[Any], values: list, descending: bool):
    """(a, b) > (x, y) spelled out: a > x OR (a = x AND b > y); portable to every database."""
    terms = []
    for i, (column, value) in enumerate(zip(columns, values)):
        beyond = column < value if descending else column > value
        terms.append(and_(*(c == v for c, v in zip(columns[:i], values[:i])), beyond))
    return or_(*terms)


def _dump(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _load(column: Any, value: Any) -> Any:
    if isinstance(column.type, DateTime) and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise InvalidRequest("cursor is not valid; pass the next_cursor of a previous page") from None
    return value
