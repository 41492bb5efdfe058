"""`ml.automl`: let the service find the model (featurisation, model families, an ensemble)."""

from __future__ import annotations

import os
from typing import Any

from ..errors import NotFound
from .http import HTTP, Collection
from .jobs import ParentRun, _server_path


class BestModel:
    """The final model of an AutoML run (``model`` in the final step's run).

    ``run.best_model.register("credit")``; ``run.best_model.deploy("credit")``"""

    def __init__(self, http: HTTP, entry: dict[str, Any], job_id: str):
        self._http = http
        self.entry = entry
        self.job_id = job_id
        self.model = entry["model"]
        self.score = entry["score"]
        self.params = entry.get("params") or {}

    def __repr__(self) -> str:
        return f"BestModel({self.model!r}, score={self.score!r}, job_id={self.job_id!r})"

    def register(self, name: str, **kwargs: Any):
        """Register the final model as a new version of ``name``. ``run.best_model.register("credit")``"""
        from .models import Models

        return Models(self._http).register(name, job=self.job_id, path="model", **kwargs)

    def deploy(self, endpoint: str, deployment: str = "default", model_name: str | None = None, **kwargs: Any):
        """Register it (as ``model_name``, default the endpoint's name), create the endpoint when
        missing, and deploy it there with all traffic. ``run.best_model.deploy("credit")``"""
        from .endpoints import Deployments, Endpoints

        mv = self.register(model_name or endpoint)
        endpoints = Endpoints(self._http)
        try:
            endpoints.get(endpoint)
        except NotFound:
            endpoints.create(endpoint)
        dep = Deployments(self._http).create(endpoint, deployment, mv.ref, **kwargs)
        endpoints.set_traffic(endpoint, {deployment: 100})
        return dep


class AutoMLRun(ParentRun):
    """A submitted AutoML run: ``run.wait()``, ``run.leaderboard``, ``run.best_model``, ``run.children()``.
    ``run.wait()`` raises ``JobFailed`` when the run does not complete (it then has no model to use)."""

    _PATH = "/automl/{id}"
    _NOUN = "AutoML run"
    _RAISE_ON_FAILURE = True

    def __repr__(self) -> str:
        return f"AutoMLRun(id={self.id!r}, status={self.status!r}, best_score={self._data.get('best_score')!r})"

    @property
    def best_model(self) -> BestModel | None:
        """``run.best_model.register("credit")``"""
        if not self._data.get("best_model"):
            self.refresh()
        best = self._data.get("best_model")
        return BestModel(self._http, best, self._data["best_model_job_id"]) if best else None


class AutoML(Collection):
    def submit(
        self,
        task: str,
        data: str | os.PathLike | dict[str, str],
        target_column: str,
        *,
        primary_metric: str | None = None,
        time_budget_s: float | None = None,
        max_concurrent_trials: int = 1,
        validation: dict[str, Any] | None = None,
        target: str = "local",
        experiment: str = "Default",
        **settings: Any,
    ) -> AutoMLRun:
        """Start an AutoML run; the data is checked at once.

        ``ml.automl.submit(task="classification", data="credit.csv", target_column="default", primary_metric="auc", time_budget_s=600)``
        ``data`` is a CSV/Parquet path or ``{"url": "sqlite:///warehouse.db", "sql": "SELECT ..."}``; ``validation`` is
        ``{"cv": 5}``, ``{"holdout": 0.2}`` or ``{"data": path}``; more settings: allowed_models, blocked_models,
        featurization, ensemble, time_column, forecast_horizon, lags, max_trials, seed, display_name, tags.
        """
        if isinstance(data, (str, os.PathLike)):
            data = _server_path(data)
        validation = dict(validation or {})
        if isinstance(validation.get("data"), (str, os.PathLike)):
            validation["data"] = _server_path(validation["data"])
        body = {
            "task": task, "data": data, "target_column": target_column, "primary_metric": primary_metric, "time_budget_s": time_budget_s,
            "max_concurrent_trials": max_concurrent_trials, "validation": validation, "target": target, "experiment": experiment, **settings,
        }
        return AutoMLRun(self._http, self._http.post("/automl", body))

    def get(self, run_id: str) -> AutoMLRun:
        """``ml.automl.get("job-0123abcd4567").leaderboard``"""
        return AutoMLRun(self._http, self._http.get(f"/automl/{run_id}"))

    def list(self, limit: int | None = 50) -> list[AutoMLRun]:
        return [AutoMLRun(self._http, d) for d in self._http.paginate("/automl", {}, limit)]
