"""Schedules: create, change, enable, delete, run now, history. Firing due slots is the
scheduler's business (controller.py); how a slot fires exactly once is firing.py's."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidRequest, NotFound
from ..events import EventBus
from ..jobs.schemas import JobStatus
from ..jobs.tables import JobRow
from ..pagination import page
from ..store import Store
from ..timeutil import as_utc, utcnow
from .firing import Firing, is_pipeline, render, render_pipeline
from .schemas import Schedule, ScheduleCreate, SchedulePage, ScheduleRun, ScheduleRunPage, ScheduleUpdate
from .tables import ScheduleRow, ScheduleRunRow
from .timing import Timing

log = logging.getLogger(__name__)


class ScheduleService:
    def __init__(self, store: Store, jobs, root_dir: Path, clock: Callable[[], datetime] = utcnow, events: EventBus | None = None,
                 on_change: Callable[[], None] = lambda: None, on_notebook_schedule: Callable[[], None] = lambda: None):
        self.store = store
        self.root_dir = root_dir
        self.events = events or EventBus()
        self.firing = Firing(store, jobs, clock, self.events)
        self.on_change = on_change  # wakes the scheduler: the next slot may have moved
        self.on_notebook_schedule = on_notebook_schedule

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.firing.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.firing.clock = clock

    def _changed(self, name: str, action: str) -> None:
        self.events.emit("schedule", {"name": name, "action": action, "run_id": None, "status": None})
        self.on_change()

    def _validate_job(self, job: dict[str, Any], name: str, time_zone: str) -> dict[str, Any]:
        if is_pipeline(job):
            if self.firing.pipelines is None:
                raise InvalidRequest("pipelines are not available in this workspace")
            self.firing.pipelines.check(render_pipeline(job, self.clock(), time_zone, name, "schedule"))
            return dict(job)
        if not isinstance(job, dict) or "kind" not in job:
            raise InvalidRequest("job needs a kind (command, notebook, code or batch) and that kind's fields, as POST /jobs takes them")
        spec = render(job, self.clock(), time_zone, name, "schedule")
        paths = self.firing.jobs.paths  # in reach now; each run checks its rendered paths again
        if spec.kind == "notebook":
            if not paths.confine(spec.notebook, "job.notebook").is_file():
                raise InvalidRequest(f"job.notebook {spec.notebook!r} is not a file on the server (paths are relative to {self.root_dir})")
        if spec.code and "{{" not in spec.code and not paths.confine(spec.code, "job.code").is_dir():
            raise InvalidRequest(f"job.code {spec.code!r} is not a folder on the server")
        if spec.kind == "notebook":
            self.on_notebook_schedule()
        return dict(job)  # as written: templates are rendered for each run

    def create(self, body: ScheduleCreate) -> Schedule:
        now = self.clock()
        start, end = _naive_utc(body.start_at), _naive_utc(body.end_at)
        rec = body.recurrence.model_dump() if body.recurrence else None
        timing = Timing(body.cron, rec, body.time_zone, start, end, now)
        job = self._validate_job(body.job, body.name, body.time_zone)
        row = ScheduleRow(
            id="sch-" + secrets.token_hex(6), name=body.name, description=body.description, job=job,
            cron=body.cron, recurrence=rec, time_zone=body.time_zone, start_at=start, end_at=end,
            enabled=body.enabled, catch_up=body.catch_up, catch_up_limit=body.catch_up_limit,
            max_concurrent_runs=body.max_concurrent_runs, concurrency_policy=body.concurrency_policy,
            next_run_at=timing.next_after(now) if body.enabled else None, last_slot_at=now,
            created_at=now, updated_at=now,
        )
        try:
            with self.store.session() as s:
                s.add(row)
        except IntegrityError:
            raise Conflict(f"a schedule named {body.name!r} already exists; pick another name or PATCH it") from None
        self._changed(body.name, "created")
        return self.get(body.name)

    def row(self, name: str) -> ScheduleRow:
        with self.store.session() as s:
            row = s.scalar(select(ScheduleRow).where(ScheduleRow.name == name)) or self.store.get_or_404(
                ScheduleRow, name, f"no schedule named {name!r}", s
            )
            s.expunge(row)
            return row

    def get(self, name: str) -> Schedule:
        return self._shown(self.row(name))

    def _shown(self, row: ScheduleRow) -> Schedule:
        """The schedule as the API shows it; a stored record that cannot be shown becomes a
        disabled placeholder that says so, instead of breaking every page that holds it."""
        try:
            schedule = self._to_model(row)
            schedule.model_dump_json()
            return schedule
        except Exception as exc:  # noqa: BLE001 - any damage: the rest of the list must still show
            log.warning("schedule %s: stored record cannot be shown: %s", row.id, type(exc).__name__)
            now = as_utc(self.clock())
            return Schedule(
                id=row.id, name=row.name, description=f"this schedule's stored record cannot be shown ({type(exc).__name__}); delete it and create it again",
                job={}, cron=None, recurrence=None, time_zone="UTC", start_at=None, end_at=None, enabled=False, catch_up="skip",
                catch_up_limit=1, max_concurrent_runs=1, concurrency_policy="skip", next_run_at=None, active_runs=0,
                created_at=as_utc(row.created_at) or now, updated_at=as_utc(row.updated_at) or now,
            )

    def list(self, limit: int = 100, cursor: str | None = None) -> SchedulePage:
        with self.store.session() as s:
            rows, nxt = page(s, select(ScheduleRow), [ScheduleRow.name], limit, cursor)
        return SchedulePage(items=[self._shown(r) for r in rows], next_cursor=nxt)

    def update(self, name: str, body: ScheduleUpdate) -> Schedule:
        row = self.row(name)
        changes = body.model_dump(exclude_unset=True)
        if "recurrence" in changes and changes["recurrence"] is not None:
            changes["recurrence"] = body.recurrence.model_dump()
        if changes.get("cron") and "recurrence" not in changes:
            changes["recurrence"] = None
        if changes.get("recurrence") and "cron" not in changes:
            changes["cron"] = None
        for key in ("start_at", "end_at"):
            if key in changes:
                changes[key] = _naive_utc(changes[key])
        merged = {c: getattr(row, c) for c in ("cron", "recurrence", "time_zone", "start_at", "end_at", "created_at")}
        merged.update({k: v for k, v in changes.items() if k in merged})
        timing = Timing.of(merged, self.clock())
        if "job" in changes:
            changes["job"] = self._validate_job(changes["job"], row.name, merged["time_zone"])
        now = self.clock()
        timing_changed = any(k in changes for k in ("cron", "recurrence", "time_zone", "start_at", "end_at")) or (
            changes.get("enabled") and not row.enabled
        )
        with self.store.session() as s:
            cur = self.store.get_or_404(ScheduleRow, row.id, f"no schedule named {name!r}", s)
            for k, v in changes.items():
                setattr(cur, k, v)
            if timing_changed:  # the new timing starts now; no catch-up of slots it never had
                cur.last_slot_at = now
            cur.next_run_at = timing.next_after(max(now, cur.last_slot_at or now)) if cur.enabled else None
            cur.updated_at = now
        enabled_only = set(changes) == {"enabled"} and changes["enabled"] != row.enabled
        self._changed(row.name, ("enabled" if changes["enabled"] else "disabled") if enabled_only else "updated")
        return self.get(row.name)

    def set_enabled(self, name: str, enabled: bool) -> Schedule:
        return self.update(name, ScheduleUpdate(enabled=enabled))

    def delete(self, name: str) -> None:
        row = self.row(name)
        with self.store.session() as s:
            s.execute(delete(ScheduleRunRow).where(ScheduleRunRow.schedule_id == row.id))
            if not s.execute(delete(ScheduleRow).where(ScheduleRow.id == row.id)).rowcount:
                raise NotFound(f"no schedule named {name!r}")  # a concurrent delete won (rolls back)
        self._changed(row.name, "deleted")

    def run_now(self, name: str) -> ScheduleRun:
        """Submit a run at once (enabled or not, whatever max_concurrent_runs says)."""
        row = self.row(name)
        now = self.clock()
        for i in range(100):
            run = self.firing.fire(row, now + timedelta(microseconds=i), "manual", force=True)
            if run is not None:
                return self._run_model(run, row.name)
        raise Conflict("could not record the run; try again")  # pragma: no cover

    def runs(self, name: str, limit: int = 50, cursor: str | None = None, state: str | None = None) -> ScheduleRunPage:
        """The schedule's runs, newest slot first (a slot has one run, so slot_time orders them)."""
        row = self.row(name)
        q = select(ScheduleRunRow).where(ScheduleRunRow.schedule_id == row.id)
        if state:
            q = q.where(ScheduleRunRow.state.in_([x.strip() for x in state.split(",")]))
        with self.store.session() as s:
            runs, nxt = page(s, q, [ScheduleRunRow.slot_time], limit, cursor, descending=True)
        return ScheduleRunPage(items=self._run_models(runs, row.name), next_cursor=nxt)

    # ---- models ------------------------------------------------------------------------------

    def _run_models(self, runs: list[ScheduleRunRow], name: str) -> list[ScheduleRun]:
        ids = [r.job_id for r in runs if r.job_id]
        statuses: dict[str, str] = {}
        if ids:
            with self.store.session() as s:
                statuses = dict(s.execute(select(JobRow.id, JobRow.status).where(JobRow.id.in_(ids))).all())
        return [self._run_model(r, name, statuses.get(r.job_id or "")) for r in runs]

    def _run_model(self, run: ScheduleRunRow, name: str, job_status: str | None = None) -> ScheduleRun:
        if job_status is None and run.job_id:
            with self.store.session() as s:
                job_status = s.scalar(select(JobRow.status).where(JobRow.id == run.job_id))
        return ScheduleRun(
            id=run.id, schedule=name, scheduled_time=as_utc(run.slot_time), trigger=run.trigger, state=run.state,
            job_id=run.job_id, job_status=JobStatus(job_status) if job_status else None, reason=run.reason,
            created_at=as_utc(run.created_at),
        )

    def _to_model(self, row: ScheduleRow) -> Schedule:
        with self.store.session() as s:
            last = list(s.scalars(select(ScheduleRunRow).where(ScheduleRunRow.schedule_id == row.id)
                                  .order_by(ScheduleRunRow.slot_time.desc(), ScheduleRunRow.id.desc()).limit(5)))
            s.expunge_all()
        now = self.clock()
        try:
            upcoming = Timing.of(row, now).upcoming(max(now, row.last_slot_at or now), 5) if row.enabled else []
        except InvalidRequest:
            upcoming = []
        return Schedule(
            id=row.id, name=row.name, description=row.description or "", job=row.job, cron=row.cron,
            recurrence=row.recurrence, time_zone=row.time_zone, start_at=as_utc(row.start_at), end_at=as_utc(row.end_at),
            enabled=row.enabled, catch_up=row.catch_up, catch_up_limit=row.catch_up_limit,
            max_concurrent_runs=row.max_concurrent_runs, concurrency_policy=row.concurrency_policy,
            next_run_at=as_utc(row.next_run_at) if row.enabled else None, next_runs=[as_utc(t) for t in upcoming],
            active_runs=self.firing.active(row.id), last_runs=self._run_models(last, row.name),
            created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
        )


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)
