"""The pipeline controller: drives each live pipeline run from its rows, one tick at a time.

Per tick and run: settle steps whose job ended (completed: register outputs, digest them), then
start every pending step whose upstream steps are all done -- reusing an earlier run's outputs
when the step's key matches one, else submitting its job -- and end the run when no step is
left. A failed step skips what depends on it; without ``continue_on_step_failure`` it also
cancels the running steps and skips every pending one.

Restart safety: a step row is written (pending) before its job is submitted, and the job
carries the step's name as a tag, so a restarted controller adopts a job submitted just before
a crash instead of submitting it again; completed and reused steps are final rows and never
run again; running steps are re-attached by the job controller like any job.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from ..errors import InvalidRequest, MLServiceError, NotFound
from ..events import EventBus
from ..jobs.children import LIVE, TERMINAL
from ..jobs.schemas import CodeJobSpec, CommandJobSpec, JobStatus, NotebookJobSpec
from ..jobs.tables import JobRow
from ..reconciler import Reconciler
from ..refs import DataRef, is_ref, parse
from ..timeutil import utcnow
from . import graph as g
from .keys import key_of, path_digest, text_digest, why_ran
from .schemas import PipelineSubmit
from .service import KIND, TAG_STEP, PipelineService
from .tables import PipelineStepRow

log = logging.getLogger("jupyter_mlservice.pipelines")

DONE = ("completed", "reused")
BAD = ("failed", "canceled", "skipped")


class PipelineController(Reconciler):
    name = "mlservice-pipelines"
    interval = 1.0

    def __init__(self, service: PipelineService, data=None, models=None, interval: float | None = None, events: EventBus | None = None):
        super().__init__(interval=interval)
        self.service = service
        self.store = service.store
        self.jobs = service.jobs
        self.parents = service.parents
        self.data = data
        self.models = models
        self.events = events or EventBus()

    def job_changed(self, row: JobRow) -> None:
        """Job listener: a pipeline run or one of its steps changed."""
        if row.kind == KIND or (row.parent_id and TAG_STEP in (row.tags or {})):
            self.wake()

    # ---- the loop ------------------------------------------------------------------------------

    def tick(self) -> None:
        for parent in self.parents.parents(KIND, LIVE):
            try:
                self.drive(parent)
            except Exception:
                log.exception("pipeline %s: tick failed; the next tick retries", parent.id)

    def drive(self, parent: JobRow) -> None:
        try:
            graph = self.service.graph_of(parent)
        except Exception as exc:  # noqa: BLE001 - a stored spec this version cannot read: end the run, say why
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            self.parents.cancel_children(parent.id, "the pipeline's stored spec cannot be read")
            self._end(parent, JobStatus.FAILED.value, f"the stored pipeline spec cannot be read: {message}")
            return
        self.service.ensure_rows(parent.id, graph)
        if parent.status == JobStatus.QUEUED.value:
            self.parents.set_status(parent.id, JobStatus.RUNNING.value, only_if=[JobStatus.QUEUED.value])
            parent = self.jobs.row(parent.id)
        rows = {r.step: r for r in self.service.rows(parent.id)}
        jobs = self._jobs([r.job_id for r in rows.values() if r.job_id])
        # settle steps whose job ended
        for r in rows.values():
            job = jobs.get(r.job_id) if r.job_id else None
            if r.state == "running" and job is not None and job.status in TERMINAL:
                self._settle(parent, graph, r, job)
        rows = {r.step: r for r in self.service.rows(parent.id)}

        if parent.status == JobStatus.CANCEL_REQUESTED.value:
            for r in rows.values():
                if r.state == "pending":
                    self._set(parent.id, r.step, state="skipped", error="canceled with the pipeline", ended_at=utcnow())
            if self.parents.settle_cancel(parent.id):
                for r in self.service.rows(parent.id):
                    if r.state == "running":
                        self._set(parent.id, r.step, state="canceled", error="canceled with the pipeline", ended_at=utcnow())
                self.parents.log(parent.id, "mlservice: pipeline canceled\n")
                self._emit(parent.id, None, "canceled", None)
            return

        body = PipelineSubmit.model_validate(parent.spec["submit"])
        keep_going = body.pipeline.settings.continue_on_step_failure
        failed = [r for r in rows.values() if r.state in ("failed", "canceled")]
        if failed and not keep_going:
            for r in rows.values():
                if r.state == "pending":
                    self._set(parent.id, r.step, state="skipped", error=f"step {failed[0].step} failed", ended_at=utcnow())
            self.parents.cancel_children(parent.id, f"step {failed[0].step} of the pipeline failed")
        else:
            for name, step in graph.steps.items():
                r = rows[name]
                if r.state != "pending" or self.stopping:
                    continue
                ups = [rows[u] for u in step.upstream]
                bad = [u for u in ups if u.state in BAD]
                if bad:
                    self._set(parent.id, name, state="skipped", error=f"upstream step {bad[0].step} {bad[0].state}", ended_at=utcnow())
                    rows[name] = self._row(parent.id, name)
                    self._emit(parent.id, name, "skipped", None)
                elif all(u.state in DONE for u in ups):
                    self._start(parent, body, graph, step, r, rows)
                    rows[name] = self._row(parent.id, name)

        rows = {r.step: r for r in self.service.rows(parent.id)}
        if all(r.state in (*DONE, *BAD) for r in rows.values()):
            bad = [r for r in rows.values() if r.state in ("failed", "canceled")]
            if bad:
                self._end(parent, JobStatus.FAILED.value, f"step {bad[0].step} {bad[0].state}: {bad[0].error or 'see its job'}")
            else:
                self._end(parent, JobStatus.COMPLETED.value, None)

    # ---- steps ---------------------------------------------------------------------------------

    def _start(self, parent: JobRow, body: PipelineSubmit, graph: g.Graph, step: g.Step, row: PipelineStepRow,
               rows: dict[str, PipelineStepRow]) -> None:
        name = step.name
        try:
            values, key_inputs = self._inputs(graph, step, rows)
        except MLServiceError as exc:
            self._fail(parent, name, f"input: {exc.message}")
            return
        comp = step.component
        step_dir = self.jobs.job_dir(parent.id) / "steps" / name
        outputs = {port: {"path": str(step_dir / port), "type": out.type, "register_as": out.register_as}
                   for port, out in comp.outputs.items()}
        parts = self._key_parts(parent, step, key_inputs)
        key = key_of(parts)
        rerun_steps = parent.spec.get("rerun_steps")
        rerun_of = parent.spec.get("rerun_of")
        forced = body.force_rerun or body.pipeline.settings.force_rerun or step.spec.force_rerun
        shown_inputs = {p: v["shown"] for p, v in values.items()}
        existing = self.parents.find_child(parent.id, TAG_STEP, name)
        if existing is not None:  # submitted by a process that died before writing the row
            self._set(parent.id, name, state="running", job_id=existing, reuse_key=key, key_parts=parts, inputs=shown_inputs,
                      outputs=outputs, why=row.why or "adopted after a restart", started_at=row.started_at or utcnow())
            return
        # a rerun from a step: what is upstream of it is this run's original outputs
        if rerun_of and rerun_steps is not None and name not in rerun_steps:
            source = self._row(rerun_of, name)
            if source is not None and source.state in DONE and self._outputs_exist(source):
                self._reuse(parent, name, source, outputs, parts, key, shown_inputs, f"upstream of the rerun step; reused from run {rerun_of}")
                return
        if rerun_of and rerun_steps is not None and name in rerun_steps:
            forced = True
        if forced or not comp.deterministic:
            why = "force_rerun was set" if forced else "the component is not deterministic (deterministic: false)"
        else:
            match = self._match(key, parent.id)
            if match is not None:
                self._reuse(parent, name, match, outputs, parts, key, shown_inputs, None)
                return
            why = why_ran(parts, self._earlier(graph.name, name, parent.id, comp.name))
        for port, out in outputs.items():
            p = Path(out["path"])
            if p.exists():  # a previous attempt's partial output
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            (p if out["type"] == "folder" else p.parent).mkdir(parents=True, exist_ok=True)
        try:
            spec = self._job_spec(parent, body, step, values, outputs)
            snap = self.jobs.job_dir(parent.id) / "code" / name
            job = self.parents.submit_child(parent.id, spec, tags={TAG_STEP: name}, code_snapshot=snap if snap.is_dir() else None)
        except MLServiceError as exc:
            self._fail(parent, name, f"could not submit the step: {exc.message}")
            return
        self._set(parent.id, name, state="running", job_id=job.id, reuse_key=key, key_parts=parts, why=why, inputs=shown_inputs,
                  outputs=outputs, started_at=utcnow())
        self.parents.log(parent.id, f"mlservice: step {name} started as job {job.id} ({why})\n")
        self._emit(parent.id, name, "running", job.id)

    def _reuse(self, parent: JobRow, name: str, source: PipelineStepRow, outputs: dict, parts: dict, key: str,
               shown_inputs: dict, why: str | None) -> None:
        origin = source.reused_from or source.job_id
        for port, out in outputs.items():
            given = (source.outputs or {}).get(port)
            if not given or not given.get("path"):  # a key match guarantees the ports; a rerun's source may differ
                continue
            _link_copy(Path(given["path"]), Path(out["path"]))
            out["digest"] = (source.outputs or {}).get(port, {}).get("digest")
        now = utcnow()
        self._set(parent.id, name, state="reused", reused_from=origin, reuse_key=key, key_parts=parts, inputs=shown_inputs,
                  outputs=outputs, why=why or f"reused from job {origin}: same component, input contents and parameters",
                  started_at=now, ended_at=now)
        self.parents.log(parent.id, f"mlservice: step {name} reused from job {origin}\n")
        self._emit(parent.id, name, "reused", origin)

    def _settle(self, parent: JobRow, graph: g.Graph, row: PipelineStepRow, job: JobRow) -> None:
        now = utcnow()
        if job.status == JobStatus.COMPLETED.value:
            outputs = dict(row.outputs or {})
            problem = None
            for port, out in outputs.items():
                p = Path(out["path"])
                wrote = p.is_file() if out.get("type") == "file" else p.is_dir()
                if not wrote:
                    problem = f"the step wrote nothing at ${{{{outputs.{port}}}}} ({p})"
                    break
                out["digest"] = path_digest(p)
                if out.get("register_as") and not out.get("registered"):
                    try:
                        out["registered"] = self._register(job, port, out)
                    except MLServiceError as exc:
                        problem = f"output {port}: could not register it as {out['register_as']}: {exc.message}"
                        break
            if problem:
                self._set(parent.id, row.step, state="failed", error=problem, outputs=outputs, ended_at=now)
                self.parents.log(parent.id, f"mlservice: step {row.step} failed: {problem}\n")
                self._emit(parent.id, row.step, "failed", job.id)
                return
            self._set(parent.id, row.step, state="completed", outputs=outputs, ended_at=now)
            self.parents.log(parent.id, f"mlservice: step {row.step} completed (job {job.id})\n")
            self._emit(parent.id, row.step, "completed", job.id)
        else:
            state = "canceled" if job.status == JobStatus.CANCELED.value else "failed"
            error = _rejection(self.jobs.job_dir(job.id)) or job.error
            self._set(parent.id, row.step, state=state, error=error, ended_at=now)
            self.parents.log(parent.id, f"mlservice: step {row.step} {state}: {job.error}\n")
            self._emit(parent.id, row.step, state, job.id)

    def _register(self, job: JobRow, port: str, out: dict) -> str:
        from ..data.schemas import DataCreate

        target = out["register_as"]
        if target.startswith("model:"):
            if self.models is None:
                raise InvalidRequest("the model registry is not available")
            mv = self.models.register(target.removeprefix("model:"), local_path=out["path"], server_made=True,
                                      tags={"mlservice.job_id": job.id, "mlservice.pipeline_output": port},
                                      description=f"output {port} of pipeline step job {job.id}")
            if getattr(self.models, "lineage_edges", None) is not None:  # the version was made by the step's job
                from ..lineage import JOB, MODEL_VERSION, Node

                self.models.lineage_edges.record(Node(JOB, job.id), Node(MODEL_VERSION, f"{mv.name}:{mv.version}"), "registered")
            return f"model:{mv.name}:{mv.version}"
        if self.data is None:
            raise InvalidRequest("data assets are not available")
        v = self.data.create(DataCreate(name=target.removeprefix("data:"), path=out["path"], mode="copy",
                                        description=f"output {port} of pipeline step job {job.id}", tags={"mlservice.job_id": job.id}),
                             job_id=job.id, output_name=port, server_made=True)
        return v.ref

    def _fail(self, parent: JobRow, name: str, error: str) -> None:
        self._set(parent.id, name, state="failed", error=error, ended_at=utcnow())
        self.parents.log(parent.id, f"mlservice: step {name} failed: {error}\n")
        self._emit(parent.id, name, "failed", None)

    def _end(self, parent: JobRow, status: str, error: str | None) -> None:
        if self.parents.set_status(parent.id, status, error):
            self.parents.log(parent.id, f"mlservice: pipeline {status.lower()}{': ' + error if error else ''}\n")
            self._emit(parent.id, None, status.lower(), None)

    # ---- inputs and keys -----------------------------------------------------------------------

    def _inputs(self, graph: g.Graph, step: g.Step, rows: dict[str, PipelineStepRow]) -> tuple[dict[str, dict], dict[str, Any]]:
        """Each bound port -> {kind: path|ref|value, value, shown}; and the key's input parts
        (content digests, never paths or names)."""
        values: dict[str, dict] = {}
        key: dict[str, Any] = {}
        comp = step.component
        for port, b in step.bindings.items():
            want = comp.inputs[port].type if port in comp.inputs else "any"
            if isinstance(b, g.FromStep):
                out = rows[b.step].outputs[b.port]
                values[port] = {"kind": "path", "value": out["path"], "shown": out["path"]}
                key[f"inputs.{port}"] = out.get("digest") or path_digest(Path(out["path"]))
                continue
            value = graph.values.get(b.name) if isinstance(b, g.FromParent) else b.value
            if isinstance(b, g.FromParent) and want == "any":
                want = graph.inputs[b.name].type  # the pipeline's own declaration: a folder is a path, whatever the step says
            if value is None:
                continue
            if isinstance(value, str) and is_ref(value):
                ref = parse(value)
                if isinstance(ref, DataRef):
                    v = self.data.resolve(ref)
                    pinned = f"data:{v.name}@{v.version}"
                    values[port] = {"kind": "ref", "value": pinned, "shown": pinned}
                    key[f"inputs.{port}"] = v.digest or pinned
                else:
                    mv = self.models.resolve(ref.short)
                    pinned = f"model:{mv.name}:{mv.version}"
                    values[port] = {"kind": "ref", "value": pinned, "shown": pinned}
                    key[f"inputs.{port}"] = f"{pinned}:{getattr(mv, 'run_id', '') or ''}"
            elif isinstance(value, str) and want in ("folder", "file", "data", "model"):
                p = self.jobs.paths.confine(value, f"inputs.{port}")
                values[port] = {"kind": "path", "value": str(p), "shown": value}
                key[f"inputs.{port}"] = path_digest(p)
            else:
                values[port] = {"kind": "value", "value": value, "shown": value}
                key[f"parameters.{port}"] = value
        return values, key

    def _key_parts(self, parent: JobRow, step: g.Step, inputs: dict[str, Any]) -> dict[str, Any]:
        comp = step.component
        parts: dict[str, Any] = {"component.type": comp.type}
        if comp.type == "command":
            parts["component.command"] = text_digest(comp.command or "")
        elif comp.type == "code":
            parts["component.source"] = text_digest(comp.source or "")
        else:
            nb = self.jobs.paths.confine(comp.notebook, "notebook")
            parts["component.notebook"] = path_digest(nb)
        parts["component.code"] = parent.spec.get("code_digests", {}).get(step.name)
        env = comp.environment
        if env and self.jobs.environments is not None:
            try:
                env = self.jobs.environments.pin(env)
            except (NotFound, InvalidRequest):
                pass
        parts["component.environment"] = env or "server"
        if comp.parameters:
            parts["component.parameters"] = comp.parameters
        parts["component.outputs"] = {p: o.type for p, o in sorted(comp.outputs.items())}
        parts.update(inputs)
        return parts

    def _match(self, key: str, pipeline_id: str) -> PipelineStepRow | None:
        """The newest completed step with this key whose outputs are still there."""
        with self.store.session() as s:
            found = list(s.scalars(
                select(PipelineStepRow).where(PipelineStepRow.reuse_key == key, PipelineStepRow.state.in_(DONE),
                                              PipelineStepRow.pipeline_id != pipeline_id)
                .order_by(PipelineStepRow.ended_at.desc()).limit(10)
            ))
            s.expunge_all()
        for r in found:
            if self._outputs_exist(r):
                return r
        return None

    def _earlier(self, pipeline_name: str, step: str, pipeline_id: str, component: str) -> list[tuple[str | None, dict]]:
        with self.store.session() as s:
            found = list(s.scalars(
                select(PipelineStepRow).where(PipelineStepRow.pipeline_name == pipeline_name, PipelineStepRow.step == step,
                                              PipelineStepRow.pipeline_id != pipeline_id, PipelineStepRow.state.in_(DONE))
                .order_by(PipelineStepRow.created_at.desc()).limit(20)
            ))
            s.expunge_all()
        return [(r.reused_from or r.job_id, r.key_parts or {}) for r in found]

    @staticmethod
    def _outputs_exist(row: PipelineStepRow) -> bool:
        return all(Path(o.get("path", "")).exists() for o in (row.outputs or {}).values())

    # ---- the step's job ------------------------------------------------------------------------

    def _job_spec(self, parent: JobRow, body: PipelineSubmit, step: g.Step, values: dict[str, dict], outputs: dict[str, dict]):
        comp = step.component
        s = step.spec
        env = dict(s.environment_variables)
        refs = {p: v["value"] for p, v in values.items() if v["kind"] == "ref"}
        plain = {p: v["value"] for p, v in values.items() if v["kind"] != "ref"}
        for p, v in plain.items():
            env[f"MLSERVICE_INPUT_{p.upper()}"] = _text(v)
        for p, out in outputs.items():
            env[f"MLSERVICE_OUTPUT_{p.upper()}"] = out["path"]
        common = dict(
            target=step.target, experiment=parent.experiment, display_name=f"{parent.display_name} / {s.display_name or step.name}",
            environment_variables=env, timeout_s=s.timeout_s, max_retries=s.max_retries, resources=s.resources,
            environment=comp.environment, inputs=refs,
        )
        if comp.type == "command":
            def sub(m):
                section, name = m.group(1), m.group(2)
                if section == "outputs":
                    return shlex.quote(outputs[name]["path"])
                if name in refs:
                    return m.group(0)  # resolved by the job itself (a data or model reference)
                if name in plain:
                    return shlex.quote(_text(plain[name]))
                return ""  # an optional input left unset
            command = g.PLACEHOLDER.sub(sub, comp.command or "")
            return CommandJobSpec(command=command, code=comp.code, **common)
        params = {**comp.parameters, **plain, **{p: o["path"] for p, o in outputs.items()}}
        if comp.type == "notebook":
            return NotebookJobSpec(notebook=comp.notebook, parameters=params, code=comp.code, **common)
        return CodeJobSpec(source=comp.source, parameters=params, code=comp.code, **common)

    # ---- rows ----------------------------------------------------------------------------------

    def _jobs(self, ids: list[str]) -> dict[str, JobRow]:
        if not ids:
            return {}
        with self.store.session() as s:
            rows = {j.id: j for j in s.scalars(select(JobRow).where(JobRow.id.in_(ids)))}
            s.expunge_all()
        return rows

    def _row(self, pipeline_id: str, step: str) -> PipelineStepRow | None:
        with self.store.session() as s:
            row = s.get(PipelineStepRow, (pipeline_id, step))
            if row is not None:
                s.expunge(row)
        return row

    def _set(self, pipeline_id: str, step: str, **values: Any) -> None:
        with self.store.session() as s:
            s.execute(update(PipelineStepRow).where(PipelineStepRow.pipeline_id == pipeline_id, PipelineStepRow.step == step).values(**values))

    def _emit(self, pipeline_id: str, step: str | None, state: str, job_id: str | None) -> None:
        self.events.emit("pipeline", {"pipeline_id": pipeline_id, "step": step, "state": state, "job_id": job_id})


def _rejection(job_dir: Path) -> str | None:
    """What a gate step's job found, when its gate failed (core/evaluations/run.py writes it)."""
    from ..evaluations.run import RESULT_FILE

    try:
        result = json.loads((job_dir / "outputs" / RESULT_FILE).read_text())
    except (OSError, ValueError):
        return None
    if result.get("passed") is not False:
        return None
    cand, base = result.get("candidate") or {}, result.get("baseline") or {}
    return (f"Rejected: {cand.get('name')}:{cand.get('version')} does not beat {base.get('name')}:{base.get('version')} "
            f"on {result.get('rows')} rows: {result.get('summary')}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return repr(value) if isinstance(value, float) else str(value)


def _link_copy(src: Path, dst: Path) -> None:
    """Hard links where the filesystem allows (no bytes copied), copies otherwise."""
    if dst.exists():
        shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=_link_or_copy, symlinks=True)
    elif src.is_file():
        _link_or_copy(src, dst)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
