"""The job controller: one loop that moves jobs through their lifecycle.

Queued -> Preparing -> Running -> Finalizing -> Completed | Failed | Canceled. Every transition
is a row update first and an action second, so after a crash the rows say what to do next.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from ..compute import ComputeBackend, LaunchSpec, Observation
from ..environments.usage import job_launch
from ..errors import MLServiceError
from ..experiments import ExperimentService
from ..reconciler import Reconciler
from ..store import Store
from ..targets.tables import TargetRow
from ..timeutil import as_utc, utcnow
from . import launch
from .children import run_by_job_controller
from .schemas import ACTIVE_STATUSES, JobStatus
from .tables import JobRow

log = logging.getLogger("jupyter_mlservice.jobs")

DISPATCH_BATCH = 200


@dataclass
class Active:
    """What the controller keeps in memory about a launched attempt."""

    job_id: str
    backend: ComputeBackend
    handle: dict[str, Any]
    timeout_s: float | None
    running: bool = False
    started_mono: float = field(default_factory=time.monotonic)
    cancel_sent: bool = False
    timed_out: bool = False
    cancel_first_mono: float = 0.0
    cancel_last_mono: float = 0.0


class JobController(Reconciler):
    name = "mlservice-jobs"
    stop_timeout = 10.0
    #: a cancel the backend has not confirmed (the attempt still runs) is sent again this often...
    cancel_resend_s: float = 10.0
    #: ...and after this long the job ends without the confirmation (its error says so)
    cancel_timeout_s: float = 300.0

    def __init__(
        self,
        store: Store,
        backends: dict[str, ComputeBackend],
        experiments: ExperimentService,
        jobs_dir: Path,
        root_dir: Path,
        job_env: Callable[[JobRow], dict[str, str]],
        on_change: Callable[[JobRow], None] = lambda row: None,
        poll_interval: float = 0.5,
    ):
        self.store = store
        self.backends = backends
        self.experiments = experiments
        self.jobs_dir = jobs_dir
        self.root_dir = root_dir
        self.job_env = job_env
        self.on_change = on_change
        super().__init__(interval=poll_interval)
        self._active: dict[str, Active] = {}
        # Areas that give a job more than its spec add steps here (data inputs/outputs): a
        # prepare hook adjusts the LaunchSpec or raises to fail the job before it starts; a
        # finalize hook may turn a completed outcome into a failed one (e.g. a missing output).
        self.prepare_hooks: list[Callable[[JobRow, TargetRow, LaunchSpec], None]] = []
        self.finalize_hooks: list[Callable[[JobRow, dict[str, Any]], dict[str, Any]]] = []
        self._finalizer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlservice-finalize")
        self.environments = None  # EnvironmentService, set by the workspace

    # ---- lifecycle: stopping only stops watching; running jobs are re-attached by the next server

    def on_start(self) -> None:
        self.recover()

    def on_stop(self) -> None:
        self._finalizer.shutdown(wait=True)

    # ---- restart -----------------------------------------------------------------------------

    def recover(self) -> None:
        """Re-attach to jobs a previous server process left running; settle the rest."""
        with self.store.session() as s:
            rows = list(s.scalars(select(JobRow).where(JobRow.status.in_([st.value for st in ACTIVE_STATUSES]), run_by_job_controller())))
            targets = {t.name: t for t in s.scalars(select(TargetRow))}
            s.expunge_all()
        for row in rows:
            target = targets.get(row.target)
            backend = self.backends.get(target.type) if target else None
            handle = (row.backend_state or {}).get("handle")
            outcome = (row.backend_state or {}).get("outcome")
            if backend is None:
                self._finish_now(row, "Failed", None, f"the server restarted and target {row.target!r} is no longer available")
                continue
            if outcome:  # died while finalizing: finish what was decided
                self._finalizer.submit(self._finalize, row.id, backend, handle or {}, outcome)
                continue
            if not handle:  # never started: back to the queue
                if row.status == JobStatus.CANCEL_REQUESTED.value:
                    self._finish_now(row, "Canceled", None, "canceled before it started")
                else:
                    self._set(row.id, status=JobStatus.QUEUED.value)
                    self._append_log(row.id, "mlservice: the server restarted before this job started; it is queued again\n")
                continue
            obs = backend.observe(handle)
            if obs.state in ("running", "pending"):
                active = Active(row.id, backend, handle, row.timeout_s, running=obs.state == "running")
                if row.started_at is not None and row.timeout_s:
                    elapsed = (utcnow() - row.started_at).total_seconds()
                    active.started_mono = time.monotonic() - elapsed
                self._active[row.id] = active
                self._append_log(row.id, "mlservice: re-attached to this job after a server restart\n")
                log.info("re-attached to job %s", row.id)
            else:
                if obs.state == "lost":
                    obs = Observation("lost", reason=f"the server restarted and the job's process had died ({obs.reason})")
                self._finalizer.submit(self._finalize, row.id, backend, handle, self._outcome(row.id, obs, None))

    # ---- the loop ------------------------------------------------------------------------------

    def tick(self) -> None:
        self._observe_active()
        self._handle_cancels_and_timeouts()
        self._dispatch()

    def _observe_active(self) -> None:
        for job_id, active in list(self._active.items()):
            try:
                obs = active.backend.observe(active.handle)
            except Exception as exc:
                log.warning("cannot observe job %s: %s", job_id, exc)
                continue
            if obs.state == "running" and not active.running:
                self._mark_running(job_id)
            elif obs.state in ("exited", "lost"):
                self._end(active, self._outcome(job_id, obs, active))

    def _end(self, active: Active, outcome: dict[str, Any]) -> None:
        """The attempt is over: record the outcome (Finalizing), then finish it off the loop."""
        del self._active[active.job_id]
        state = {**self._state(active.job_id), "handle": active.handle, "outcome": outcome}
        self._set(active.job_id, status=JobStatus.FINALIZING.value, backend_state=state,
                  only_if=[JobStatus.PREPARING.value, JobStatus.RUNNING.value, JobStatus.CANCEL_REQUESTED.value])
        self._finalizer.submit(self._finalize, active.job_id, active.backend, active.handle, outcome)

    def _handle_cancels_and_timeouts(self) -> None:
        if not self._active:
            return
        with self.store.session() as s:
            wanted = set(
                s.scalars(select(JobRow.id).where(JobRow.status == JobStatus.CANCEL_REQUESTED.value, JobRow.id.in_(list(self._active))))
            )
            timeouts = dict(s.execute(select(JobRow.id, JobRow.timeout_s).where(JobRow.id.in_(list(self._active)))).all())
        now = time.monotonic()
        for job_id, active in list(self._active.items()):
            active.timeout_s = timeouts.get(job_id, active.timeout_s)
            if active.cancel_sent:
                self._unconfirmed_cancel(active, now)
            elif job_id in wanted:
                self._cancel(active, now)
            elif active.timeout_s and active.running and now - active.started_mono > active.timeout_s:
                active.timed_out = True
                self._append_log(job_id, f"\nmlservice: timed out after {active.timeout_s:g} s; stopping the job\n")
                self._cancel(active, now)

    def _cancel(self, active: Active, now: float) -> None:
        if not active.cancel_sent:
            active.cancel_sent, active.cancel_first_mono = True, now
        active.cancel_last_mono = now
        try:
            active.backend.cancel(active.handle)
        except Exception:
            log.exception("cancel of job %s failed; it is sent again", active.job_id)

    def _unconfirmed_cancel(self, active: Active, now: float) -> None:
        """The attempt still runs after a cancel: send it again; in the end, stop waiting for it."""
        waited = now - active.cancel_first_mono
        if waited > self.cancel_timeout_s:
            why = f"the compute target did not confirm the cancel within {self.cancel_timeout_s:g} s; its process may still run"
            log.warning("job %s: %s", active.job_id, why)
            self._append_log(active.job_id, f"\nmlservice: {why}\n")
            outcome = self._outcome(active.job_id, Observation("lost", reason=why), active)
            outcome["error"] = f"{outcome['error']}; {why}"
            self._end(active, outcome)
        elif now - active.cancel_last_mono > self.cancel_resend_s:
            self._cancel(active, now)

    def _dispatch(self) -> None:
        with self.store.session() as s:
            queued = list(
                s.scalars(
                    select(JobRow)
                    .where(JobRow.status == JobStatus.QUEUED.value, run_by_job_controller())
                    .order_by(JobRow.created_at, JobRow.id)
                    .limit(DISPATCH_BATCH)
                )
            )
            if not queued:
                return
            targets = {t.name: t for t in s.scalars(select(TargetRow))}
            busy = dict(
                s.execute(
                    select(JobRow.target, func.count())
                    .where(JobRow.status.in_([st.value for st in ACTIVE_STATUSES]), run_by_job_controller())
                    .group_by(JobRow.target)
                ).all()
            )
            s.expunge_all()
        for row in queued:
            target = targets.get(row.target)
            backend = self.backends.get(target.type) if target else None
            if backend is None:
                self._finish_now(row, "Failed", None, f"target {row.target!r} no longer exists", only_if=[JobStatus.QUEUED.value])
                continue
            capacity = backend.capacity(target.settings)
            if capacity is not None and busy.get(row.target, 0) >= capacity:
                continue  # FIFO per target: later jobs of this target wait too
            if not self._claim(row.id):
                continue
            busy[row.target] = busy.get(row.target, 0) + 1
            self._launch(row, target, backend)

    def _claim(self, job_id: str) -> bool:
        return self._set(job_id, status=JobStatus.PREPARING.value, only_if=[JobStatus.QUEUED.value])

    def _launch(self, row: JobRow, target: TargetRow, backend: ComputeBackend) -> None:
        job_dir = self.jobs_dir / row.id
        paths = launch.job_paths(job_dir)
        if row.attempt > 1:
            self._append_log(row.id, f"\nmlservice: attempt {row.attempt} of {row.max_retries + 1}\n")
        argv, env = job_launch(self.environments, row.kind, row.spec, launch.argv_for(row.kind, row.spec, job_dir),
                               {**self.job_env(row), **(row.spec.get("environment_variables") or {})},
                               shipped=backend.ships_environments)
        spec = LaunchSpec(
            job_id=row.id,
            attempt=row.attempt,
            argv=argv,
            cwd=launch.working_dir(row.kind, row.spec, job_dir, self.root_dir),
            env=env,
            log_path=paths["log"],
            job_dir=job_dir,
            resources=row.spec.get("resources") or {},
            instance_count=int(row.spec.get("instance_count") or 1),
        )
        try:
            for hook in self.prepare_hooks:
                hook(row, target, spec)
        except Exception as exc:
            self._refuse(row, exc)
            return
        try:
            handle = backend.launch(row.target, target.settings, spec)
        except Exception as exc:
            log.exception("launch of job %s failed", row.id)
            outcome = self._outcome(row.id, Observation("lost", reason=f"could not start the job: {exc}"), None)
            self._finalizer.submit(self._finalize, row.id, backend, {}, outcome)
            return
        self._active[row.id] = Active(row.id, backend, handle, row.timeout_s)
        # The handle is stored before anything else so a restart finds the process.
        self._set(row.id, backend_state={"handle": handle, "attempt_started_at": as_utc(utcnow()).isoformat()})
        if backend.observe(handle).state != "pending":
            self._mark_running(row.id)
        self.wake()

    def _refuse(self, row: JobRow, exc: Exception) -> None:
        """A prepare hook found the job cannot start as asked: it fails now, saying why."""
        reason = getattr(exc, "message", None) or f"preparing the job failed: {exc}"
        if not isinstance(exc, MLServiceError):
            log.exception("preparing job %s failed", row.id)
        self._append_log(row.id, f"mlservice: {reason}\n")
        self._finish_now(row, "Failed", None, reason)
        self.wake()

    def _mark_running(self, job_id: str) -> None:
        self._active[job_id].running = True
        self._active[job_id].started_mono = time.monotonic()
        with self.store.session() as s:
            first_start = s.scalar(select(JobRow.started_at).where(JobRow.id == job_id))
        self._set(job_id, status=JobStatus.RUNNING.value, started_at=first_start or utcnow(), only_if=[JobStatus.PREPARING.value])

    # ---- ending ------------------------------------------------------------------------------

    def _outcome(self, job_id: str, obs: Observation, active: Active | None) -> dict[str, Any]:
        row = self._row(job_id)
        if row is not None and row.status == JobStatus.CANCEL_REQUESTED.value:
            return {"status": "Canceled", "exit_code": obs.exit_code, "error": "canceled by the user"}
        if active is not None and active.timed_out:
            return {"status": "Failed", "exit_code": obs.exit_code, "error": f"timed out after {active.timeout_s:g} s (timeout_s)"}
        if obs.state == "exited" and obs.exit_code == 0:
            return {"status": "Completed", "exit_code": 0, "error": None}
        if obs.state == "exited":
            reason = obs.reason or f"the job's process exited with code {obs.exit_code}"
            if obs.exit_code is not None and obs.exit_code > 128:
                reason += f" (killed by signal {obs.exit_code - 128})"
            return {"status": "Failed", "exit_code": obs.exit_code, "error": reason}
        return {"status": "Failed", "exit_code": obs.exit_code, "error": obs.reason or "the job's process disappeared"}

    def _finalize(self, job_id: str, backend: ComputeBackend, handle: dict[str, Any], outcome: dict[str, Any]) -> None:
        try:
            self._finalize_inner(job_id, backend, handle, outcome)
        except Exception:
            log.exception("finalizing job %s failed", job_id)
            row = self._row(job_id)
            if row is not None:
                self._finish_now(row, "Failed", outcome.get("exit_code"), "finalizing the job failed; see the server log")

    def _finalize_inner(self, job_id: str, backend: ComputeBackend, handle: dict[str, Any], outcome: dict[str, Any]) -> None:
        row = self._row(job_id)
        if row is None:
            return
        if row.status != JobStatus.FINALIZING.value:
            self._set(job_id, status=JobStatus.FINALIZING.value, backend_state={**(row.backend_state or {}), "handle": handle, "outcome": outcome})
            row = self._row(job_id)
        self.on_change(row)
        paths = launch.job_paths(self.jobs_dir / job_id)
        if row.run_id:
            try:
                self.experiments.log_outputs(row.run_id, paths["outputs"])
                self.experiments.client.log_artifact(row.run_id, str(paths["log"]), "logs")
            except Exception as exc:
                log.warning("could not upload outputs of job %s: %s", job_id, exc)
        now = utcnow()
        record = {
            "attempt": row.attempt,
            "exit_code": outcome.get("exit_code"),
            "error": outcome.get("error"),
            "started_at": (row.backend_state or {}).get("attempt_started_at"),
            "ended_at": as_utc(now).isoformat(),
        }
        backend.release(handle)
        for hook in self.finalize_hooks:
            outcome = hook(row, outcome)
        if outcome["status"] == "Failed" and row.attempt <= row.max_retries:
            self._append_log(job_id, f"\nmlservice: attempt {row.attempt} failed ({outcome['error']}); retrying\n")
            self._set(
                job_id,
                status=JobStatus.QUEUED.value,
                attempt=row.attempt + 1,
                attempts=[*(row.attempts or []), record],
                backend_state={},
            )
            self.wake()
            return
        if row.run_id:
            self.experiments.end_run(row.run_id, {"Completed": "FINISHED", "Failed": "FAILED", "Canceled": "KILLED"}[outcome["status"]])
        self._set(
            job_id,
            status=outcome["status"],
            exit_code=outcome.get("exit_code"),
            error=outcome.get("error"),
            ended_at=now,
            attempts=[*(row.attempts or []), record],
            backend_state={"handle": handle},
        )
        self.wake()  # a slot is free

    def _finish_now(self, row: JobRow, status: str, exit_code: int | None, error: str, only_if: list[str] | None = None) -> None:
        """End a job that has no process to wait for."""
        if row.run_id:
            try:
                self.experiments.end_run(row.run_id, {"Completed": "FINISHED", "Failed": "FAILED", "Canceled": "KILLED"}[status])
            except Exception:
                log.warning("could not end MLflow run of job %s", row.id)
        self._set(row.id, status=status, exit_code=exit_code, error=error, ended_at=utcnow(), only_if=only_if)

    # ---- row helpers -------------------------------------------------------------------------

    def _state(self, job_id: str) -> dict[str, Any]:
        row = self._row(job_id)
        return dict(row.backend_state or {}) if row else {}

    def _row(self, job_id: str) -> JobRow | None:
        with self.store.session() as s:
            row = s.get(JobRow, job_id)
            if row is not None:
                s.expunge(row)
            return row

    def _set(self, job_id: str, only_if: list[str] | None = None, **values: Any) -> bool:
        values["updated_at"] = utcnow()
        with self.store.session() as s:
            q = update(JobRow).where(JobRow.id == job_id)
            if only_if:
                q = q.where(JobRow.status.in_(only_if))
            changed = s.execute(q.values(**values)).rowcount == 1
        if changed and "status" in values:
            row = self._row(job_id)
            if row is not None:
                self.on_change(row)
        return changed

    def _append_log(self, job_id: str, text: str) -> None:
        path = launch.job_paths(self.jobs_dir / job_id)["log"]
        try:
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
        except OSError:
            pass
