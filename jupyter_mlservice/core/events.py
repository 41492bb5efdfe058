"""One small event bus: every area says what changed, listeners pass it on.

A service calls ``events.emit(area, payload)`` after the row update that made the change (a job
moved on, a deployment became Healthy, a schedule fired). The server extension listens, hops onto
its event loop and emits the payload as a ``jupyter_events`` event of the schema
``https://events.jupyter.org/jupyter_mlservice/<area>`` (``server/events/<area>.yaml``), which the
frontend's models follow instead of polling. A new area adds one schema file and its calls.

Payloads are ids, names, actions and statuses only: never keys, tokens, commands or environment
variables. A listener that fails is logged; the change it reports already happened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("jupyter_mlservice.events")

SCHEMA_BASE = "https://events.jupyter.org/jupyter_mlservice"

Listener = Callable[[str, dict[str, Any]], None]


def schema_id(area: str) -> str:
    return f"{SCHEMA_BASE}/{area}"


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def emit(self, area: str, payload: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(area, payload)
            except Exception:
                log.exception("event listener failed on a %s event", area)
