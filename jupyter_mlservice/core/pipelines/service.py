"""Pipelines: submit (checked before anything is written), read, cancel, rerun; the component
registry. Running the steps is PipelineController's business."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from ..errors import InvalidRequest, NotFound
from ..jobs.children import ParentJobs
from ..jobs.schemas import TERMINAL_STATUSES
from ..jobs.service import to_job
from ..jobs.snapshot import snapshot
from ..jobs.tables import JobRow
from ..pagination import page
from ..store import Store
from ..timeutil import as_utc, utcnow
from . import graph as g
from .keys import key_of, path_digest
from .schemas import (
    Component, ComponentCreate, ComponentPage, ComponentVersion, PipelineGraph, PipelineRun, PipelineRunPage, PipelineSpec,
    PipelineSubmit,
)
from .tables import ComponentRow, PipelineStepRow

KIND = "pipeline"
TAG_STEP = "mlservice.pipeline_step"
TERMINAL_JOB = {s.value for s in TERMINAL_STATUSES}


class PipelineService:
    def __init__(self, store: Store, jobs, targets, root_dir: Path, max_snapshot_bytes: int, events=None,
                 wake: Callable[[], None] = lambda: None):
        self.store = store
        self.jobs = jobs
        self.targets = targets
        self.parents = ParentJobs(jobs)
        self.root_dir = root_dir
        self.max_snapshot_bytes = max_snapshot_bytes
        self.events = events
        self.wake = wake

    # ---- submit --------------------------------------------------------------------------------

    def check(self, body: PipelineSubmit) -> tuple[g.Graph, PipelineSpec]:
        """The checked graph and the spec with registered components inlined; a 400 otherwise."""
        spec = body.pipeline
        graph = g.build(spec, body.parameters, self.components.component)
        jobs = {}
        for name, step in graph.steps.items():
            jobs[name] = step.spec.model_copy(update={"component": step.component, "outputs": {}, "type": None, "command": None,
                                                     "code": None, "notebook": None, "source": None, "parameters": {},
                                                     "environment": None, "deterministic": None})
        return graph, spec.model_copy(update={"jobs": jobs})

    def submit(self, body: PipelineSubmit, rerun_of: str | None = None, rerun_steps: list[str] | None = None) -> PipelineRun:
        """Check the pipeline (graph, types, targets, paths, references), then queue its run."""
        graph, spec = self.check(body)
        paths = self.jobs.paths
        code_dirs: dict[str, Path] = {}
        for name, step in graph.steps.items():
            where = f"jobs.{name}"
            try:
                target = self.targets.row(step.target)
            except NotFound as exc:
                raise InvalidRequest(f"{where}.target: {exc.message}") from None
            self._check_job_settings(where, step, target)
            comp = step.component
            if comp.code:
                d = paths.confine(comp.code, f"{where}.code")
                if not d.is_dir():
                    raise InvalidRequest(f"{where}.code: folder {comp.code!r} does not exist on the server (paths are relative to {self.root_dir})")
                code_dirs[name] = d
            if comp.type == "notebook":
                nb = paths.confine(comp.notebook, f"{where}.notebook")
                if not nb.is_file() or nb.suffix != ".ipynb":
                    raise InvalidRequest(f"{where}.notebook: {comp.notebook!r} is not an .ipynb file on the server")
            if comp.environment and self.jobs.environments is not None:
                try:
                    self.jobs.environments.pin(comp.environment)
                except (NotFound, InvalidRequest) as exc:
                    raise InvalidRequest(f"{where}.environment: {exc.message}") from None
            for port, b in step.bindings.items():
                value = graph.values.get(b.name) if isinstance(b, g.FromParent) else b.value if isinstance(b, g.Literal_) else None
                want = comp.inputs[port].type if port in comp.inputs else "any"
                if isinstance(b, g.FromParent) and want == "any":
                    want = graph.inputs[b.name].type
                if isinstance(value, str) and (g.value_type(value) in ("data", "model") or want in ("folder", "file", "data", "model")):
                    for check in self.jobs.submit_checks:
                        try:
                            check(SimpleNamespace(inputs={port: value}))
                        except InvalidRequest as exc:
                            raise InvalidRequest(f"{where}.{exc.message}") from None
        experiment = body.experiment or spec.experiment_name or "Default"
        stored = {
            "submit": body.model_copy(update={"pipeline": spec, "experiment": experiment}).model_dump(mode="json"),
            "values": graph.values,
            "code_digests": {},
            "rerun_of": rerun_of,
            "rerun_steps": rerun_steps,
        }

        def prepare(job_dir: Path) -> None:
            # every step runs its code as it was at submit; its digest is part of the step's key
            for name, d in code_dirs.items():
                dest = job_dir / "code" / name
                snapshot(d, dest, self.max_snapshot_bytes, paths)
                stored["code_digests"][name] = path_digest(dest)
            (job_dir / "steps").mkdir()

        display = body.display_name or spec.display_name or spec.name
        job = self.parents.create(
            KIND, stored, target=spec.settings.default_target, experiment=experiment, display_name=display,
            tags={**body.tags, "mlservice.pipeline": spec.name}, prepare=prepare,
        )
        self.ensure_rows(job.id, graph)
        self.parents.log(job.id, f"mlservice: pipeline {spec.name} with {len(graph.steps)} steps: {', '.join(graph.steps)}\n")
        self.wake()
        return self.get(job.id)

    def _check_job_settings(self, where: str, step: g.Step, target) -> None:
        """What the step's job would be refused for (resources the target lacks, a reserved
        environment variable), said now rather than when the step starts."""
        from ..jobs.schemas import CommandJobSpec

        s = step.spec
        try:
            probe = CommandJobSpec(command="true", target=step.target, resources=s.resources, timeout_s=s.timeout_s,
                                   max_retries=s.max_retries, environment_variables=s.environment_variables)
        except ValidationError as exc:
            raise InvalidRequest(f"{where}: {g._pydantic_message(exc)}") from None
        try:
            self.targets.backend(target.type).check_job(target.settings, probe.model_dump(mode="json"))
        except InvalidRequest as exc:
            raise InvalidRequest(f"{where}.target {step.target!r}: {exc.message}") from None

    def ensure_rows(self, pipeline_id: str, graph: g.Graph) -> None:
        """One pending row per step (the controller repeats this after a crash between the parent and its rows)."""
        from sqlalchemy.exc import IntegrityError

        now = utcnow()
        try:
            with self.store.session() as s:
                have = set(s.scalars(select(PipelineStepRow.step).where(PipelineStepRow.pipeline_id == pipeline_id)))
                for i, name in enumerate(graph.steps):
                    if name not in have:
                        s.add(PipelineStepRow(pipeline_id=pipeline_id, step=name, pipeline_name=graph.name, position=i, state="pending",
                                              key_parts={}, inputs={}, outputs={}, created_at=now))
        except IntegrityError:  # the controller (or the submit) wrote them meanwhile
            pass

    def graph_of(self, row: JobRow) -> g.Graph:
        body = PipelineSubmit.model_validate(row.spec["submit"])
        return g.build(body.pipeline, body.parameters, None, check_required=False)

    # ---- read ----------------------------------------------------------------------------------

    def _parent(self, pipeline_id: str) -> JobRow:
        row = self.jobs.row(pipeline_id)
        if row.kind != KIND:
            raise NotFound(f"job {pipeline_id} is a {row.kind} job, not a pipeline run")
        return row

    def rows(self, pipeline_id: str) -> list[PipelineStepRow]:
        with self.store.session() as s:
            rows = list(s.scalars(select(PipelineStepRow).where(PipelineStepRow.pipeline_id == pipeline_id).order_by(PipelineStepRow.position)))
            s.expunge_all()
        return rows

    def get(self, pipeline_id: str) -> PipelineRun:
        row = self._parent(pipeline_id)
        try:
            graph = self.graph_of(row)
        except Exception:  # noqa: BLE001 - a stored spec this version cannot read: show the run, not a 500
            return PipelineRun(id=row.id, name=row.display_name, display_name=row.display_name, status=row.status,
                               experiment=row.experiment, created_at=as_utc(row.created_at), started_at=as_utc(row.started_at),
                               ended_at=as_utc(row.ended_at), error=row.error or "the stored pipeline spec cannot be read",
                               steps=[], edges=[], job=to_job(row))
        drawn = g.view(graph)
        rows = {r.step: r for r in self.rows(pipeline_id)}
        ids = [r.job_id for r in rows.values() if r.job_id]
        jobs: dict[str, JobRow] = {}
        if ids:
            with self.store.session() as s:
                for j in s.scalars(select(JobRow).where(JobRow.id.in_(ids))):
                    jobs[j.id] = j
                s.expunge_all()
        ended = row.status in TERMINAL_JOB
        steps = []
        for v in drawn.steps:
            r = rows.get(v.name)
            job = jobs.get(r.job_id) if r and r.job_id else None
            state = r.state if r else "pending"
            if ended and state in ("pending", "running") and (job is None or job.status in TERMINAL_JOB):
                state = "skipped" if state == "pending" else _step_state(job)
            steps.append(v.model_copy(update={
                "job_id": r.job_id if r else None, "status": state, "job_status": job.status if job else None,
                "reused_from": r.reused_from if r else None, "why": r.why if r else None,
                "error": (r.error if r else None) or (job.error if job and state in ("failed", "canceled") else None),
                "inputs": (r.inputs if r and r.inputs else v.inputs), "outputs": (_paths(r.outputs) if r and r.outputs else v.outputs),
                "started_at": as_utc(r.started_at) if r else None, "ended_at": as_utc(r.ended_at) if r else None,
            }))
        outputs = {}
        for name, b in graph.outputs.items():
            r = rows.get(b.step)
            if r and r.state in ("completed", "reused") and b.port in (r.outputs or {}):
                outputs[name] = r.outputs[b.port]["path"]
        body = row.spec["submit"]
        return PipelineRun(
            id=row.id, name=graph.name, display_name=row.display_name, status=row.status, experiment=row.experiment,
            created_at=as_utc(row.created_at), started_at=as_utc(row.started_at), ended_at=as_utc(row.ended_at), error=row.error,
            rerun_of=row.spec.get("rerun_of"), inputs={**row.spec.get("values", {}), **{k: v for k, v in body.get("parameters", {}).items()}},
            outputs=outputs, steps=steps, edges=drawn.edges, job=to_job(row),
        )

    def list(self, limit: int = 50, cursor: str | None = None) -> PipelineRunPage:
        found = self.jobs.list(kind=KIND, limit=limit, cursor=cursor)
        return PipelineRunPage(items=[self.get(j.id) for j in found.items], next_cursor=found.next_cursor)

    def cancel(self, pipeline_id: str) -> PipelineRun:
        """Cancel the run: running steps are canceled, the rest skipped."""
        self._parent(pipeline_id)
        self.jobs.cancel(pipeline_id)
        self.wake()
        return self.get(pipeline_id)

    def rerun(self, pipeline_id: str, from_step: str | None = None) -> PipelineRun:
        """Submit the run again; with ``from_step``, that step and everything downstream run again
        and every step upstream reuses this run's outputs."""
        row = self._parent(pipeline_id)
        body = PipelineSubmit.model_validate(row.spec["submit"])
        graph = self.graph_of(row)
        if from_step is None:
            return self.submit(body.model_copy(update={"force_rerun": True}), rerun_of=pipeline_id, rerun_steps=list(graph.steps))
        if from_step not in graph.steps:
            raise InvalidRequest(f"from_step: pipeline {graph.name} has no step {from_step!r} (steps: {', '.join(graph.steps)})")
        again = sorted({from_step} | graph.downstream(from_step))
        return self.submit(body, rerun_of=pipeline_id, rerun_steps=again)

    def draw(self, text: str) -> PipelineGraph:
        """The graph of a *.pipeline.yaml (read-only view): checked like a submit, no statuses."""
        spec = spec_from_yaml(text)
        return g.view(g.build(spec, {}, self.components.component, check_required=False))

    # ---- components ----------------------------------------------------------------------------

    components: "ComponentService"


def _paths(outputs: dict[str, Any]) -> dict[str, Any]:
    return {k: v.get("path") if isinstance(v, dict) else v for k, v in outputs.items()}


def _step_state(job: JobRow | None) -> str:
    if job is None:
        return "skipped"
    return {"Completed": "completed", "Failed": "failed", "Canceled": "canceled"}.get(job.status, "running")


def spec_from_yaml(text: str) -> PipelineSpec:
    """A *.pipeline.yaml (Azure ML's pipeline job shape) as a spec; a 400 saying what is wrong."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRequest(f"the pipeline file is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the pipeline file must be a mapping with jobs:")
    try:
        return PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(g._pydantic_message(exc)) from None


class ComponentService:
    """Versioned components: ``create`` adds version n+1 of a name; ``get("train@2")``."""

    def __init__(self, store: Store):
        self.store = store

    def create(self, body: ComponentCreate) -> ComponentVersion:
        data = body.model_dump(mode="json", exclude={"version"})
        digest = key_of(data)
        with self.store.session() as s:
            latest = s.scalar(select(func.max(ComponentRow.version)).where(ComponentRow.name == body.name)) or 0
            row = ComponentRow(name=body.name, version=latest + 1, spec=data, digest=digest, created_at=utcnow())
            s.add(row)
        return self._view(row)

    def _view(self, row: ComponentRow) -> ComponentVersion:
        return ComponentVersion.model_validate({**row.spec, "version": row.version, "created_at": as_utc(row.created_at), "digest": row.digest})

    def get(self, ref: str) -> ComponentVersion:
        name, _, version = ref.partition("@")
        with self.store.session() as s:
            q = select(ComponentRow).where(ComponentRow.name == name)
            if version:
                try:
                    q = q.where(ComponentRow.version == int(version))
                except ValueError:
                    raise InvalidRequest(f"component reference {ref!r}: the version after @ must be a number") from None
            row = s.scalars(q.order_by(ComponentRow.version.desc()).limit(1)).first()
            if row is None:
                raise NotFound(f"no component {ref!r}" + ("" if version else " (no version registered)"))
            s.expunge(row)
        return self._view(row)

    def component(self, ref: str) -> Component:
        """For a pipeline step naming ``ref``: the component, inlined into the run's spec."""
        try:
            v = self.get(ref)
        except NotFound as exc:
            raise InvalidRequest(exc.message) from None
        return Component.model_validate(v.model_dump(exclude={"created_at", "digest"}))

    def list(self, name: str | None = None, limit: int = 50, cursor: str | None = None) -> ComponentPage:
        q = select(ComponentRow)
        if name:
            q = q.where(ComponentRow.name == name)
        with self.store.session() as s:
            rows, nxt = page(s, q, [ComponentRow.name, ComponentRow.version], limit, cursor)
        return ComponentPage(items=[self._view(r) for r in rows], next_cursor=nxt)


__all__ = ["PipelineService", "ComponentService", "KIND", "TAG_STEP", "spec_from_yaml"]
