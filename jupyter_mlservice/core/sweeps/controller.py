"""The sweep controller: drives each live sweep from its rows, one tick at a time.

Per tick and sweep: settle trials whose job ended (tell Optuna), feed running trials' new
intermediate values of the objective (read from their MLflow runs) to the early-termination
policy and cancel the ones it stops, then sample and submit trials up to the limits, and end the
sweep when nothing is left to run.

Restart safety: a trial row is written (state ``pending``) before its job is submitted, and the
job carries the trial number as a tag, so a restarted controller adopts a job submitted just
before a crash instead of submitting it again; a point Optuna handed out whose row was never
written is adopted from the study. Nothing is kept only in memory.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from sqlalchemy import func, select, update

from ..jobs.children import LIVE, TERMINAL, ParentJobs
from ..events import EventBus
from ..reconciler import Reconciler
from ..jobs.schemas import JobStatus
from ..jobs.tables import JobRow
from ..timeutil import utcnow
from .engine import Progress, SweepEngine, open_storage
from .schemas import LIVE_TRIAL_STATES, SweepCreate
from .service import KIND, TAG_TRIAL, SweepService, _text, trial_spec
from .tables import SweepTrialRow

log = logging.getLogger("jupyter_mlservice.sweeps")

LIVE_TRIAL = list(LIVE_TRIAL_STATES)
# A sweep whose first trials all fail is broken (a typo in the command...): stop it after these.
FAILURES_BEFORE_GIVING_UP = 3


class SweepController(Reconciler):
    name = "mlservice-sweeps"
    interval = 1.0

    def __init__(self, service: SweepService, workspace_dir, database_url: str, interval: float | None = None, events: EventBus | None = None):
        super().__init__(interval=interval)
        self.events = events or EventBus()
        self.service = service
        self.store = service.store
        self.jobs = service.jobs
        self.parents: ParentJobs = service.parents
        self.workspace_dir = workspace_dir
        self.database_url = database_url
        self._engines: dict[str, SweepEngine] = {}

    def job_changed(self, row: JobRow) -> None:
        """Job listener: a sweep or one of its trials changed."""
        if row.kind == KIND or (row.parent_id and TAG_TRIAL in (row.tags or {})):
            self.wake()

    # ---- the loop ------------------------------------------------------------------------------

    def tick(self) -> None:
        live = self.parents.parents(KIND, LIVE)
        for parent in live:
            try:
                self.drive(parent)
            except Exception:
                log.exception("sweep %s: tick failed; the next tick retries", parent.id)
        for gone in set(self._engines) - {p.id for p in live}:
            self._engines.pop(gone, None)

    def engine(self, parent: JobRow, spec: SweepCreate) -> SweepEngine:
        engine = self._engines.get(parent.id)
        if engine is None:
            storage = open_storage(self.workspace_dir, self.database_url, parent.id)
            engine = SweepEngine(spec, storage, study_name=f"sweep-{parent.id}")
            self._adopt_orphans(parent.id, engine)
            self._engines[parent.id] = engine
        return engine

    def drive(self, parent: JobRow) -> None:
        if parent.status == JobStatus.CANCEL_REQUESTED.value:
            self._close_trials(parent.id, "canceled", "canceled with the sweep")
            if self.parents.settle_cancel(parent.id):
                self.parents.log(parent.id, "mlservice: sweep canceled\n")
            return
        spec = SweepCreate.model_validate(parent.spec)
        if parent.status == JobStatus.QUEUED.value:
            self.parents.set_status(parent.id, JobStatus.RUNNING.value, only_if=[JobStatus.QUEUED.value])
            parent = self.jobs.row(parent.id)
        engine = self.engine(parent, spec)

        rows = self._rows(parent.id, LIVE_TRIAL)
        jobs = self._jobs([r.job_id for r in rows if r.job_id])
        for row in rows:
            job = jobs.get(row.job_id) if row.job_id else None
            if row.state == "pending":
                self._submit(parent, spec, engine, row)
            elif job is not None and job.status in TERMINAL:
                if self._settle(parent, spec, engine, row, job) == "stop":
                    return
            elif job is not None and job.status == JobStatus.RUNNING.value and row.state == "running":
                self._observe(parent, spec, engine, row, job)

        counts = self._counts(parent.id)
        live = sum(counts.get(s, 0) for s in LIVE_TRIAL)
        total = sum(counts.values())
        done = counts.get("completed", 0)
        if counts.get("failed", 0) >= FAILURES_BEFORE_GIVING_UP and done == 0:
            last = self._last_failure(parent.id)
            self._end(parent, JobStatus.FAILED.value, f"the first {counts['failed']} trials failed; the last one: {last}")
            return
        if parent.timeout_s and parent.started_at and (utcnow() - parent.started_at).total_seconds() > parent.timeout_s:
            self._close_trials(parent.id, "canceled", f"the sweep's timeout_s ({parent.timeout_s:g} s) ran out")
            self._end_when_done(parent, done, f"the sweep's timeout_s ({parent.timeout_s:g} s) ran out")
            return
        while live < spec.limits.max_concurrent_trials and total < spec.limits.max_trials and not self.stopping:
            number, trial_id, params = engine.ask()
            row = self._insert(parent.id, number, trial_id, params)
            self._submit(parent, spec, engine, row)
            live, total = live + 1, total + 1
        if live == 0 and total >= spec.limits.max_trials:
            self._end_when_done(parent, done, None)

    # ---- trials --------------------------------------------------------------------------------

    def _submit(self, parent: JobRow, spec: SweepCreate, engine: SweepEngine, row: SweepTrialRow) -> None:
        """Submit the trial's job, or adopt the one a previous process submitted for it."""
        from ...core.errors import MLServiceError

        existing = self.parents.find_child(parent.id, TAG_TRIAL, str(row.number))
        if existing is None:
            # every trial runs the code as it was when the sweep was submitted: the sweep's snapshot
            snapshot = self.jobs.job_dir(parent.id) / "snapshot"
            snapshot = snapshot if spec.trial.get("code") and snapshot.is_dir() else None
            try:
                job_spec = trial_spec(spec, row.params, row.number, parent.display_name)
                job = self.parents.submit_child(parent.id, job_spec, tags={TAG_TRIAL: str(row.number)}, code_snapshot=snapshot)
            except MLServiceError as exc:
                engine.tell(row.optuna_trial_id, "fail")
                self._update(parent.id, row.number, state="failed", reason=f"could not submit the trial: {exc.message}", ended_at=utcnow())
                self.parents.log(parent.id, f"mlservice: trial {row.number} could not be submitted: {exc.message}\n")
                return
            job_id = job.id
            try:
                from mlflow.entities import Param

                self.jobs.experiments.client.log_batch(job.run_id, params=[Param(k, _text(v)) for k, v in row.params.items()])
            except Exception as exc:  # the trial logged them itself meanwhile
                log.debug("params of trial %s: %s", job_id, exc)
        else:
            job_id = existing
        self._update(parent.id, row.number, state="running", job_id=job_id)
        shown = ", ".join(f"{k}={_text(v)}" for k, v in row.params.items())
        self.parents.log(parent.id, f"mlservice: trial {row.number} ({job_id}): {shown}\n")

    def _points(self, job: JobRow, metric: str) -> list[tuple[int, float]]:
        """The objective's (step, value) points, by step; the latest value of a repeated step."""
        if not job.run_id:
            return []
        history = self.jobs.experiments.client.get_metric_history(job.run_id, metric)
        by_step: dict[int, tuple[int, float]] = {}
        for m in history:
            if m.step not in by_step or m.timestamp >= by_step[m.step][0]:
                by_step[m.step] = (m.timestamp, m.value)
        return [(step, by_step[step][1]) for step in sorted(by_step)]

    def _observe(self, parent: JobRow, spec: SweepCreate, engine: SweepEngine, row: SweepTrialRow, job: JobRow) -> None:
        points = [p for p in self._points(job, spec.objective.metric) if row.last_step is None or p[0] > row.last_step]
        if not points:
            return
        progress = Progress(row.last_step, row.smoothed, row.bad_evaluations)
        reason = engine.report(row.optuna_trial_id, points, progress)
        values: dict[str, Any] = {"last_step": progress.last_step, "smoothed": progress.smoothed, "bad_evaluations": progress.bad_evaluations}
        if reason:
            values.update(state="pruning", reason=reason)
        self._update(parent.id, row.number, **values)
        if reason:
            self.parents.log(job.id, f"\nmlservice: stopped early by the sweep: {reason}\n")
            self.parents.log(parent.id, f"mlservice: trial {row.number} pruned: {reason}\n")
            try:
                self.jobs.cancel(job.id)
            except Exception as exc:  # ended meanwhile: settled next tick
                log.debug("cancel of pruned trial %s: %s", job.id, exc)

    def _settle(self, parent: JobRow, spec: SweepCreate, engine: SweepEngine, row: SweepTrialRow, job: JobRow) -> str | None:
        metric = spec.objective.metric
        points = self._points(job, metric)
        # Record the steps the trial logged since the last tick: later trials are judged against them.
        progress = Progress(row.last_step, row.smoothed, row.bad_evaluations)
        engine.report(row.optuna_trial_id, [p for p in points if row.last_step is None or p[0] > row.last_step], progress, judge=False)
        now = utcnow()
        common = {"last_step": progress.last_step, "smoothed": progress.smoothed, "ended_at": now}
        if job.status == JobStatus.COMPLETED.value:
            if not points:
                if self._counts(parent.id).get("completed", 0) == 0:
                    logged = sorted(self._logged_metrics(job))
                    message = (
                        f"trial {row.number} ({job.id}) completed without logging the objective metric {metric!r}; it logged "
                        f"{', '.join(repr(m) for m in logged) if logged else 'no metrics'}. Log it with "
                        f"mlflow.log_metric({metric!r}, value, step=...) or set objective.metric to one of those"
                    )
                    engine.tell(row.optuna_trial_id, "fail")
                    self._update(parent.id, row.number, state="failed", reason=message, **common)
                    self._end(parent, JobStatus.FAILED.value, message)
                    return "stop"
                engine.tell(row.optuna_trial_id, "fail")
                self._update(parent.id, row.number, state="failed", reason=f"the trial did not log {metric!r}", **common)
                return None
            value = points[-1][1]
            engine.tell(row.optuna_trial_id, "complete", value)
            best = self._best_value(parent.id, spec)
            self._update(parent.id, row.number, state="completed", value=value, **common)
            improved = best is None or (value > best if spec.objective.goal == "maximize" else value < best)
            self.parents.log(parent.id, f"mlservice: trial {row.number} completed: {metric}={value:.6g}{' (best so far)' if improved else ''}\n")
            if improved and math.isfinite(value):
                self._log_best(parent, metric, value, row.number)
        elif job.status == JobStatus.CANCELED.value and row.state == "pruning":
            engine.tell(row.optuna_trial_id, "pruned")
            self._update(parent.id, row.number, state="pruned", **common)
            with self.store.session() as s:  # the trial's job shows why it stopped
                s.execute(update(JobRow).where(JobRow.id == job.id).values(error=f"pruned by the sweep: {row.reason}"))
            if job.run_id:
                self.jobs.experiments.set_tags(job.run_id, {"mlservice.pruned": row.reason or ""})
        elif job.status == JobStatus.CANCELED.value:
            engine.tell(row.optuna_trial_id, "fail")
            self._update(parent.id, row.number, state="canceled", reason=row.reason or job.error, **common)
        else:
            engine.tell(row.optuna_trial_id, "fail")
            self._update(parent.id, row.number, state="failed", reason=job.error, **common)
            self.parents.log(parent.id, f"mlservice: trial {row.number} failed: {job.error}\n")
        return None

    def _logged_metrics(self, job: JobRow) -> list[str]:
        try:
            return list(self.jobs.experiments.client.get_run(job.run_id).data.metrics)
        except Exception:
            return []

    def _log_best(self, parent: JobRow, metric: str, value: float, number: int) -> None:
        if not parent.run_id:
            return
        try:
            done = self._counts(parent.id).get("completed", 0)
            self.jobs.experiments.client.log_metric(parent.run_id, f"best_{metric}", value, step=done)
            self.jobs.experiments.set_tags(parent.run_id, {"mlservice.best_trial": str(number)})
        except Exception as exc:
            log.warning("sweep %s: could not log the best value: %s", parent.id, exc)

    # ---- ending --------------------------------------------------------------------------------

    def _close_trials(self, sweep_id: str, state: str, reason: str) -> None:
        """Stop every live trial (their jobs are canceled); rows are final at once."""
        engine = self._engines.get(sweep_id)
        for row in self._rows(sweep_id, LIVE_TRIAL):
            if engine is not None:
                engine.tell(row.optuna_trial_id, "fail")
            self._update(sweep_id, row.number, state=state, reason=row.reason if row.state == "pruning" else reason, ended_at=utcnow())
        self.parents.cancel_children(sweep_id, reason)

    def _end_when_done(self, parent: JobRow, completed: int, note: str | None) -> None:
        if completed:
            self._end(parent, JobStatus.COMPLETED.value, None, note)
        else:
            self._end(parent, JobStatus.FAILED.value, f"no trial completed{'; ' + note if note else ''}: {self._last_failure(parent.id)}")

    def _end(self, parent: JobRow, status: str, error: str | None, note: str | None = None) -> None:
        if status != JobStatus.COMPLETED.value:
            self._close_trials(parent.id, "canceled", f"the sweep {status.lower()}")
        self.parents.log(parent.id, f"mlservice: sweep {status.lower()}{': ' + (error or note) if (error or note) else ''}\n")
        self.parents.set_status(parent.id, status, error)
        self._engines.pop(parent.id, None)

    def _last_failure(self, sweep_id: str) -> str:
        with self.store.session() as s:
            reason = s.scalar(
                select(SweepTrialRow.reason).where(SweepTrialRow.sweep_id == sweep_id, SweepTrialRow.state == "failed")
                .order_by(SweepTrialRow.ended_at.desc()).limit(1)
            )
        return reason or "no trial ran"

    # ---- restart -------------------------------------------------------------------------------

    def _adopt_orphans(self, sweep_id: str, engine: SweepEngine) -> None:
        """Points Optuna handed out whose row a crash kept from being written."""
        with self.store.session() as s:
            known = set(s.scalars(select(SweepTrialRow.number).where(SweepTrialRow.sweep_id == sweep_id)))
        for number, trial_id, params in engine.running():
            if number not in known:
                self._insert(sweep_id, number, trial_id, params)
                log.info("sweep %s: adopted trial %s sampled before a restart", sweep_id, number)

    # ---- rows ----------------------------------------------------------------------------------

    def _rows(self, sweep_id: str, states: list[str]) -> list[SweepTrialRow]:
        with self.store.session() as s:
            rows = list(s.scalars(select(SweepTrialRow).where(SweepTrialRow.sweep_id == sweep_id, SweepTrialRow.state.in_(states)).order_by(SweepTrialRow.number)))
            s.expunge_all()
        return rows

    def _jobs(self, ids: list[str]) -> dict[str, JobRow]:
        if not ids:
            return {}
        with self.store.session() as s:
            rows = {j.id: j for j in s.scalars(select(JobRow).where(JobRow.id.in_(ids)))}
            s.expunge_all()
        return rows

    def _counts(self, sweep_id: str) -> dict[str, int]:
        with self.store.session() as s:
            return dict(s.execute(select(SweepTrialRow.state, func.count()).where(SweepTrialRow.sweep_id == sweep_id).group_by(SweepTrialRow.state)).all())

    def _best_value(self, sweep_id: str, spec: SweepCreate) -> float | None:
        agg = func.max if spec.objective.goal == "maximize" else func.min
        with self.store.session() as s:
            return s.scalar(select(agg(SweepTrialRow.value)).where(SweepTrialRow.sweep_id == sweep_id, SweepTrialRow.state == "completed"))

    def _insert(self, sweep_id: str, number: int, trial_id: int, params: dict[str, Any]) -> SweepTrialRow:
        row = SweepTrialRow(sweep_id=sweep_id, number=number, optuna_trial_id=trial_id, params=params, state="pending", bad_evaluations=0, created_at=utcnow())
        with self.store.session() as s:
            s.add(row)
        self._changed(sweep_id, number, "pending")
        return row

    def _update(self, sweep_id: str, number: int, **values: Any) -> None:
        with self.store.session() as s:
            s.execute(update(SweepTrialRow).where(SweepTrialRow.sweep_id == sweep_id, SweepTrialRow.number == number).values(**values))
        if "state" in values:
            self._changed(sweep_id, number, values["state"], values.get("job_id"))

    def _changed(self, sweep_id: str, number: int, state: str, job_id: str | None = None) -> None:
        """A trial moved on (the row is written): a `sweep` event; the sweep's own status is a job event."""
        self.events.emit("sweep", {"sweep_id": sweep_id, "trial": number, "state": state, "job_id": job_id})

