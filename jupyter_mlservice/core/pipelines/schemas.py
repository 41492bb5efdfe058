"""The REST contract of pipelines and components (pydantic; the OpenAPI document is generated
from these).

A pipeline is a DAG of *steps*; each step runs a *component* (a command with its code and
environment, a notebook with parameters, or a Python function's source) as a child job of the
pipeline run. Steps are wired by bindings written as in Azure ML pipeline jobs:

- ``${{parent.inputs.raw}}``: an input of the pipeline run;
- ``${{parent.jobs.prep.outputs.train}}``: an output of another step (a folder or file path);
- literals: numbers, strings, booleans, ``data:name@version``, ``model:name@alias``, server paths.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..jobs.schemas import Job, Resources
from ..schemas import Model, checked_tags, printable_name

STEP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
COMPONENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")

#: Port types. ``data`` and ``model`` are references resolved to local paths when the step starts.
PortType = Literal["folder", "file", "data", "model", "int", "float", "str", "bool", "any"]
# Azure ML's input/output type names, accepted as aliases in YAML.
TYPE_ALIASES = {
    "uri_folder": "folder", "uri_file": "file", "mltable": "folder", "mlflow_model": "model", "custom_model": "model",
    "integer": "int", "number": "float", "string": "str", "boolean": "bool", "path": "folder",
}


def port_type(value: Any) -> str:
    if isinstance(value, str):
        return TYPE_ALIASES.get(value, value)
    return value


class InputPort(Model):
    """An input a component (or a pipeline) takes."""

    type: PortType = Field("any", description="folder, file, data (`data:name@v`), model (`model:name@alias`), int, float, str, bool.")
    default: Any = Field(None, description="Value used when the step (or the submit) gives none.")
    optional: bool = Field(False, description="May be left unset (the step then gets no value).")
    description: str = ""

    @field_validator("type", mode="before")
    @classmethod
    def _alias(cls, v: Any) -> Any:
        return port_type(v)


class OutputPort(Model):
    """Something a step writes: a folder (created for it) or one file, under the pipeline run's folder."""

    type: Literal["folder", "file"] = "folder"
    register_as: str | None = Field(
        None, description="Register what the step wrote: a data asset name (`iris-features`) or `model:NAME` (a model version)."
    )
    description: str = ""

    @field_validator("type", mode="before")
    @classmethod
    def _alias(cls, v: Any) -> Any:
        return port_type(v)


class Component(Model):
    """What a step runs. ``type`` command: ``command`` (with ``${{inputs.x}}`` / ``${{outputs.y}}``)
    in a snapshot of ``code``; notebook: ``notebook`` executed with its inputs as parameters;
    code: a Python ``source`` whose inputs and outputs are bound as globals (``@component``)."""

    name: str = Field("", max_length=128)
    version: int | None = Field(None, description="Set by the component registry.")
    type: Literal["command", "notebook", "code"] = "command"
    description: str = ""
    command: str | None = None
    code: str | None = Field(None, description="Folder (server path) snapshotted when the pipeline is submitted.")
    notebook: str | None = None
    source: str | None = Field(None, description="Python source (type code).")
    parameters: dict[str, Any] = Field(default_factory=dict, description="Fixed notebook/code parameters.")
    environment: str | None = Field(None, description="Environment (`sk12@1`); default: the server's.")
    inputs: dict[str, InputPort] = Field(default_factory=dict)
    outputs: dict[str, OutputPort] = Field(default_factory=dict)
    deterministic: bool = Field(True, description="False: never reuse an earlier run of this component.")

    @field_validator("inputs", "outputs", mode="before")
    @classmethod
    def _short_ports(cls, v: Any) -> Any:
        # `inputs: {data: uri_folder}` is short for `{data: {type: uri_folder}}`
        if isinstance(v, dict):
            return {k: ({"type": p} if isinstance(p, str) else p) for k, p in v.items()}
        return v

    @model_validator(mode="after")
    def _runs_something(self) -> "Component":
        need = {"command": "command", "notebook": "notebook", "code": "source"}[self.type]
        if not getattr(self, need):
            raise ValueError(f"a {self.type} component needs {need}")
        for name in [*self.inputs, *self.outputs]:
            if not STEP_NAME.match(name):
                raise ValueError(f"port name {name!r} must be a Python identifier (letters, digits, '_')")
        both = sorted(set(self.inputs) & set(self.outputs))
        if both:
            raise ValueError(f"{both[0]!r} is both an input and an output; give them different names")
        return self


class PipelineStep(Model):
    """One step: a component (inline, or a registered one by `name@version`) and its bindings.

    An inline step may also give the component's fields directly (Azure's `type: command` +
    `command:` under `jobs:`)."""

    component: Component | str | None = Field(None, description="Inline component, or a registered one: `train@2` / `train`.")
    type: Literal["command", "notebook", "code"] | None = None
    command: str | None = None
    code: str | None = None
    notebook: str | None = None
    source: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    environment: str | None = None
    deterministic: bool | None = None
    inputs: dict[str, Any] = Field(default_factory=dict, description="Port -> literal or `${{...}}` binding.")
    outputs: dict[str, Any] = Field(
        default_factory=dict, description="Port -> {type, register_as} (declares it on an inline step), or null.")
    display_name: str = Field("", max_length=256)
    target: str | None = Field(None, description="Compute target; default: the pipeline's default_target.")
    resources: Resources | None = None
    max_retries: int = Field(0, ge=0, le=20, description="Re-run the step's job this many times when it fails.")
    timeout_s: float | None = Field(None, gt=0, description="Fail the step's job after this many seconds.")
    force_rerun: bool = Field(False, description="Run even when an earlier run could be reused.")
    environment_variables: dict[str, str] = Field(default_factory=dict)

    @field_validator("display_name")
    @classmethod
    def _printable(cls, v: str) -> str:
        return printable_name(v)

    @model_validator(mode="before")
    @classmethod
    def _gate(cls, v: Any) -> Any:
        """``type: gate``: an evaluation gate, run as a command step (core/evaluations/run.py)."""
        if isinstance(v, dict) and v.get("type") == "gate":
            return gate_step(v)
        return v


GATE_FIELDS = ("candidate", "baseline", "data", "target_column", "metrics", "margins", "confidence", "bootstrap")


def gate_step(v: dict[str, Any]) -> dict[str, Any]:
    """A gate step -> the command step that judges it.

    ``{type: gate, candidate: iris, baseline: iris@champion, data: ${{parent.inputs.holdout}},
    target_column: species, metrics: [f1, accuracy], margins: {f1: 0.0}}``: scores both model
    versions (resolved when the step runs: ``iris`` is the newest version, so a step upstream may
    have registered it) on the rows of ``data``, compares them with a paired bootstrap interval,
    and fails the step -- hence the pipeline -- as "Rejected" with the numbers unless every metric
    in ``margins`` beats the baseline by more than its margin, interval included."""
    import shlex
    import sys

    step = {k: val for k, val in v.items() if k not in GATE_FIELDS}
    missing = [k for k in ("candidate", "baseline", "data", "target_column", "metrics") if not v.get(k)]
    if missing:
        raise ValueError(f"a gate step needs {', '.join(missing)} (and margins for a verdict)")
    metrics = v["metrics"] if isinstance(v["metrics"], list) else [v["metrics"]]
    margins = v.get("margins") or {}
    if not isinstance(margins, dict):
        raise ValueError("margins is a mapping metric -> margin, e.g. {f1: 0.0}")
    args = ["--candidate", str(v["candidate"]), "--baseline", str(v["baseline"]), "--target-column", str(v["target_column"])]
    for m in metrics:
        args += ["--metric", str(m)]
    for m, margin in margins.items():
        args += ["--gate", f"{m}={margin}"]
    for key in ("confidence", "bootstrap"):
        if v.get(key) is not None:
            args += [f"--{key}", str(v[key])]
    command = " ".join([shlex.quote(sys.executable), "-m", "jupyter_mlservice.core.evaluations.run", "--data", "${{inputs.data}}",
                        "--report", "${{outputs.report}}", *map(shlex.quote, args)])
    return {**step, "type": "command", "command": command, "inputs": {**(v.get("inputs") or {}), "data": v["data"]},
            "outputs": {**(v.get("outputs") or {}), "report": {"type": "folder"}},  # evaluation.json, for the steps after it
            "deterministic": False}  # the versions it judges move ("the newest"): never reused


class PipelineSettings(Model):
    default_target: str = Field("local", description="Target of steps that name none (Azure: default_compute).")
    continue_on_step_failure: bool = Field(
        False, description="Keep running steps that do not depend on a failed one (the run still ends Failed).")
    force_rerun: bool = Field(False, description="Run every step, reusing none.")

    @model_validator(mode="before")
    @classmethod
    def _azure_names(cls, v: Any) -> Any:
        if isinstance(v, dict) and "default_compute" in v:
            v = dict(v)
            v.setdefault("default_target", v.pop("default_compute"))
        return v


class PipelineSpec(Model):
    """A pipeline: its inputs, its steps (`jobs`, as in Azure ML) and the outputs it exposes."""

    name: str = Field("pipeline", max_length=128)
    display_name: str = Field("", max_length=256)
    description: str = ""
    type: Literal["pipeline"] = "pipeline"
    inputs: dict[str, Any] = Field(default_factory=dict, description="Name -> value, or {type, default, optional}.")
    outputs: dict[str, str] = Field(default_factory=dict, description="Name -> `${{parent.jobs.STEP.outputs.PORT}}`.")
    jobs: dict[str, PipelineStep] = Field(min_length=1, description="Step name -> step.")
    settings: PipelineSettings = Field(default_factory=PipelineSettings)
    experiment_name: str | None = Field(None, description="Experiment (Azure's field); the submit's experiment wins.")

    @model_validator(mode="before")
    @classmethod
    def _azure_shape(cls, v: Any) -> Any:
        """An Azure ML pipeline job file, read as YAML, is accepted as it is: `$schema`, `compute`
        and `tags` at the top and `compute` on steps are mapped or dropped."""
        if not isinstance(v, dict):
            return v
        v = {k: x for k, x in v.items() if k not in ("$schema", "tags", "experiment_name_suffix")}
        if "compute" in v:
            compute = v.pop("compute")
            settings = dict(v.get("settings") or {})
            settings.setdefault("default_target", compute)
            v["settings"] = settings
        if isinstance(v.get("settings"), dict) and "compute" in v["settings"]:
            settings = dict(v["settings"])
            settings.setdefault("default_target", settings.pop("compute"))
            v["settings"] = settings
        if isinstance(v.get("jobs"), dict):
            jobs = {}
            for name, step in v["jobs"].items():
                if isinstance(step, dict):
                    step = {k: x for k, x in step.items() if k != "$schema"}
                    if "compute" in step:
                        step.setdefault("target", step.pop("compute"))
                jobs[name] = step
            v["jobs"] = jobs
        return v

    @field_validator("jobs")
    @classmethod
    def _step_names(cls, jobs: dict[str, PipelineStep]) -> dict[str, PipelineStep]:
        for name in jobs:
            if not STEP_NAME.match(name):
                raise ValueError(f"step name {name!r} must be a Python identifier (letters, digits, '_')")
        return jobs


class PipelineSubmit(Model):
    pipeline: PipelineSpec
    experiment: str | None = Field(None, max_length=256, description="Default: the pipeline's experiment_name, else Default.")
    parameters: dict[str, Any] = Field(default_factory=dict, description="Values for the pipeline's inputs (win over its defaults).")
    force_rerun: bool = Field(False, description="Run every step, reusing none.")
    display_name: str = Field("", max_length=256)
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return checked_tags(tags)

    @field_validator("experiment", "display_name")
    @classmethod
    def _printable(cls, v: str | None) -> str | None:
        return v if v is None else printable_name(v)


class PipelineRerun(Model):
    from_step: str | None = Field(None, description="Run this step and everything downstream again; reuse what is upstream.")


class PipelineGraphRequest(Model):
    yaml: str = Field(max_length=1_000_000, description="The text of a *.pipeline.yaml file.")


StepState = Literal["pending", "running", "completed", "reused", "failed", "canceled", "skipped"]


class PipelineEdge(Model):
    from_step: str | None = Field(description="The producing step; null for an input of the pipeline.")
    from_port: str
    to_step: str | None = Field(description="The consuming step; null for an output of the pipeline.")
    to_port: str
    kind: str = Field(description="What the edge carries: folder, file, data, model, int, float, str, bool, any.")


class PipelineStepView(Model):
    name: str
    display_name: str = ""
    job_id: str | None = None
    status: StepState | str = Field("pending", description="pending, running, completed, reused, failed, canceled, skipped.")
    job_status: str | None = Field(None, description="The step job's own status.")
    kind: str = Field(description="command, notebook or code.")
    component: str = ""
    target: str
    reused_from: str | None = Field(None, description="The job whose outputs this step reused (no process ran).")
    why: str | None = Field(None, description="Why the step ran (which part of its reuse key differed), or why it was reused.")
    error: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    started_at: datetime | None = None
    ended_at: datetime | None = None


class PipelineGraph(Model):
    name: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    steps: list[PipelineStepView]
    edges: list[PipelineEdge]


class PipelineRun(Model):
    id: str
    name: str
    display_name: str = ""
    status: str
    experiment: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None
    rerun_of: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict, description="Output name -> path (once its step ended).")
    steps: list[PipelineStepView]
    edges: list[PipelineEdge]
    job: Job


class PipelineRunPage(Model):
    items: list[PipelineRun]
    next_cursor: str | None = None


class ComponentCreate(Component):
    """Register a component: a new version of ``name`` (1, 2, ...)."""

    @field_validator("name")
    @classmethod
    def _named(cls, v: str) -> str:
        if not COMPONENT_NAME.match(v or ""):
            raise ValueError("name must start with a letter and hold letters, digits, '_', '.', '-' (at most 128)")
        return v


class ComponentVersion(Component):
    created_at: datetime
    digest: str = Field(description="Digest of the component's definition.")


class ComponentPage(Model):
    items: list[ComponentVersion]
    next_cursor: str | None = None
