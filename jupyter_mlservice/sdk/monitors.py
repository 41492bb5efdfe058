"""`ml.monitors`: watch what endpoints and batch jobs see against a baseline, and alert."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ..errors import MLServiceError
from .http import Collection, Handle, Record


def _q(value: str) -> str:
    return quote(value, safe="")


class MonitorRun(Handle):
    """A run (a job): ``run.state`` (Running, Completed, Failed), ``run.breached``, ``run.signals``."""

    _SHOWN = ("monitor", "id", "state", "breached")
    _PATH = "/monitors/{monitor}/runs/{id}"  # monitor names are URL-safe (MONITOR_NAME)

    def wait(self, timeout: float = 600) -> MonitorRun:
        """Until the run's job ends; returns the run with its results. ``ml.monitors.run_now("iris-drift").wait().breached``"""
        deadline = time.monotonic() + timeout
        while True:
            self.refresh()
            if self.state != "Running":
                return self
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {self.id} of monitor {self.monitor} is still running after {timeout} s (job {self.job_id})")
            time.sleep(1.0)

    def results(self, signal: str | None = None) -> list[dict[str, Any]]:
        """Per-feature results (fetched when needed). ``[r["feature"] for r in run.results("data_drift") if r["breached"]]``"""
        if "features" not in self._data:
            self.refresh()
        return [r for r in self._data.get("features", []) if signal is None or r["signal"] == signal]

    @property
    def drifted(self) -> list[str]:
        """Features whose data drift breached. ``run.drifted``"""
        return next((s["breaches"] for s in self._data.get("signals", []) if s["type"] == "data_drift"), [])


class Monitor(Handle):
    """A monitor. Attributes mirror the REST `Monitor`: ``m.enabled``, ``m.next_run_at``, ``m.last_run``..."""

    _SHOWN = ("name", "endpoint", "batch", "enabled")
    _PATH = "/monitors/{name}"

    def run_now(self) -> MonitorRun:
        """``m.run_now().wait()``"""
        return MonitorRun(self._http, self._http.post(f"/monitors/{_q(self.name)}/run"))

    def runs(self, limit: int | None = 50) -> list[MonitorRun]:
        """Newest first. ``m.runs()[0].breached``"""
        return [MonitorRun(self._http, r) for r in self._http.paginate(f"/monitors/{_q(self.name)}/runs", {}, limit)]

    def alerts(self, limit: int | None = 50) -> list[Record]:
        """Newest first. ``m.alerts()[0].delivery``"""
        return [Record(a) for a in self._http.paginate(f"/monitors/{_q(self.name)}/alerts", {}, limit)]

    def enable(self) -> Monitor:
        self._data = self._http.post(f"/monitors/{_q(self.name)}/enable")
        return self

    def disable(self) -> Monitor:
        self._data = self._http.post(f"/monitors/{_q(self.name)}/disable")
        return self


class Monitors(Collection):
    def create(
        self,
        name: str,
        *,
        baseline: str,
        endpoint: str | None = None,
        deployment: str | None = None,
        batch: str | None = None,
        signals: list[str | dict[str, Any]] | None = None,
        features: list[str] | None = None,
        feature_kinds: dict[str, str] | None = None,
        schedule: dict[str, Any] | str | None = None,
        window: str = "1h",
        alert: dict[str, Any] | None = None,
        alpha: float = 0.05,
        description: str = "",
        enabled: bool = True,
    ) -> Monitor:
        """Watch an endpoint's collected requests (or a batch collection) against a baseline.

        ``ml.monitors.create("iris-drift", endpoint="iris", baseline="data/iris.csv", schedule={"cron": "0 * * * *"},
        window="1h", alert={"webhook": "https://hooks.example/ml", "notify": True})``

        ``signals``: names (``data_drift``, ``prediction_drift``, ``data_quality``,
        ``weighted_drift``) or settings (``{"type": "data_drift", "method": "psi", "threshold": 0.25}``);
        ``schedule``: ``{"cron": ...}`` (or a cron string), ``{"recurrence": {...}}``, or None (run
        on demand only).
        """
        body: dict[str, Any] = {"name": name, "baseline": baseline, "window": window, "alpha": alpha, "description": description,
                                "enabled": enabled}  # fmt: skip
        for key, value in (("endpoint", endpoint), ("deployment", deployment), ("batch", batch), ("signals", signals),
                           ("features", features), ("feature_kinds", feature_kinds), ("alert", alert)):  # fmt: skip
            if value is not None:
                body[key] = value
        if schedule is not None:
            body["schedule"] = {"cron": schedule} if isinstance(schedule, str) else schedule
        return Monitor(self._http, self._http.post("/monitors", body))

    def get(self, name: str) -> Monitor:
        """``ml.monitors.get("iris-drift").last_run``"""
        return Monitor(self._http, self._http.get(f"/monitors/{_q(name)}"))

    def list(self, endpoint: str | None = None, limit: int | None = None) -> list[Monitor]:
        """``[m.name for m in ml.monitors.list(endpoint="iris")]``"""
        return [Monitor(self._http, m) for m in self._http.paginate("/monitors", {"endpoint": endpoint}, limit)]

    def update(self, name: str, **changes: Any) -> Monitor:
        """Change any setting (its schedule follows). ``ml.monitors.update("iris-drift", window="6h")``"""
        if isinstance(changes.get("schedule"), str):
            changes["schedule"] = {"cron": changes["schedule"]}
        return Monitor(self._http, self._http.patch(f"/monitors/{_q(name)}", changes))

    def delete(self, name: str) -> None:
        """Delete the monitor with its schedule, runs and alerts (its jobs stay). ``ml.monitors.delete("iris-drift")``"""
        self._http.delete(f"/monitors/{_q(name)}")

    def enable(self, name: str) -> Monitor:
        """``ml.monitors.enable("iris-drift")``"""
        return Monitor(self._http, self._http.post(f"/monitors/{_q(name)}/enable"))

    def disable(self, name: str) -> Monitor:
        """Stop scheduled runs (run_now still works). ``ml.monitors.disable("iris-drift")``"""
        return Monitor(self._http, self._http.post(f"/monitors/{_q(name)}/disable"))

    def run_now(self, name: str) -> MonitorRun:
        """Start a run (a job) over the window that ends now. ``run = ml.monitors.run_now("iris-drift").wait()``"""
        return MonitorRun(self._http, self._http.post(f"/monitors/{_q(name)}/run"))

    def runs(self, name: str, limit: int | None = 50) -> list[MonitorRun]:
        """The history, newest first. ``[r.breached for r in ml.monitors.runs("iris-drift")]``"""
        return [MonitorRun(self._http, r) for r in self._http.paginate(f"/monitors/{_q(name)}/runs", {}, limit)]

    def run(self, name: str, run_id: int) -> MonitorRun:
        """One run with its per-feature results and histograms. ``ml.monitors.run("iris-drift", 3).results()``"""
        return MonitorRun(self._http, self._http.get(f"/monitors/{_q(name)}/runs/{int(run_id)}"))

    def features(self, name: str, signal: str = "data_drift", limit: int = 50) -> dict[str, list[dict[str, Any]]]:
        """Each feature's statistic over the latest runs. ``ml.monitors.features("iris-drift")["petal_length"][-1]["statistic"]``"""
        return self._http.get(f"/monitors/{_q(name)}/features", params={"signal": signal, "limit": limit})["features"]

    def alerts(self, name: str | None = None, after: int | None = None, limit: int | None = 50) -> list[Record]:
        """Alerts, newest first (of one monitor, or all); ``after=id``: the later ones, oldest first.
        ``ml.monitors.alerts("iris-drift")[0].message``"""
        if after is not None:
            if name is not None:
                raise MLServiceError("after= reads every monitor's alerts; leave name out")
            return [Record(a) for a in self._http.get("/alerts", params={"after": after, "limit": limit or 1000})["items"]]
        path = f"/monitors/{_q(name)}/alerts" if name else "/alerts"
        return [Record(a) for a in self._http.paginate(path, {}, limit)]

    def series(self, endpoint: str, since: datetime | str | None = None, until: datetime | str | None = None,
               deployment: str | None = None, step: float | None = None) -> dict[str, Any]:  # fmt: skip
        """An endpoint's requests, errors and p50/p99 latency over time, per deployment.
        ``ml.monitors.series("iris")["deployments"]["blue"][-1]["p99_ms"]``"""
        params = {"since": _iso(since), "until": _iso(until), "deployment": deployment, "step": step}
        return self._http.get(f"/endpoints/{_q(endpoint)}/series", params=params)


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()
