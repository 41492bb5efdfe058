"""`ml.models`: the model registry (MLflow's, with lineage to jobs)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from ..errors import InvalidRequest
from .http import Collection, Record


class ModelVersion(Record):
    """One registered version: ``mv.name``, ``mv.version``, ``mv.run_id``, ``mv.aliases``, ``mv.lineage``."""

    _SHOWN = ("name", "version", "aliases")

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"


class Models(Collection):
    def register(
        self,
        name: str,
        job: Any = None,
        path: str | os.PathLike = "model",
        *,
        run_id: str | None = None,
        tags: dict[str, str] | None = None,
        description: str = "",
    ) -> ModelVersion:
        """Register a new version from a job's run (``path`` = artifact path) or a local file/folder.

        ``mv = ml.models.register(name="iris", job=job, path="model")``
        ``mv = ml.models.register(name="iris", path="models/iris/")``
        """
        body: dict[str, Any] = {"name": name, "tags": tags or {}, "description": description}
        if job is not None:
            body.update(job_id=getattr(job, "id", job), path=str(path))
        elif run_id is not None:
            body.update(run_id=run_id, path=str(path))
        else:
            if not os.path.exists(path):
                raise InvalidRequest(f"{path!r} does not exist here; pass job= or run_id= to register from a run")
            body["local_path"] = os.path.abspath(path)
        return ModelVersion(self._http.post("/models", body))

    def list(self, filter: str | None = None) -> list[dict[str, Any]]:
        """``[m["name"] for m in ml.models.list()]``"""
        return self._http.paginate("/models", {"filter": filter}, None)

    def get(self, name: str) -> dict[str, Any]:
        """A model with aliases and versions. ``ml.models.get("iris")["aliases"]``"""
        return self._http.get(f"/models/{quote(name, safe='')}")

    def versions(self, name: str) -> list[ModelVersion]:
        """Newest first. ``ml.models.versions("iris")[0].version``"""
        return [ModelVersion(v) for v in self._http.get(f"/models/{quote(name, safe='')}/versions")["items"]]

    def version(self, ref: str) -> ModelVersion:
        """Resolve ``iris:3``, ``iris@champion`` or ``iris`` (latest). ``ml.models.version("iris@champion").lineage``"""
        return ModelVersion(self._http.get("/models/resolve", params={"ref": ref}))

    def set_alias(self, name: str, alias: str, version: str | int) -> ModelVersion:
        """``ml.models.set_alias("iris", "champion", mv.version)``"""
        return ModelVersion(self._http.request("PUT", f"/models/{quote(name, safe='')}/aliases/{quote(alias, safe='')}", json={"version": str(version)}))

    def alias_history(self, name: str, alias: str | None = None) -> list[dict[str, Any]]:
        """Where each alias pointed and since when, newest first. ``ml.models.alias_history("iris", "champion")``"""
        return self._http.get(f"/models/{quote(name, safe='')}/alias-history", params={"alias": alias} if alias else None)["items"]

    def delete_alias(self, name: str, alias: str) -> None:
        """``ml.models.delete_alias("iris", "champion")``"""
        self._http.delete(f"/models/{quote(name, safe='')}/aliases/{quote(alias, safe='')}")

    def update(self, name: str, version: str | int | None = None, description: str | None = None, tags: dict[str, str] | None = None):
        """Tag or describe a model, or one version. ``ml.models.update("iris", 2, tags={"stage": "prod"})``"""
        body = {"description": description, "tags": tags}
        if version is None:
            return self._http.patch(f"/models/{quote(name, safe='')}", body)
        return ModelVersion(self._http.patch(f"/models/{quote(name, safe='')}/versions/{version}", body))

    def delete_version(self, name: str, version: str | int) -> None:
        """``ml.models.delete_version("iris", 1)``"""
        self._http.delete(f"/models/{quote(name, safe='')}/versions/{version}")

    def delete(self, name: str) -> None:
        """Delete a model and every version. ``ml.models.delete("iris")``"""
        self._http.delete(f"/models/{quote(name, safe='')}")

    # ---- export and packages (core/export) ---------------------------------------------------

    def export(
        self, ref: str, format: str = "onnx", *, tolerance: float = 1e-4, name: str | None = None, target: str = "local",
        experiment: str | None = None, wait: bool = True, timeout: float | None = 1800,
    ) -> ModelVersion | Any:
        """Convert a version to ONNX in an export job, which checks it against the original on sample
        data (largest absolute difference <= ``tolerance``) and registers it as a new version.
        Waits and returns the new version (``wait=False``: returns the job).

        ``mv = ml.models.export("mnist:3", format="onnx")``
        """
        from .jobs import Job

        mv = self.version(ref)
        body = {"format": format, "tolerance": tolerance, "name": name, "target": target, "experiment": experiment}
        job = Job(self._http, self._http.post(f"/models/{quote(mv.name, safe='')}/versions/{mv.version}/export", body))
        if not wait:
            return job
        job = job.wait(timeout=timeout, raise_on_failure=True)
        import json

        result = json.loads(job.download("export.json", _tmpdir()).read_text())
        return self.version(f"{result['name']}:{result['version']}")

    def evaluate(self, candidate: str, baseline: str, data: str, target_column: str, metrics: list[str], *,
                 gate: dict[str, float] | None = None, confidence: float = 0.95, bootstrap: int = 1000, target: str = "local",
                 wait: bool = True, timeout: float | None = None):
        """Score ``candidate`` and ``baseline`` on the same rows of ``data`` (a data asset), compare
        them per metric with a paired bootstrap interval, and judge ``gate`` (metric -> margin): it
        passes when the candidate is better by more than the margin *and* so is the interval's low
        end. Runs as a job on ``target``; waits for the result unless ``wait=False``.

        ``e = ml.models.evaluate("iris:7", "iris@champion", "data:iris-holdout@3", "species",
        ["f1", "accuracy"], gate={"f1": 0.0}); e.passed; e.table()``"""
        from .evaluations import Evaluations

        return Evaluations(self._http).create(candidate, baseline, data, target_column, metrics, gate=gate, confidence=confidence,
                                              bootstrap=bootstrap, target=target, wait=wait, timeout=timeout)

    def package(self, ref: str, target: str = "edge", path: str | os.PathLike | None = None) -> "os.PathLike":
        """Write a folder that runs an ONNX version with only onnxruntime installed (model.onnx,
        score.py, requirements.txt, README.md); returns its path (default ``./NAME-VERSION-TARGET``).

        ``ml.models.package("mnist:4", target="edge")``
        """
        import io
        import zipfile
        from pathlib import Path

        mv = self.version(ref)
        data = self._http.get(f"/models/{quote(mv.name, safe='')}/versions/{mv.version}/package", params={"target": target}, raw=True)
        dest = Path(path) if path is not None else Path.cwd() / f"{mv.name}-{mv.version}-{target}"
        dest.mkdir(parents=True, exist_ok=True)
        zipfile.ZipFile(io.BytesIO(data)).extractall(dest)
        return dest


def _tmpdir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="mlservice-")
