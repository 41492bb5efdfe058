"""What a REST operation is. Each `<area>_handlers.py` declares its own `OPS` list with these;
`routes.py` concatenates them into the tornado routes and `openapi.py` documents them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.schemas import MAX_PAGE_SIZE


@dataclass(frozen=True)
class Query:
    name: str
    type: str = "string"
    description: str = ""
    repeated: bool = False


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # OpenAPI style, relative to routes.PREFIX: "/jobs/{job_id}"
    handler: type
    operation_id: str
    summary: str
    response: Any = None  # pydantic model / type, or a raw JSON schema dict
    body: Any = None
    status: int = 200
    query: tuple[Query, ...] = field(default_factory=tuple)
    tag: str = ""


PAGE = (
    Query("limit", "integer", f"Items per page (1-{MAX_PAGE_SIZE})."),
    Query("cursor", description="next_cursor of the previous page."),
)
ANY_OBJECT = {"type": "object", "additionalProperties": True}
