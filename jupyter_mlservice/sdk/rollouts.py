"""`ml.rollouts`: move an endpoint to a new model version step by step, with automatic rollback."""

from __future__ import annotations

import time
from typing import Any

from ..errors import MLServiceError
from .http import Collection, Handle

ENDED = {"Completed", "RolledBack"}


class Rollout(Handle):
    """A rollout. ``r.state``, ``r.traffic_percent``, ``r.history`` (what each step measured), ``r.reason``."""

    _PATH = "/rollouts/{id}"
    _TIMES = ("phase_started_at", "approved_at", "created_at", "updated_at", "finished_at")

    def __repr__(self) -> str:
        return (f"Rollout(id={self.id!r}, endpoint={self.endpoint!r}, {self.baseline} -> {self.candidate} ({self.model}), "
                f"state={self.state!r}, traffic={self._data.get('traffic_percent')}%)")

    def wait(self, states: set[str] | None = None, timeout: float | None = None, poll: float = 1.0) -> Rollout:
        """Until it ends (or reaches one of ``states``). ``ml.rollouts.start(...).wait().state``"""
        until = states or ENDED
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.refresh().state not in until:
            if deadline is not None and time.monotonic() > deadline:
                raise MLServiceError(f"rollout {self.id} is {self.state} after {timeout} s")
            time.sleep(poll)
        return self

    def approve(self) -> Rollout:
        self._data = self._http.post(f"/rollouts/{self.id}/approve")
        return self

    def abort(self) -> Rollout:
        self._data = self._http.post(f"/rollouts/{self.id}/abort")
        return self


class Rollouts(Collection):
    def start(self, endpoint: str, model: str, *, deployment: str | None = None, rollout: dict[str, Any] | None = None,
              deployment_settings: dict[str, Any] | None = None, require_approval: bool = False, dry_run: bool = False) -> Rollout:
        """Deploy ``model`` next to the deployment serving ``endpoint`` and shift traffic by plan:

        ``ml.rollouts.start("iris", model="iris:7", rollout={"steps": [10, 50, 100], "interval_s": 300,
        "mirror_first_s": 0, "rollback_if": {"error_rate": 0.01, "p99_ms": 50}})``. Each step is judged
        against the baseline over the same window; a breach shifts everything back (``RolledBack``),
        too little traffic pauses (``Paused``), success sets the ``champion`` alias and deletes the
        baseline after ``grace_s``. ``deployment_settings``: the candidate's code, scoring_script, replicas..."""
        body = {"endpoint": endpoint, "model": model, "deployment": deployment, "plan": rollout or {},
                "deployment_settings": deployment_settings or {}, "require_approval": require_approval, "dry_run": dry_run}
        return Rollout(self._http, self._http.post("/rollouts", {k: v for k, v in body.items() if v is not None}))

    def get(self, rollout_id: str) -> Rollout:
        return Rollout(self._http, self._http.get(f"/rollouts/{rollout_id}"))

    def list(self, endpoint: str | None = None, limit: int | None = 50) -> list[Rollout]:
        """Newest first. ``ml.rollouts.list(endpoint="iris")[0].state``"""
        return [Rollout(self._http, d) for d in self._http.paginate("/rollouts", {"endpoint": endpoint}, limit)]

    def approve(self, rollout_id: str) -> Rollout:
        """Let a rollout that requires approval give the candidate all traffic (recorded with your user)."""
        return Rollout(self._http, self._http.post(f"/rollouts/{rollout_id}/approve"))

    def abort(self, rollout_id: str) -> Rollout:
        """All traffic back to the baseline now."""
        return Rollout(self._http, self._http.post(f"/rollouts/{rollout_id}/abort"))
