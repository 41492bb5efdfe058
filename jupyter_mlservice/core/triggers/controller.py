"""The trigger loop: for every enabled trigger, look for causes its source has gained since its
``seen`` mark, fire each once, move the mark; finish claims a dead process left.

It wakes on the events of the areas it watches (a data version, a model change, a monitor's
alert) and looks every `interval` seconds anyway, for changes made outside this server.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from ..reconciler import Reconciler
from .schemas import TriggerOn
from .tables import TriggerRow

log = logging.getLogger("jupyter_mlservice.triggers")
WATCHED_AREAS = {"data", "model", "monitor"}


class TriggerController(Reconciler):
    name = "mlservice-triggers"
    interval = 5.0

    def __init__(self, triggers, interval: float | None = None):
        super().__init__(interval=interval)
        self.triggers = triggers  # the TriggerService: its clock, firing and watchers
        self.firing = triggers.firing
        self.watchers = triggers.watchers
        self.store = triggers.store
        self._tick_lock = threading.Lock()

    def event(self, area: str, payload: dict) -> None:
        """Event-bus listener: something a trigger may watch changed."""
        if area in WATCHED_AREAS:
            self.wake()

    def tick(self) -> None:
        with self._tick_lock:
            with self.store.session() as s:
                rows = list(s.scalars(select(TriggerRow).where(TriggerRow.enabled.is_(True)).order_by(TriggerRow.name)))
                s.expunge_all()
            for row in rows:
                try:
                    self._look(row)
                except Exception:
                    log.exception("trigger %s: looking for causes failed; the next tick retries", row.name)
            self.firing.recover()

    def _look(self, row: TriggerRow) -> None:
        now = self.firing.clock()
        on = TriggerOn(**row.on)
        causes, seen = self.watchers.new(on, row.seen or {}, now)
        for key, cause in causes:
            if self.firing.fire(row, key, cause) is None:
                log.debug("trigger %s: %s fired already (another process or an earlier life)", row.name, key)
        if seen != (row.seen or {}):
            with self.store.session() as s:
                cur = s.get(TriggerRow, row.id)
                if cur is not None and cur.enabled and (cur.seen or {}) == (row.seen or {}):
                    cur.seen = seen  # unchanged since read: a concurrent enable/disable keeps its own mark
