"""Stores the profile a profile job wrote once the job ends (and after a restart, for jobs that
ended while the server was down)."""

from __future__ import annotations

from ..reconciler import Reconciler
from .inputs import TAG_PROFILE


class ProfileCollector(Reconciler):
    name = "mlservice-data-profiles"
    interval = 5.0

    def __init__(self, data):
        super().__init__()
        self.data = data

    def on_start(self) -> None:
        self.data.collect_profiles()

    def tick(self) -> None:
        self.data.collect_profiles()

    def job_changed(self, row) -> None:
        if TAG_PROFILE in (row.tags or {}) and row.status in ("Completed", "Failed", "Canceled"):
            self.wake()
