"""A schedule's runs, each slot exactly once: claim the slot, submit its job, record what happened.

Exactly once: a slot fires only after its (schedule_id, slot_time) row has been inserted, and the
unique constraint lets only one insert win, across restarts and across server processes sharing
the store. The row is then updated with the job it created. A process that dies between the
two leaves a `claimed` row; the scheduler (controller.py) finishes it after CLAIM_LEASE, looking
first for a job already tagged with the run id so that the job is not created twice.

Used by the scheduler for due slots and by the service for "run now".
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidRequest
from ..events import EventBus
from ..jobs.schemas import TERMINAL_STATUSES, JobSpec
from ..jobs.tables import JobRow
from ..store import Store
from ..timeutil import as_utc, utcnow
from . import templates
from .tables import ScheduleRow, ScheduleRunRow

log = logging.getLogger("jupyter_mlservice.schedules")

JOB_SPEC = TypeAdapter(JobSpec)
TAG_SCHEDULE = "mlservice.schedule"
TAG_RUN = "mlservice.schedule_run"
TAG_SLOT = "mlservice.scheduled_time"
TERMINAL = [s.value for s in TERMINAL_STATUSES]


class Firing:
    def __init__(self, store: Store, jobs, clock: Callable[[], datetime] = utcnow, events: EventBus | None = None):
        self.store = store
        self.jobs = jobs
        self.pipelines = None  # the PipelineService, set when pipelines attach: job={"pipeline": ...} runs one
        self.clock = clock
        self.events = events or EventBus()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    # ---- recording -------------------------------------------------------------------------------

    def record(self, row: ScheduleRow, slot: datetime, state: str, reason: str) -> ScheduleRunRow | None:
        """A slot that runs nothing (missed); None when the slot already has its row."""
        now = self.clock()
        run = ScheduleRunRow(schedule_id=row.id, slot_time=slot, trigger="schedule", state=state, reason=reason,
                             created_at=now, updated_at=now)
        try:
            with self.store.session() as s:
                s.add(run)
        except IntegrityError:
            return None
        self._fired(row.name, run.id, state)
        return run

    def claim(self, row: ScheduleRow, slot: datetime, trigger: str) -> ScheduleRunRow | None:
        """Insert the slot's row; None when another process (or an earlier life of this one) has it."""
        now = self.clock()
        run = ScheduleRunRow(schedule_id=row.id, slot_time=slot, trigger=trigger, state="claimed",
                             claimed_by=self.owner, claimed_at=utcnow(), created_at=now, updated_at=now)
        try:
            with self.store.session() as s:
                s.add(run)
                s.flush()
                s.expunge(run)
        except IntegrityError:
            return None
        return run

    def fire(self, row: ScheduleRow, slot: datetime, trigger: str, force: bool = False) -> ScheduleRunRow | None:
        """Claim the slot and submit its job, unless max_concurrent_runs says skip or wait."""
        run = self.claim(row, slot, trigger)
        if run is None:
            return None
        if not force:
            active = self.active(row.id, exclude=run.id)
            if active >= row.max_concurrent_runs:
                why = f"{active} earlier run(s) still going (max_concurrent_runs={row.max_concurrent_runs})"
                state = "waiting" if row.concurrency_policy == "queue" else "skipped"
                self.set(run.id, state=state, reason=why + ("; queued" if state == "waiting" else ""))
                log.info("schedule %s: slot %s %s", row.name, slot, "queued" if state == "waiting" else "skipped")
                self._fired(row.name, run.id, state)
                return self.row(run.id)
        self.submit(row, run)
        return self.row(run.id)

    def submit(self, row: ScheduleRow, run: ScheduleRunRow) -> None:
        try:
            tags = {TAG_SCHEDULE: row.name, TAG_RUN: str(run.id), TAG_SLOT: as_utc(run.slot_time).isoformat()}
            if is_pipeline(row.job):  # a pipeline run: a parent job, found and counted like any job
                body = render_pipeline(row.job, run.slot_time, row.time_zone, row.name, run.trigger)
                job = self.pipelines.submit(body.model_copy(update={"tags": {**body.tags, **tags}}))
            else:
                spec = render(row.job, run.slot_time, row.time_zone, row.name, run.trigger)
                job = self.jobs.submit(spec, extra_tags=tags)
        except Exception as exc:  # a deleted notebook, a bad template...: recorded on the run
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            log.warning("schedule %s: run for %s not submitted: %s", row.name, run.slot_time, message)
            self.set(run.id, state="failed", reason=message)
            self._fired(row.name, run.id, "failed")
            return
        self.set(run.id, state="submitted", job_id=job.id, reason=None)
        self._fired(row.name, run.id, "submitted")
        log.info("schedule %s: submitted %s for %s", row.name, job.id, run.slot_time)

    def _fired(self, name: str, run_id: int | None, state: str) -> None:
        self.events.emit("schedule", {"name": name, "action": "fired", "run_id": run_id, "status": state})

    # ---- reading -------------------------------------------------------------------------------

    def active(self, schedule_id: str, exclude: int | None = None) -> int:
        """Runs whose job has not ended, plus claimed runs still being submitted."""
        with self.store.session() as s:
            running = s.scalar(
                select(func.count()).select_from(ScheduleRunRow).join(JobRow, JobRow.id == ScheduleRunRow.job_id)
                .where(ScheduleRunRow.schedule_id == schedule_id, JobRow.status.not_in(TERMINAL))
            )
            q = select(func.count()).select_from(ScheduleRunRow).where(
                ScheduleRunRow.schedule_id == schedule_id, ScheduleRunRow.state == "claimed"
            )
            if exclude is not None:
                q = q.where(ScheduleRunRow.id != exclude)
            return int(running or 0) + int(s.scalar(q) or 0)

    def job_of(self, run: ScheduleRunRow) -> str | None:
        """The job a run already created (tagged with its id), if any."""
        since = (run.created_at or run.claimed_at) - timedelta(seconds=5)
        with self.store.session() as s:
            for job_id, tags in s.execute(select(JobRow.id, JobRow.tags).where(JobRow.created_at >= since)):
                if (tags or {}).get(TAG_RUN) == str(run.id):
                    return job_id
        return None

    def set(self, run_id: int, **values: Any) -> None:
        values["updated_at"] = self.clock()
        with self.store.session() as s:
            s.execute(update(ScheduleRunRow).where(ScheduleRunRow.id == run_id).values(**values))

    def row(self, run_id: int) -> ScheduleRunRow:
        with self.store.session() as s:
            run = s.get(ScheduleRunRow, run_id)
            s.expunge(run)
            return run


def is_pipeline(job: dict[str, Any]) -> bool:
    """``job={"pipeline": {...spec...}, "parameters": {...}, "experiment": ...}`` runs a pipeline."""
    return isinstance(job, dict) and "pipeline" in job and "kind" not in job


def render_pipeline(job: dict[str, Any], slot: datetime, time_zone: str, name: str, trigger: str):
    """The pipeline submit of one slot: parameters (and every other string) templated."""
    from ..pipelines.schemas import PipelineSubmit

    rendered = templates.render(job, templates.context(slot, time_zone, name, trigger))
    try:
        return PipelineSubmit.model_validate(rendered)
    except ValidationError as exc:
        problems = "; ".join(f"job.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidRequest(f"invalid pipeline: {problems}") from None


def render(job: dict[str, Any], slot: datetime, time_zone: str, name: str, trigger: str):
    """The job spec of one slot: the stored spec with its templates filled in, validated."""
    rendered = templates.render(job, templates.context(slot, time_zone, name, trigger))
    try:
        return JOB_SPEC.validate_python(rendered)
    except ValidationError as exc:
        problems = "; ".join(f"job.{'.'.join(str(p) for p in e['loc'][1:] or e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidRequest(f"invalid job spec: {problems}") from None
