"""`ml.schedules`: run a job on a cron or a recurrence; the `Schedule` handle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import InvalidRequest
from .http import Collection, Handle
from .jobs import Job, Jobs


class _Capture:
    """Stands in for HTTP so that `Jobs.submit` builds a body without sending it."""

    body: dict[str, Any] | None = None

    def post(self, path: str, json: Any = None, **kw: Any) -> dict[str, Any]:
        self.body = json
        return {}


def job_body(job: dict[str, Any]) -> dict[str, Any]:
    """`job=` as `ml.jobs.submit` (or `ml.batch.submit`) keywords, or a REST job spec with `kind`."""
    if not isinstance(job, dict):
        raise InvalidRequest("job= takes a dict of ml.jobs.submit keywords, e.g. {'notebook': 'report.ipynb', 'parameters': {...}}")
    if "kind" in job:
        return dict(job)
    if "pipeline" in job:  # a pipeline run: {"pipeline": spec or a @pipeline call, "parameters": {...}}
        from .pipelines import pipeline_spec

        spec, params = pipeline_spec(job["pipeline"])
        return {**job, "pipeline": spec, "parameters": {**params, **(job.get("parameters") or {})}}
    if "input" in job and ("model" in job or "scoring_script" in job):
        from .batch import batch_body

        return batch_body(**job)
    capture = _Capture()
    Jobs(capture).submit(**job)  # type: ignore[arg-type]
    return capture.body or {}


class Schedule(Handle):
    """A schedule. Attributes mirror the REST `Schedule`: ``s.next_run_at``, ``s.enabled``, ``s.last_runs``..."""

    _PATH = "/schedules/{name}"
    _TIMES = ("next_run_at", "start_at", "end_at", "created_at", "updated_at")

    def __repr__(self) -> str:
        when = self._data.get("cron") or self._data.get("recurrence")
        return f"Schedule(name={self.name!r}, when={when!r}, enabled={self.enabled}, next_run_at={self._data.get('next_run_at')!r})"

    def runs(self, limit: int | None = 50, state: str | None = None) -> list[dict[str, Any]]:
        """The history, newest slot first. ``[r["state"] for r in s.runs()]``"""
        return self._http.paginate(f"/schedules/{self.name}/runs", {"state": state}, limit)

    def jobs(self, limit: int | None = 100) -> list[Job]:
        """The jobs this schedule created. ``s.jobs()[0].wait()``"""
        return Jobs(self._http).list(schedule=self.name, limit=limit)


class Schedules(Collection):
    def create(
        self,
        name: str,
        job: dict[str, Any],
        cron: str | None = None,
        *,
        every: int | None = None,
        unit: str | None = None,
        at: list[str] | str | None = None,
        weekdays: list[str] | None = None,
        recurrence: dict[str, Any] | None = None,
        time_zone: str = "UTC",
        start_at: datetime | str | None = None,
        end_at: datetime | str | None = None,
        catch_up: str = "latest",
        catch_up_limit: int = 10,
        max_concurrent_runs: int = 1,
        concurrency_policy: str = "skip",
        enabled: bool = True,
        description: str = "",
    ) -> Schedule:
        """Create a schedule from job keywords (as ``ml.jobs.submit`` takes them).

        ``ml.schedules.create(name="nightly", cron="0 2 * * *", time_zone="Europe/Paris",
        job={"notebook": "report.ipynb", "parameters": {"day": "{{ scheduled_time }}"}})``;
        or ``every=15, unit="minutes"``; or ``every=1, unit="days", at=["02:00"]``.
        """
        if every is not None or unit is not None:
            if recurrence is not None:
                raise InvalidRequest("give recurrence= or every=/unit=, not both")
            recurrence = {"every": every or 1, "unit": unit or "days"}
            if at:
                recurrence["at"] = [at] if isinstance(at, str) else list(at)
            if weekdays:
                recurrence["weekdays"] = list(weekdays)
        body = {
            "name": name, "description": description, "job": job_body(job), "cron": cron, "recurrence": recurrence,
            "time_zone": time_zone, "start_at": _iso(start_at), "end_at": _iso(end_at), "catch_up": catch_up,
            "catch_up_limit": catch_up_limit, "max_concurrent_runs": max_concurrent_runs,
            "concurrency_policy": concurrency_policy, "enabled": enabled,
        }
        return Schedule(self._http, self._http.post("/schedules", {k: v for k, v in body.items() if v is not None}))

    def get(self, name: str) -> Schedule:
        """``ml.schedules.get("nightly").next_run_at``"""
        return Schedule(self._http, self._http.get(f"/schedules/{name}"))

    def list(self, limit: int | None = None) -> list[Schedule]:
        """``[s.name for s in ml.schedules.list()]``"""
        return [Schedule(self._http, d) for d in self._http.paginate("/schedules", {}, limit)]

    def update(self, name: str, **changes: Any) -> Schedule:
        """Change any field; ``job=`` takes job keywords. ``ml.schedules.update("nightly", cron="0 3 * * *")``"""
        if "job" in changes and changes["job"] is not None:
            changes["job"] = job_body(changes["job"])
        for key in ("start_at", "end_at"):
            if key in changes:
                changes[key] = _iso(changes[key])
        return Schedule(self._http, self._http.patch(f"/schedules/{name}", changes))

    def enable(self, name: str) -> Schedule:
        """``ml.schedules.enable("nightly")``"""
        return Schedule(self._http, self._http.post(f"/schedules/{name}/enable"))

    def disable(self, name: str) -> Schedule:
        """``ml.schedules.disable("nightly")``"""
        return Schedule(self._http, self._http.post(f"/schedules/{name}/disable"))

    def run_now(self, name: str) -> Job | dict[str, Any]:
        """Submit a run now; returns its Job. ``ml.schedules.run_now("nightly").wait()``"""
        run = self._http.post(f"/schedules/{name}/run")
        if run.get("job_id"):
            return Jobs(self._http).get(run["job_id"])
        raise InvalidRequest(f"the run was not submitted: {run.get('reason')}")

    def runs(self, name: str, limit: int | None = 50, state: str | None = None) -> list[dict[str, Any]]:
        """``ml.schedules.runs("nightly")[0]["job_status"]``"""
        return self._http.paginate(f"/schedules/{name}/runs", {"state": state}, limit)

    def delete(self, name: str) -> None:
        """Delete the schedule and its history; its jobs stay. ``ml.schedules.delete("nightly")``"""
        self._http.delete(f"/schedules/{name}")


def _iso(value: datetime | str | None) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
