"""Experiments and runs: a thin layer over MLflow, so every job is a real MLflow run."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest, NotFound


class ExperimentService:
    def __init__(self, tracking_uri: str, registry_uri: str, artifact_root: Path):
        from mlflow.tracking import MlflowClient

        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri
        self.artifact_root = artifact_root
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
        # Parts of MLflow (runs:/ and models:/ resolution) use the process-wide default client;
        # one server process serves one workspace, so point the defaults at it.
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(registry_uri)
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}

    # ---- experiments ---------------------------------------------------------------------------

    def ensure_experiment(self, name: str) -> str:
        if name in self._ids:
            return self._ids[name]
        with self._lock:
            exp = self.client.get_experiment_by_name(name)
            if exp is None:
                location = (self.artifact_root / _safe(name)).as_uri() if self._local_artifacts else None
                try:
                    exp_id = self.client.create_experiment(name, artifact_location=location)
                except Exception:  # created concurrently by a job or another server
                    exp = self.client.get_experiment_by_name(name)
                    if exp is None:
                        raise
                    exp_id = exp.experiment_id
            else:
                if exp.lifecycle_stage == "deleted":
                    raise InvalidRequest(f"experiment {name!r} is deleted; restore it or pick another name")
                exp_id = exp.experiment_id
            self._ids[name] = exp_id
            return exp_id

    @property
    def _local_artifacts(self) -> bool:
        return not str(self.artifact_root).startswith(("s3:", "gs:", "http", "wasbs:"))

    def list_experiments(self, limit: int, cursor: str | None) -> dict[str, Any]:
        page = self.client.search_experiments(max_results=limit, page_token=cursor, order_by=["last_update_time DESC"])
        return {
            "items": [
                {
                    "experiment_id": e.experiment_id,
                    "name": e.name,
                    "artifact_location": e.artifact_location,
                    "lifecycle_stage": e.lifecycle_stage,
                    "creation_time": e.creation_time,
                    "last_update_time": e.last_update_time,
                    "tags": dict(e.tags),
                }
                for e in page
            ],
            "next_cursor": page.token or None,
        }

    def list_runs(self, experiment_id: str, limit: int, cursor: str | None, order_by: str | None, filter_string: str = "") -> dict[str, Any]:
        from mlflow.exceptions import MlflowException

        try:
            page = self.client.search_runs(
                [experiment_id],
                filter_string=filter_string,
                max_results=limit,
                page_token=cursor,
                order_by=[order_by] if order_by else ["attributes.start_time DESC"],
            )
        except MlflowException as exc:
            raise InvalidRequest(f"cannot list runs: {exc.message}") from None
        return {"items": [run_summary(r) for r in page], "next_cursor": page.token or None}

    # ---- runs ----------------------------------------------------------------------------------

    def create_run(self, experiment_id: str, name: str, tags: dict[str, str]) -> str:
        run = self.client.create_run(experiment_id, run_name=name or None, tags=tags)
        return run.info.run_id

    def set_tags(self, run_id: str, tags: dict[str, str]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def end_run(self, run_id: str, status: str) -> None:
        self.client.set_terminated(run_id, status)

    def log_outputs(self, run_id: str, folder: Path) -> None:
        """Upload a job's outputs folder as the run's artifacts (Azure ML's ./outputs)."""
        if folder.is_dir() and any(folder.iterdir()):
            self.client.log_artifacts(run_id, str(folder))

    def metrics(self, run_id: str) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
        from mlflow.exceptions import MlflowException

        try:
            run = self.client.get_run(run_id)
        except MlflowException:
            raise NotFound(f"no MLflow run {run_id!r}") from None
        histories = {
            key: [
                {"step": m.step, "value": m.value, "timestamp": m.timestamp}
                for m in self.client.get_metric_history(run_id, key)
            ]
            for key in run.data.metrics
        }
        return histories, dict(run.data.params)

    def artifacts(self, run_id: str, path: str | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for info in self.client.list_artifacts(run_id, path):
            out.append({"path": info.path, "is_dir": info.is_dir, "size": info.file_size})
            if info.is_dir:
                out.extend(self.artifacts(run_id, info.path))
        return out

    def download_artifact(self, run_id: str, path: str, dst: Path) -> Path:
        from mlflow.exceptions import MlflowException

        if not path or ".." in Path(path).parts:
            raise InvalidRequest("artifact path must be a relative path inside the run")
        try:
            return Path(self.client.download_artifacts(run_id, path, str(dst)))
        except (MlflowException, OSError):
            raise NotFound(f"run {run_id} has no artifact {path!r}") from None


def run_summary(r) -> dict[str, Any]:
    return {
        "run_id": r.info.run_id,
        "run_name": r.info.run_name,
        "experiment_id": r.info.experiment_id,
        "status": r.info.status,
        "start_time": r.info.start_time,
        "end_time": r.info.end_time,
        "metrics": dict(r.data.metrics),
        "params": dict(r.data.params),
        "tags": {k: v for k, v in r.data.tags.items() if not k.startswith("mlflow.log-model")},
    }


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
