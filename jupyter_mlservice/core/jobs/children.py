"""Parent jobs and their children: the one way a sweep, an AutoML run or a pipeline runs work.

Everything that runs is a job. Work made of several jobs is a *parent* job whose parts are
*child* jobs:

- The parent is a row in ``jobs`` with its own kind (``sweep``, ``automl``...), its MLflow run
  (the children's runs are nested under it: ``mlflow.parentRunId``), its log file and the usual
  lifecycle (Queued -> Running -> Completed | Failed | Canceled, CancelRequested while a cancel
  is in flight). It occupies no compute slot: the job controller never launches it (its kind is
  registered with :func:`register_parent_kind`), an *area controller* drives it.
- A child is an ordinary job (command, notebook, code...) with ``parent_id`` set, queued and run
  by the job controller on any target like any other job.
- The area controller is a :class:`~jupyter_mlservice.core.reconciler.Reconciler` that reads the
  parent and child rows each tick and acts (submit the next child, set the parent's status).
  Every decision is a row first, so a restarted server resumes from the rows.

Use :class:`ParentJobs` from an area controller::

    parents = ParentJobs(ws.jobs)
    register_parent_kind("sweep")
    parent = parents.create("sweep", spec_dict, target="local", experiment="iris")
    child = parents.submit_child(parent.id, CommandJobSpec(command="python train.py"), tags={...})
    parents.set_status(parent.id, "Running")
    parents.children(parent.id)            # child rows, oldest first
    parents.find_child(parent.id, "mlservice.sweep_trial", "3")   # restart: submitted already?
    parents.cancel_children(parent.id)     # what a cancel of the parent does
    parents.log(parent.id, "trial 3 pruned\\n")

Cancel of a parent: ``JobService.cancel`` marks it CancelRequested (or Canceled when still
queued); the area controller then calls :meth:`ParentJobs.settle_cancel`, which cancels every
child still queued or running and marks the parent Canceled once they have all ended.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, true, update

from .schemas import ACTIVE_STATUSES, TERMINAL_STATUSES, Job, JobStatus
from .tables import JobRow
from ..timeutil import utcnow

log = logging.getLogger("jupyter_mlservice.jobs")

#: Kinds of parent jobs: the job controller neither launches them nor counts them in a target's
#: slots. An area adds its kind at import time with register_parent_kind.
PARENT_KINDS: set[str] = set()

TAG_PARENT = "mlservice.parent_job_id"
MLFLOW_PARENT = "mlflow.parentRunId"
TERMINAL = [s.value for s in TERMINAL_STATUSES]
LIVE = [JobStatus.QUEUED.value, *(s.value for s in ACTIVE_STATUSES)]
_MLFLOW_END = {"Completed": "FINISHED", "Failed": "FAILED", "Canceled": "KILLED"}


def register_parent_kind(kind: str) -> None:
    """Declare a kind of parent job (driven by an area controller, never launched on a backend)."""
    PARENT_KINDS.add(kind)


def run_by_job_controller():
    """SQL condition: rows the job controller launches (every kind but the parent kinds)."""
    return JobRow.kind.not_in(sorted(PARENT_KINDS)) if PARENT_KINDS else true()


class ParentJobs:
    """Create parent jobs, submit their children, move the parent through its lifecycle."""

    def __init__(self, jobs):
        self.jobs = jobs  # the workspace's JobService
        self.store = jobs.store
        self.experiments = jobs.experiments

    # ---- create ------------------------------------------------------------------------------

    def create(
        self,
        kind: str,
        spec: dict[str, Any],
        *,
        target: str,
        experiment: str,
        display_name: str = "",
        tags: dict[str, str] | None = None,
        timeout_s: float | None = None,
        prepare: Callable[[Path], None] | None = None,
    ) -> Job:
        """A Queued parent job with its MLflow run and log file; its area controller starts it.

        ``prepare(job_dir)`` runs before the row exists (e.g. a code snapshot the children share),
        so the controller never sees a parent whose files are incomplete."""
        from .launch import job_paths
        from .service import _user, new_job_id, to_job

        if kind not in PARENT_KINDS:
            raise ValueError(f"{kind!r} is not a registered parent kind")
        job_id = new_job_id()
        job_dir = self.jobs.job_dir(job_id)
        job_paths(job_dir)["outputs"].mkdir(parents=True)
        job_paths(job_dir)["log"].touch()
        try:
            if prepare is not None:
                prepare(job_dir)
            experiment_id = self.experiments.ensure_experiment(experiment)
            run_tags = {
                **(tags or {}),
                "mlservice.job_id": job_id,
                "mlservice.target": target,
                "mlservice.job_kind": kind,
                "mlflow.user": _user(),
                "mlflow.source.type": "JOB",
                "mlflow.source.name": kind,
            }
            run_id = self.experiments.create_run(experiment_id, display_name or job_id, run_tags)
        except BaseException:
            shutil.rmtree(job_dir, ignore_errors=True)
            raise
        now = utcnow()
        row = JobRow(
            id=job_id, kind=kind, display_name=display_name or job_id, target=target, experiment=experiment,
            experiment_id=experiment_id, run_id=run_id, status=JobStatus.QUEUED.value, spec=spec, tags=dict(tags or {}),
            attempt=1, max_retries=0, timeout_s=timeout_s, git_commit=None, parent_id=None, backend_state={}, attempts=[],
            created_at=now, updated_at=now,
        )
        with self.store.session() as s:
            s.add(row)
        self.jobs.on_change(row)
        return to_job(row)

    def submit_child(self, parent_id: str, spec: Any, tags: dict[str, str] | None = None,
                     code_snapshot: Path | None = None) -> Job:
        """Queue a child job (any job spec); its MLflow run is nested under the parent's run.

        The child runs in the parent's experiment (MLflow nests runs within one experiment);
        ``code_snapshot`` is the parent's own snapshot of the code, copied for the child."""
        parent = self.jobs.row(parent_id)
        spec = spec.model_copy(update={"experiment": parent.experiment})
        extra = {**(tags or {}), TAG_PARENT: parent_id}
        if parent.run_id:
            extra[MLFLOW_PARENT] = parent.run_id
        return self.jobs.submit(spec, extra_tags=extra, parent_id=parent_id, code_snapshot=code_snapshot)

    # ---- read --------------------------------------------------------------------------------

    def children(self, parent_id: str, statuses: list[str] | None = None) -> list[JobRow]:
        """Child rows, oldest first (detached from the session)."""
        q = select(JobRow).where(JobRow.parent_id == parent_id).order_by(JobRow.created_at, JobRow.id)
        if statuses:
            q = q.where(JobRow.status.in_(statuses))
        with self.store.session() as s:
            rows = list(s.scalars(q))
            s.expunge_all()
        return rows

    def find_child(self, parent_id: str, tag: str, value: str) -> str | None:
        """The id of the child submitted with ``tags[tag] == value``, if any: before submitting a
        child, a controller looks for the one a crashed process may have submitted already."""
        with self.store.session() as s:
            return s.scalar(
                select(JobRow.id).where(JobRow.parent_id == parent_id, JobRow.tags[tag].as_string() == value).order_by(JobRow.created_at).limit(1)
            )

    def parents(self, kind: str, statuses: list[str]) -> list[JobRow]:
        """Parent rows of a kind in the given statuses (what an area controller drives)."""
        with self.store.session() as s:
            rows = list(s.scalars(select(JobRow).where(JobRow.kind == kind, JobRow.status.in_(statuses)).order_by(JobRow.created_at)))
            s.expunge_all()
        return rows

    # ---- lifecycle ---------------------------------------------------------------------------

    def set_status(self, parent_id: str, status: str, error: str | None = None, only_if: list[str] | None = None) -> bool:
        """Move the parent (row first); a terminal status also ends its MLflow run.

        ``only_if``: change only from these statuses (default: any status but a terminal one)."""
        now = utcnow()
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status == JobStatus.RUNNING.value:
            values["started_at"] = now
        if status in TERMINAL:
            values["ended_at"] = now
            values["error"] = error
        with self.store.session() as s:
            q = update(JobRow).where(JobRow.id == parent_id, JobRow.status.in_(only_if or [st for st in LIVE]))
            if status == JobStatus.RUNNING.value:
                q = q.where(JobRow.started_at.is_(None))
            changed = s.execute(q.values(**values)).rowcount == 1
        if not changed:
            return False
        row = self.jobs.row(parent_id)
        if status in TERMINAL and row.run_id:
            try:
                self.experiments.end_run(row.run_id, _MLFLOW_END[status])
            except Exception:
                log.warning("could not end the MLflow run of %s", parent_id)
        self.jobs.on_change(row)
        return True

    def cancel_children(self, parent_id: str, reason: str | None = None) -> int:
        """Cancel every child still queued or running; returns how many were asked."""
        asked = 0
        for child in self.children(parent_id, LIVE):
            if child.status == JobStatus.CANCEL_REQUESTED.value:
                continue
            try:
                self.jobs.cancel(child.id)
                asked += 1
            except Exception as exc:  # it ended meanwhile
                log.debug("cancel of child %s: %s", child.id, exc)
            if reason:
                self.log(child.id, f"\nmlservice: {reason}\n")
        return asked

    def settle_cancel(self, parent_id: str) -> bool:
        """For a parent in CancelRequested: cancel its live children, and once none is left, mark
        it Canceled. Returns True when the parent is Canceled."""
        self.cancel_children(parent_id, "canceled with its parent job")
        if self.children(parent_id, LIVE):
            return False
        return self.set_status(parent_id, JobStatus.CANCELED.value, "canceled by the user", only_if=[JobStatus.CANCEL_REQUESTED.value])

    def log(self, job_id: str, text: str) -> None:
        """Append to a job's log (the parent's log is where its controller says what it does)."""
        from .launch import job_paths

        try:
            with open(job_paths(self.jobs.job_dir(job_id))["log"], "a", encoding="utf-8") as f:
                f.write(text)
        except OSError:
            pass
