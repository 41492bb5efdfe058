"""An event payload checked against its area's jupyter_events schema (server/events/<area>.yaml),
for tests that listen on the workspace's event bus without a Jupyter server in between."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

import jupyter_mlservice.server

EVENTS = Path(jupyter_mlservice.server.__file__).parent / "events"


@cache
def _schema(area: str) -> dict[str, Any]:
    return yaml.safe_load((EVENTS / f"{area}.yaml").read_text())


def fits(area: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload, once it validates against the area's schema (else jsonschema's error)."""
    jsonschema.validate(payload, _schema(area))
    return payload
