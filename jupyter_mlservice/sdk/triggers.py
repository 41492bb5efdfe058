"""`ml.triggers`: run a job when data, a model or a monitor changes, or on a cron; the `Trigger` handle."""

from __future__ import annotations

from typing import Any

from .http import Collection, Handle
from .jobs import Job, Jobs
from .schedules import job_body


def _run_body(run: dict[str, Any]) -> dict[str, Any]:
    """A rollout as POST /rollouts takes it, else a job or pipeline as schedules take them."""
    if isinstance(run, dict) and "rollout" in run and "kind" not in run:
        return dict(run)
    return job_body(run)


class Trigger(Handle):
    """A trigger. Attributes mirror the REST `Trigger`: ``t.enabled``, ``t.kind``, ``t.last_firings``..."""

    _PATH = "/triggers/{name}"
    _TIMES = ("last_fired_at", "created_at", "updated_at")

    def __repr__(self) -> str:
        return f"Trigger(name={self.name!r}, on={self._data.get('on')!r}, enabled={self.enabled}, firings={self._data.get('firings')})"

    def firings(self, limit: int | None = 50) -> list[dict[str, Any]]:
        """Newest first: ``[(f["cause"], f["job_id"]) for f in t.firings()]``"""
        return self._http.paginate(f"/triggers/{self.name}/firings", {}, limit)


class Triggers(Collection):
    def create(self, name: str, on: dict[str, Any], run: dict[str, Any], *, enabled: bool = True, description: str = "") -> Trigger:
        """Run ``run`` (``ml.jobs.submit`` keywords or a REST job spec) once per cause.

        ``on``: ``{"data": "iris"}`` (each new version), ``{"model": "iris"}`` (each new version),
        ``{"model": "iris", "alias": "champion"}`` (the alias moves), ``{"model": "iris", "tag":
        "approved=yes"}`` (a version gets the tag), ``{"alert": "iris-drift"}`` (each alert of that
        monitor; ``"*"`` any), ``{"cron": "0 2 * * *", "time_zone": "Europe/Paris"}``. Strings of
        ``run`` may use ``{{ cause.version }}``, ``{{ cause.ref }}``, ``{{ cause.name }}``...::

            ml.triggers.create("retrain", on={"data": "iris"},
                               run={"command": "python train.py --data ${{inputs.train}}", "code": "src",
                                    "inputs": {"train": "{{ cause.ref }}"}})
        """
        body = {"name": name, "on": on, "run": _run_body(run), "enabled": enabled, "description": description}
        return Trigger(self._http, self._http.post("/triggers", body))

    def get(self, name: str) -> Trigger:
        """``ml.triggers.get("retrain").last_firings``"""
        return Trigger(self._http, self._http.get(f"/triggers/{name}"))

    def list(self, limit: int | None = None) -> list[Trigger]:
        """``[t.name for t in ml.triggers.list()]``"""
        return [Trigger(self._http, d) for d in self._http.paginate("/triggers", {}, limit)]

    def update(self, name: str, *, run: dict[str, Any] | None = None, description: str | None = None,
               enabled: bool | None = None) -> Trigger:
        """``ml.triggers.update("retrain", run={...})``"""
        changes = {"run": _run_body(run) if run is not None else None, "description": description, "enabled": enabled}
        return Trigger(self._http, self._http.patch(f"/triggers/{name}", {k: v for k, v in changes.items() if v is not None}))

    def enable(self, name: str) -> Trigger:
        """Enable; what happened while disabled does not fire. ``ml.triggers.enable("retrain")``"""
        return Trigger(self._http, self._http.post(f"/triggers/{name}/enable"))

    def disable(self, name: str) -> Trigger:
        """``ml.triggers.disable("retrain")``"""
        return Trigger(self._http, self._http.post(f"/triggers/{name}/disable"))

    def fire_now(self, name: str, cause: dict[str, Any] | None = None) -> Job | dict[str, Any]:
        """Fire once now (enabled or not); ``cause`` fills ``{{ cause.* }}`` (default: the newest
        thing watched). Returns the job, or the firing when no job could be submitted.
        ``ml.triggers.fire_now("retrain", cause={"ref": "data:iris@2"}).wait()``"""
        firing = self._http.post(f"/triggers/{name}/fire", {"cause": cause} if cause else {})
        if firing.get("job_id"):
            return Jobs(self._http).get(firing["job_id"])
        return firing

    def firings(self, name: str, limit: int | None = 50) -> list[dict[str, Any]]:
        """``ml.triggers.firings("retrain")[0]["cause"]``"""
        return self._http.paginate(f"/triggers/{name}/firings", {}, limit)

    def delete(self, name: str) -> None:
        """Delete the trigger and its history; its jobs stay. ``ml.triggers.delete("retrain")``"""
        self._http.delete(f"/triggers/{name}")
