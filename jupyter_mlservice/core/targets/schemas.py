"""REST models of compute targets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from ..schemas import NAME_PATTERN, Model


class TargetCreate(Model):
    name: str = Field(pattern=NAME_PATTERN, description="Unique name, e.g. `cpu-small`.")
    type: str = Field(description="Backend type, e.g. `local` or `ray`.")
    description: str = ""
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Type-specific settings, validated by the backend."
    )


class TargetUpdate(Model):
    description: str | None = None
    settings: dict[str, Any] | None = None


class Target(Model):
    name: str
    type: str
    description: str
    settings: dict[str, Any]
    created_at: datetime
    capacity: int | None = Field(description="Jobs that may run at once; null when the backend queues.")
    running: int
    queued: int
    status: dict[str, Any] = Field(
        default_factory=dict, description="What the backend observes (nodes, resources...)."
    )


class TargetPage(Model):
    items: list[Target]
    next_cursor: str | None = None
