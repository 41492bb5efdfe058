"""`ml.pipelines` (runs of DAGs of steps) and `ml.components` (versioned, reusable steps)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest
from .http import Collection, Record
from .jobs import Job, ParentRun


class Step(Record):
    """A step of a run: ``status`` (completed, reused...), ``job_id``, ``reused_from``, ``why``, ``outputs``."""

    _TIMES = ("started_at", "ended_at")
    _SHOWN = ("name", "status")


class PipelineRun(ParentRun):
    """A pipeline run. ``run.wait(); run.steps; run.outputs["model"]``"""

    _PATH = "/pipelines/{id}"
    _NOUN = "pipeline run"
    _SHOWN = ("id", "name")

    @property
    def steps(self) -> list[Step]:
        return [Step(s) for s in self._data["steps"]]

    def step(self, name: str) -> Step:
        """``run.step("train").why``"""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"pipeline {self._data['name']} has no step {name!r}")

    @property
    def outputs(self) -> dict[str, str]:
        return self._data.get("outputs") or {}

    def rerun(self, from_step: str | None = None) -> "PipelineRun":
        """A new run; with ``from_step`` what is upstream is reused. ``run.rerun(from_step="train")``"""
        return PipelineRun(self._http, self._http.post(f"/pipelines/{self.id}/rerun", {"from_step": from_step}))

    def __repr__(self) -> str:
        return f"PipelineRun({self.id!r}, {self._data['name']!r}, {self.status})"


class Pipelines(Collection):
    def submit(self, pipeline: Any, *, experiment: str | None = None, parameters: dict[str, Any] | None = None,
               force_rerun: bool = False, display_name: str = "", tags: dict[str, str] | None = None) -> PipelineRun:
        """Submit a ``@pipeline`` call, a spec dict or a ``*.pipeline.yaml`` path.
        ``ml.pipelines.submit(retrain(raw="data:iris"), experiment="iris").wait()``"""
        spec, params = pipeline_spec(pipeline)
        body = {"pipeline": spec, "parameters": {**params, **(parameters or {})}, "force_rerun": force_rerun,
                "display_name": display_name, "tags": tags or {}}
        if experiment:
            body["experiment"] = experiment
        return PipelineRun(self._http, self._http.post("/pipelines", body))

    def get(self, pipeline_id: str) -> PipelineRun:
        """``ml.pipelines.get("job-0123abcd4567").steps``"""
        return PipelineRun(self._http, self._http.get(f"/pipelines/{pipeline_id}"))

    def list(self, limit: int | None = 50) -> list[PipelineRun]:
        """Newest first. ``[r.status for r in ml.pipelines.list()]``"""
        return [PipelineRun(self._http, d) for d in self._http.paginate("/pipelines", {}, limit)]

    def cancel(self, pipeline_id: str) -> PipelineRun:
        """``ml.pipelines.cancel(run.id)``"""
        return PipelineRun(self._http, self._http.post(f"/pipelines/{pipeline_id}/cancel"))

    def rerun(self, pipeline_id: str, from_step: str | None = None) -> PipelineRun:
        """``ml.pipelines.rerun(run.id, from_step="train")``"""
        return PipelineRun(self._http, self._http.post(f"/pipelines/{pipeline_id}/rerun", {"from_step": from_step}))

    def graph(self, yaml_text: str) -> dict[str, Any]:
        """Steps and edges of a pipeline file, checked, without running it."""
        return self._http.post("/pipelines/graph", {"yaml": yaml_text})


class Components(Collection):
    def load(self, path: str | os.PathLike):
        """A component YAML file, usable in a ``@pipeline``. ``train = ml.components.load("components/train.yaml")``"""
        from ..pipelines import load_component

        return load_component(path)

    def create(self, component: Any = None, **fields: Any):
        """Register a new version. ``ml.components.create(ml.components.load("train.yaml")).version``"""
        from ..pipelines import Component, load_component

        if isinstance(component, (str, os.PathLike)):
            component = load_component(component)
        spec = dict(component.spec if isinstance(component, Component) else (component or {}))
        spec.update(fields)
        spec.pop("version", None)
        return Component(self._http.post("/components", spec), registered=True)

    def get(self, ref: str):
        """``ml.components.get("train@2")`` (or ``"train"``: the latest)."""
        from ..pipelines import Component

        name, _, version = ref.partition("@")
        path = f"/components/{name}/versions/{version}" if version else f"/components/{name}"
        return Component(self._http.get(path), registered=True)

    def list(self, name: str | None = None, limit: int | None = 100) -> list:
        """``[(c.name, c.version) for c in ml.components.list()]``"""
        from ..pipelines import Component

        return [Component(d, registered=True) for d in self._http.paginate("/components", {"name": name} if name else {}, limit)]


def pipeline_spec(pipeline: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(spec, parameters) from a ``@pipeline`` call, a dict or a YAML file path."""
    from ..pipelines import PipelineJob

    if isinstance(pipeline, PipelineJob):
        return pipeline.spec, pipeline.parameters
    if isinstance(pipeline, dict):
        return pipeline, {}
    if isinstance(pipeline, (str, os.PathLike)):
        return load_pipeline_file(pipeline), {}
    raise InvalidRequest("give a @pipeline call, a pipeline spec (dict) or a *.pipeline.yaml path")


def load_pipeline_file(path: str | os.PathLike) -> dict[str, Any]:
    """A *.pipeline.yaml as a spec; ``code``/``notebook`` paths are taken relative to the file."""
    import yaml

    p = Path(path)
    try:
        spec = yaml.safe_load(p.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidRequest(f"cannot read pipeline file {path}: {exc}") from None
    if not isinstance(spec, dict):
        raise InvalidRequest(f"{path} must hold a mapping with jobs:")
    for step in (spec.get("jobs") or {}).values():
        if isinstance(step, dict):
            for key in ("code", "notebook"):
                if isinstance(step.get(key), str) and (p.parent / step[key]).exists():
                    step[key] = str((p.parent / step[key]).resolve())
            comp = step.get("component")
            if isinstance(comp, str) and comp.endswith((".yaml", ".yml")) and (p.parent / comp).exists():
                from ..pipelines import load_component

                step["component"] = load_component(p.parent / comp).spec
    return spec
