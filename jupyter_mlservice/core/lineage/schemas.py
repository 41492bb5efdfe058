"""REST models of lineage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from ..schemas import Model


class LineageNode(Model):
    type: str = Field(description="`data_version`, `job`, `model_version` or `deployment`.")
    id: str = Field(description="`iris@2`, `job-0123abcd4567`, `iris:3`, `endpoint/deployment`.")
    details: dict[str, Any] = Field(default_factory=dict, description="What the owning area says about it (status, digest...).")
    missing: bool = Field(False, description="The edge names it but it no longer exists (deleted).")


class LineageEdge(Model):
    src_type: str
    src_id: str
    dst_type: str
    dst_id: str
    relation: str = Field(description="`input`, `output`, `registered`, `deployed`, `profiled`.")
    attrs: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class LineageGraph(Model):
    root: LineageNode
    nodes: list[LineageNode] = Field(description="Every node reached, the root first.")
    edges: list[LineageEdge]
