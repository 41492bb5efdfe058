"""Sweeps: submit, inspect, list trials. Running them is SweepController's business."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select

from ..errors import InvalidRequest, NotFound
from ..jobs import launch
from ..jobs.children import ParentJobs
from ..jobs.service import to_job
from ..jobs.snapshot import snapshot
from ..jobs.schemas import JobSpec
from ..store import Store
from ..jobs.tables import JobRow
from ..timeutil import as_utc, utcnow
from .engine import grid_size, sample_point
from .schemas import Sweep, SweepCreate, SweepPage, SweepTrial, SweepTrialPage
from .tables import SweepTrialRow

KIND = "sweep"
TAG_TRIAL = "mlservice.sweep_trial"
PLACEHOLDER = re.compile(r"\$\{\{\s*search_space\.([A-Za-z0-9_.-]+)\s*\}\}")
JOB_SPEC = TypeAdapter(JobSpec)


class SweepService:
    def __init__(self, store: Store, jobs, targets, root_dir: Path, max_snapshot_bytes: int, wake: Callable[[], None] = lambda: None):
        self.store = store
        self.jobs = jobs
        self.targets = targets
        self.parents = ParentJobs(jobs)
        self.root_dir = root_dir
        self.max_snapshot_bytes = max_snapshot_bytes
        self.wake = wake

    # ---- submit --------------------------------------------------------------------------------

    def submit(self, body: SweepCreate) -> Sweep:
        """Check the sweep (search space, trial spec, target), then queue its parent job."""
        try:
            target = self.targets.row(body.target)
        except NotFound as exc:
            raise InvalidRequest(exc.message) from None
        unknown = sorted(set(placeholders(body.trial)) - set(body.search_space))
        if unknown:
            raise InvalidRequest(
                f"trial uses ${{{{search_space.{unknown[0]}}}}} but the search space has no parameter {unknown[0]!r} "
                f"(it has: {', '.join(body.search_space)})"
            )
        spec = trial_spec(body, sample_point(body))
        self.targets.backend(target.type).check_job(target.settings, spec.model_dump(mode="json"))
        for check in self.jobs.submit_checks:  # what every job's submit checks (its data inputs exist...)
            check(spec)
        code = body.trial.get("code")
        paths = self.jobs.paths
        code_dir = paths.confine(code, "trial.code") if code else None
        if code_dir is not None and not code_dir.is_dir():
            raise InvalidRequest(f"trial.code folder {code!r} does not exist on the server (paths are relative to {self.root_dir})")
        if spec.kind == "notebook" and not paths.confine(spec.notebook, "trial.notebook").is_file():
            raise InvalidRequest(f"trial.notebook {spec.notebook!r} is not a file on the server (paths are relative to {self.root_dir})")
        if body.sampling == "grid":
            body = body.model_copy(update={"limits": body.limits.model_copy(update={"max_trials": min(body.limits.max_trials, grid_size(body))})})

        def prepare(job_dir: Path) -> None:
            # Every trial runs the code as it was at submit time.
            if code_dir is not None:
                snapshot(code_dir, launch.job_paths(job_dir)["snapshot"], self.max_snapshot_bytes, paths)

        job = self.parents.create(
            KIND, body.model_dump(mode="json"), target=body.target, experiment=body.experiment,
            display_name=body.display_name, tags=body.tags, timeout_s=body.limits.timeout_s, prepare=prepare,
        )
        self.parents.log(job.id, f"mlservice: sweep of {body.limits.max_trials} trials, {body.sampling} sampling, "
                                 f"{body.objective.goal} {body.objective.metric}\n")
        self.wake()
        return self.get(job.id)

    # ---- read ----------------------------------------------------------------------------------

    def _parent(self, sweep_id: str) -> JobRow:
        row = self.jobs.row(sweep_id)
        if row.kind != KIND:
            raise NotFound(f"job {sweep_id} is a {row.kind} job, not a sweep")
        return row

    def get(self, sweep_id: str) -> Sweep:
        row = self._parent(sweep_id)
        spec = SweepCreate.model_validate(row.spec)
        with self.store.session() as s:
            counts = dict(s.execute(select(SweepTrialRow.state, func.count()).where(SweepTrialRow.sweep_id == sweep_id).group_by(SweepTrialRow.state)).all())
            order = SweepTrialRow.value.desc() if spec.objective.goal == "maximize" else SweepTrialRow.value.asc()
            best = s.scalars(
                select(SweepTrialRow).where(SweepTrialRow.sweep_id == sweep_id, SweepTrialRow.state == "completed", SweepTrialRow.value.is_not(None))
                .order_by(order, SweepTrialRow.number).limit(1)
            ).first()
            if best is not None:
                s.expunge(best)
        best_view = self._views([best])[0] if best is not None else None
        return Sweep(id=row.id, job=to_job(row), spec=spec, counts=counts, best_trial=best_view)

    def list(self, limit: int = 50, cursor: str | None = None) -> SweepPage:
        page = self.jobs.list(kind=KIND, limit=limit, cursor=cursor)
        return SweepPage(items=[self.get(j.id) for j in page.items], next_cursor=page.next_cursor)

    def trials(self, sweep_id: str, metrics: bool = True) -> SweepTrialPage:
        """Every trial by number, with the latest value of each metric it logged."""
        row = self._parent(sweep_id)
        with self.store.session() as s:
            rows = list(s.scalars(select(SweepTrialRow).where(SweepTrialRow.sweep_id == sweep_id).order_by(SweepTrialRow.number)))
            s.expunge_all()
        latest = self._child_metrics(row) if metrics else {}
        return SweepTrialPage(items=self._views(rows, latest))

    def _child_metrics(self, parent: JobRow) -> dict[str, dict[str, float]]:
        if not parent.run_id or not parent.experiment_id:
            return {}
        out: dict[str, dict[str, float]] = {}
        token = None
        while True:
            page = self.jobs.experiments.client.search_runs(
                [parent.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.run_id}'", max_results=5000, page_token=token
            )
            for run in page:
                out[run.info.run_id] = dict(run.data.metrics)
            token = page.token
            if not token:
                return out

    def _views(self, rows: list[SweepTrialRow], latest: dict[str, dict[str, float]] | None = None) -> list[SweepTrial]:
        ids = [r.job_id for r in rows if r.job_id]
        jobs: dict[str, JobRow] = {}
        if ids:
            with self.store.session() as s:
                for i in range(0, len(ids), 500):
                    for j in s.scalars(select(JobRow).where(JobRow.id.in_(ids[i:i + 500]))):
                        jobs[j.id] = j
                s.expunge_all()
        out = []
        for r in rows:
            job = jobs.get(r.job_id) if r.job_id else None
            started = as_utc(job.started_at) if job else None
            ended = as_utc(job.ended_at) if job else None
            out.append(
                SweepTrial(
                    number=r.number, job_id=r.job_id, status=job.status if job else "Queued", state=r.state, params=r.params,
                    value=r.value, last_step=r.last_step, reason=r.reason or (job.error if job and r.state in ("failed", "canceled") else None),
                    run_id=job.run_id if job else None,
                    metrics=(latest or {}).get(job.run_id, {}) if job else {},
                    created_at=as_utc(r.created_at), ended_at=as_utc(r.ended_at),
                    duration_s=((ended or as_utc(utcnow())) - started).total_seconds() if started else None,
                )
            )
        return out

    def trial(self, sweep_id: str, number: int) -> SweepTrial:
        self._parent(sweep_id)
        row = self.store.get_or_404(SweepTrialRow, (sweep_id, number), f"sweep {sweep_id} has no trial {number}")
        return self._views([row])[0]

    def cancel(self, sweep_id: str) -> Sweep:
        """Cancel the sweep: its running trials are canceled, then the sweep ends Canceled."""
        self._parent(sweep_id)
        self.jobs.cancel(sweep_id)
        self.wake()
        return self.get(sweep_id)


# ---- trial specs -----------------------------------------------------------------------------


def placeholders(value: Any) -> list[str]:
    """Names used as ``${{search_space.NAME}}`` anywhere in a trial spec."""
    if isinstance(value, str):
        return PLACEHOLDER.findall(value)
    if isinstance(value, dict):
        return [n for v in value.values() for n in placeholders(v)]
    if isinstance(value, list):
        return [n for v in value for n in placeholders(v)]
    return []


def _substitute(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value.strip())
        if whole and not value.startswith(" ") and whole.group(1) in params:
            return params[whole.group(1)]  # a bare placeholder keeps the value's type
        return PLACEHOLDER.sub(lambda m: _text(params.get(m.group(1), m.group(0))), value)
    if isinstance(value, dict):
        return {k: _substitute(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    return value


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def trial_spec(body: SweepCreate, params: dict[str, Any], number: int | None = None, sweep_name: str = ""):
    """The job spec of one trial: placeholders replaced; notebook and code trials also get the
    sampled values as parameters (values the trial spec sets itself win)."""
    data = _substitute(dict(body.trial), params)
    if data.get("kind") in ("notebook", "code"):
        data["parameters"] = {**params, **(data.get("parameters") or {})}
    if body.limits.trial_timeout_s and not data.get("timeout_s"):
        data["timeout_s"] = body.limits.trial_timeout_s
    data["target"], data["experiment"] = body.target, body.experiment
    if number is not None and not data.get("display_name"):
        data["display_name"] = f"{sweep_name} trial {number}"
    if data.get("kind") == "command" and not isinstance(data.get("command"), str):
        raise InvalidRequest("trial.command must be a string")
    try:
        return JOB_SPEC.validate_python(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            if len(loc) > 1 and loc[0] == data.get("kind"):
                loc = loc[1:]
            problems.append(f"trial.{'.'.join(loc)}: {err['msg']}")
        raise InvalidRequest("; ".join(problems)) from None
