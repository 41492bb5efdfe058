"""Every REST operation, declared once: tornado routes and the OpenAPI document come from here.

Each area's handler module declares its operations as ``OPS`` (a list of ``ops.Op``); a new area
adds its module to ``AREAS``. Handler modules never import this one, so there is no import loop.
"""

from __future__ import annotations

import re

from . import (
    automl_handlers,
    data_handlers,
    endpoint_handlers,
    environment_handlers,
    evaluation_handlers,
    experiment_handlers,
    export_handlers,
    job_handlers,
    model_handlers,
    monitoring_handlers,
    pipeline_handlers,
    rollout_handlers,
    schedule_handlers,
    sweep_handlers,
    target_handlers,
    trigger_handlers,
    workspace_handlers,
)
from .ops import Op

PREFIX = "/mlservice/api"

AREAS = [
    workspace_handlers,
    target_handlers,
    job_handlers,
    experiment_handlers,
    schedule_handlers,
    model_handlers,
    export_handlers,
    endpoint_handlers,
    monitoring_handlers,
    environment_handlers,
    sweep_handlers,
    automl_handlers,
    data_handlers,
    trigger_handlers,
    evaluation_handlers,
    rollout_handlers,
    pipeline_handlers,
]

OPS: list[Op] = [op for area in AREAS for op in area.OPS]


def tornado_pattern(path: str) -> str:
    return PREFIX + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)


def handlers() -> list[tuple[str, type]]:
    seen: dict[str, type] = {}
    for op in OPS:
        seen.setdefault(tornado_pattern(op.path), op.handler)
    return list(seen.items())
