"""Schedules: CRUD, run now, history, and the scheduler loop that fires slots exactly once.

Exactly once: a slot fires only after its (schedule_id, slot_time) row has been inserted, and the
unique constraint lets only one insert win, across restarts and across server processes sharing
the store. The row is then updated with the job it created. A process that dies between the
two leaves a `claimed` row; after CLAIM_LEASE another process finishes the work, looking first
for a job already tagged with the run id so that the job is not created twice.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidRequest, NotFound
from ..pagination import decode_cursor, encode_cursor
from ..schemas import TERMINAL_STATUSES, JobSpec, JobStatus
from ..store import Store
from ..tables import JobRow
from ..timeutil import as_utc, utcnow
from . import templates
from .models import Schedule, ScheduleCreate, SchedulePage, ScheduleRun, ScheduleRunPage, ScheduleUpdate
from .tables import ScheduleRow, ScheduleRunRow
from .timing import Timing

log = logging.getLogger("jupyter_mlservice.schedules")

JOB_SPEC = TypeAdapter(JobSpec)
TAG_SCHEDULE = "mlservice.schedule"
TAG_RUN = "mlservice.schedule_run"
TAG_SLOT = "mlservice.scheduled_time"
# A slot fired within this long after its time is on time; older ones were missed (catch-up).
MISFIRE_GRACE = timedelta(seconds=60)
CLAIM_LEASE = timedelta(seconds=120)
MISSED_RECORDED = 100  # missed slots kept in the history, per catch-up
MAX_SLOTS_SCANNED = 1_000_000
TERMINAL = [s.value for s in TERMINAL_STATUSES]


class ScheduleService:
    """Also the scheduler: `start()` runs the loop on a thread; `tick()` is one pass (tests call it
    with a fake clock)."""

    def __init__(self, store: Store, jobs, root_dir: Path, clock: Callable[[], datetime] = utcnow, poll_interval: float = 1.0,
                 on_notebook_schedule: Callable[[], None] = lambda: None):
        self.on_notebook_schedule = on_notebook_schedule
        self.store = store
        self.jobs = jobs
        self.root_dir = root_dir
        self.clock = clock
        self.poll_interval = poll_interval
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self.store.session() as s:
            kinds = [job.get("kind") for job in s.scalars(select(ScheduleRow.job).where(ScheduleRow.enabled.is_(True)))]
        if "notebook" in kinds:
            self.on_notebook_schedule()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mlservice-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def job_changed(self, row: JobRow) -> None:
        """Job listener: a scheduled job that ends may free a slot for a queued run."""
        if (row.tags or {}).get(TAG_SCHEDULE) and row.status in TERMINAL:
            self.wake()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # keep the loop alive; the next tick retries
                log.exception("scheduler tick failed")
            self._wake.wait(self._sleep_s())
            self._wake.clear()

    def _sleep_s(self) -> float:
        with self.store.session() as s:
            nxt = s.scalar(select(func.min(ScheduleRow.next_run_at)).where(ScheduleRow.enabled.is_(True)))
        if nxt is None:
            return self.poll_interval
        return max(0.01, min(self.poll_interval, (nxt - self.clock()).total_seconds()))

    # ---- the scheduler -----------------------------------------------------------------------

    def tick(self) -> None:
        with self._tick_lock:
            now = self.clock()
            with self.store.session() as s:
                due = list(s.scalars(select(ScheduleRow).where(ScheduleRow.enabled.is_(True), ScheduleRow.next_run_at <= now)))
                waiting = set(s.scalars(select(ScheduleRunRow.schedule_id).where(ScheduleRunRow.state == "waiting").distinct()))
                s.expunge_all()
            for row in due:
                try:
                    self._process(row, now)
                except Exception:
                    log.exception("schedule %s failed to fire", row.name)
            for schedule_id in waiting:
                self._drain_waiting(schedule_id, now)
            self._recover_claims(now)

    def _timing(self, row: ScheduleRow | dict[str, Any]) -> Timing:
        get = row.get if isinstance(row, dict) else lambda k, d=None: getattr(row, k, d)
        return Timing(get("cron"), get("recurrence"), get("time_zone") or "UTC", get("start_at"), get("end_at"), get("created_at") or self.clock())

    def _process(self, row: ScheduleRow, now: datetime) -> None:
        timing = self._timing(row)
        since = row.last_slot_at or row.created_at
        keep = max(row.catch_up_limit, MISSED_RECORDED) + 1
        recent: deque[datetime] = deque(maxlen=keep)
        last = None
        for i, slot in enumerate(timing.slots(since, now)):
            recent.append(slot)
            last = slot
            if i >= MAX_SLOTS_SCANNED:
                break
        on_time = [t for t in recent if now - t <= MISFIRE_GRACE]
        missed = [t for t in recent if now - t > MISFIRE_GRACE]
        fire: list[tuple[datetime, str]] = [(t, "schedule") for t in on_time]
        if missed:
            if row.catch_up == "latest" and not on_time:
                fire.insert(0, (missed.pop(), "catch_up"))
            elif row.catch_up == "all":
                take = missed[-row.catch_up_limit:]
                missed = missed[: len(missed) - len(take)]
                fire = [(t, "catch_up") for t in take] + fire
        for t in missed[-MISSED_RECORDED:]:
            self._record(row, t, "missed", f"the server was not running at this time; catch_up={row.catch_up}")
        for t, trigger in fire:
            self._fire(row, t, trigger)
        with self.store.session() as s:
            cur = s.get(ScheduleRow, row.id)
            if cur is None:
                return
            if last is not None and (cur.last_slot_at is None or cur.last_slot_at < last):
                cur.last_slot_at = last
            cur.next_run_at = timing.next_after(max(now, cur.last_slot_at or now)) if cur.enabled else None

    def _record(self, row: ScheduleRow, slot: datetime, state: str, reason: str) -> ScheduleRunRow | None:
        now = self.clock()
        run = ScheduleRunRow(schedule_id=row.id, slot_time=slot, trigger="schedule", state=state, reason=reason,
                             created_at=now, updated_at=now)
        try:
            with self.store.session() as s:
                s.add(run)
        except IntegrityError:
            return None
        return run

    def _claim(self, row: ScheduleRow, slot: datetime, trigger: str) -> ScheduleRunRow | None:
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

    def _active_runs(self, schedule_id: str, exclude: int | None = None) -> int:
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

    def _fire(self, row: ScheduleRow, slot: datetime, trigger: str, force: bool = False) -> ScheduleRunRow | None:
        run = self._claim(row, slot, trigger)
        if run is None:
            return None
        if not force:
            active = self._active_runs(row.id, exclude=run.id)
            if active >= row.max_concurrent_runs:
                why = f"{active} earlier run(s) still going (max_concurrent_runs={row.max_concurrent_runs})"
                if row.concurrency_policy == "queue":
                    self._set_run(run.id, state="waiting", reason=why + "; queued")
                else:
                    self._set_run(run.id, state="skipped", reason=why)
                log.info("schedule %s: slot %s %s", row.name, slot, "queued" if row.concurrency_policy == "queue" else "skipped")
                return self._run_row(run.id)
        self._submit(row, run)
        return self._run_row(run.id)

    def _drain_waiting(self, schedule_id: str, now: datetime) -> None:
        with self.store.session() as s:
            row = s.get(ScheduleRow, schedule_id)
            if row is not None:
                s.expunge(row)
        if row is None:
            return
        while True:
            if self._active_runs(schedule_id) >= row.max_concurrent_runs:
                return
            with self.store.session() as s:
                run_id = s.scalar(
                    select(ScheduleRunRow.id).where(ScheduleRunRow.schedule_id == schedule_id, ScheduleRunRow.state == "waiting")
                    .order_by(ScheduleRunRow.slot_time).limit(1)
                )
                if run_id is None:
                    return
                won = s.execute(
                    update(ScheduleRunRow).where(ScheduleRunRow.id == run_id, ScheduleRunRow.state == "waiting")
                    .values(state="claimed", claimed_by=self.owner, claimed_at=utcnow(), updated_at=now)
                ).rowcount == 1
            if won:
                self._submit(row, self._run_row(run_id))

    def _submit(self, row: ScheduleRow, run: ScheduleRunRow) -> None:
        try:
            spec = self._render(row.job, run.slot_time, row.time_zone, row.name, run.trigger)
            job = self.jobs.submit(spec, extra_tags={
                TAG_SCHEDULE: row.name,
                TAG_RUN: str(run.id),
                TAG_SLOT: as_utc(run.slot_time).isoformat(),
            })
        except Exception as exc:  # a deleted notebook, a bad template...: recorded on the run
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            log.warning("schedule %s: run for %s not submitted: %s", row.name, run.slot_time, message)
            self._set_run(run.id, state="failed", reason=message)
            return
        self._set_run(run.id, state="submitted", job_id=job.id, reason=None)
        log.info("schedule %s: submitted %s for %s", row.name, job.id, run.slot_time)

    def _render(self, job: dict[str, Any], slot: datetime, time_zone: str, name: str, trigger: str):
        rendered = templates.render(job, templates.context(slot, time_zone, name, trigger))
        try:
            return JOB_SPEC.validate_python(rendered)
        except ValidationError as exc:
            problems = "; ".join(f"job.{'.'.join(str(p) for p in e['loc'][1:] or e['loc'])}: {e['msg']}" for e in exc.errors())
            raise InvalidRequest(f"invalid job spec: {problems}") from None

    def _recover_claims(self, now: datetime) -> None:
        """Finish claims whose owner died between claiming a slot and recording its job."""
        wall = utcnow()
        with self.store.session() as s:
            stale = list(s.scalars(select(ScheduleRunRow).where(ScheduleRunRow.state == "claimed", ScheduleRunRow.claimed_at < wall - CLAIM_LEASE)))
            s.expunge_all()
        for run in stale:
            if _owner_alive(run.claimed_by) and run.claimed_at > wall - 5 * CLAIM_LEASE:
                continue  # slow, not dead: a process on this host that is still running
            with self.store.session() as s:
                won = s.execute(
                    update(ScheduleRunRow).where(ScheduleRunRow.id == run.id, ScheduleRunRow.state == "claimed",
                                                 ScheduleRunRow.claimed_at == run.claimed_at)
                    .values(claimed_by=self.owner, claimed_at=wall, updated_at=now)
                ).rowcount == 1
                sched = s.get(ScheduleRow, run.schedule_id)
                if sched is not None:
                    s.expunge(sched)
            if not won or sched is None:
                continue
            existing = self._job_of_run(run)
            if existing:
                self._set_run(run.id, state="submitted", job_id=existing, reason=None)
            else:
                log.info("schedule %s: finishing the claim of a process that died (slot %s)", sched.name, run.slot_time)
                self._submit(sched, self._run_row(run.id))

    def _job_of_run(self, run: ScheduleRunRow) -> str | None:
        since = (run.created_at or run.claimed_at) - timedelta(seconds=5)
        with self.store.session() as s:
            for job_id, tags in s.execute(select(JobRow.id, JobRow.tags).where(JobRow.created_at >= since)):
                if (tags or {}).get(TAG_RUN) == str(run.id):
                    return job_id
        return None

    def _set_run(self, run_id: int, **values: Any) -> None:
        values["updated_at"] = self.clock()
        with self.store.session() as s:
            s.execute(update(ScheduleRunRow).where(ScheduleRunRow.id == run_id).values(**values))

    def _run_row(self, run_id: int) -> ScheduleRunRow:
        with self.store.session() as s:
            run = s.get(ScheduleRunRow, run_id)
            s.expunge(run)
            return run

    # ---- CRUD --------------------------------------------------------------------------------

    def _validate_job(self, job: dict[str, Any], name: str, time_zone: str) -> dict[str, Any]:
        if not isinstance(job, dict) or "kind" not in job:
            raise InvalidRequest("job needs a kind (command, notebook, code or batch) and that kind's fields, as POST /jobs takes them")
        spec = self._render(job, self.clock(), time_zone, name, "schedule")
        paths = self.jobs.paths  # in reach now; each run checks its rendered paths again
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
        self.wake()
        return self.get(body.name)

    def row(self, name: str) -> ScheduleRow:
        with self.store.session() as s:
            row = s.scalar(select(ScheduleRow).where(ScheduleRow.name == name))
            if row is None:
                row = s.get(ScheduleRow, name)
            if row is None:
                raise NotFound(f"no schedule named {name!r}")
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
        if not 1 <= limit <= 1000:
            raise InvalidRequest("limit must be between 1 and 1000")
        q = select(ScheduleRow).order_by(ScheduleRow.name)
        if cursor:
            (after,) = decode_cursor(cursor, 1)
            q = q.where(ScheduleRow.name > after)
        with self.store.session() as s:
            rows = list(s.scalars(q.limit(limit + 1)))
            s.expunge_all()
        more = len(rows) > limit
        rows = rows[:limit]
        return SchedulePage(items=[self._shown(r) for r in rows], next_cursor=encode_cursor(rows[-1].name) if more else None)

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
        timing = self._timing(merged)
        if "job" in changes:
            changes["job"] = self._validate_job(changes["job"], row.name, merged["time_zone"])
        now = self.clock()
        timing_changed = any(k in changes for k in ("cron", "recurrence", "time_zone", "start_at", "end_at")) or (
            changes.get("enabled") and not row.enabled
        )
        with self.store.session() as s:
            cur = s.get(ScheduleRow, row.id)
            if cur is None:
                raise NotFound(f"no schedule named {name!r}")
            for k, v in changes.items():
                setattr(cur, k, v)
            if timing_changed:  # the new timing starts now; no catch-up of slots it never had
                cur.last_slot_at = now
            cur.next_run_at = timing.next_after(max(now, cur.last_slot_at or now)) if cur.enabled else None
            cur.updated_at = now
        self.wake()
        return self.get(row.name)

    def set_enabled(self, name: str, enabled: bool) -> Schedule:
        return self.update(name, ScheduleUpdate(enabled=enabled))

    def delete(self, name: str) -> None:
        row = self.row(name)
        with self.store.session() as s:
            s.execute(delete(ScheduleRunRow).where(ScheduleRunRow.schedule_id == row.id))
            if not s.execute(delete(ScheduleRow).where(ScheduleRow.id == row.id)).rowcount:
                raise NotFound(f"no schedule named {name!r}")  # a concurrent delete won (rolls back)

    def run_now(self, name: str) -> ScheduleRun:
        """Submit a run at once (enabled or not, whatever max_concurrent_runs says)."""
        row = self.row(name)
        now = self.clock()
        for i in range(100):
            run = self._fire(row, now + timedelta(microseconds=i), "manual", force=True)
            if run is not None:
                return self._run_model(run, row.name)
        raise Conflict("could not record the run; try again")  # pragma: no cover

    def runs(self, name: str, limit: int = 50, cursor: str | None = None, state: str | None = None) -> ScheduleRunPage:
        if not 1 <= limit <= 1000:
            raise InvalidRequest("limit must be between 1 and 1000")
        row = self.row(name)
        q = select(ScheduleRunRow).where(ScheduleRunRow.schedule_id == row.id).order_by(ScheduleRunRow.slot_time.desc(), ScheduleRunRow.id.desc())
        if state:
            q = q.where(ScheduleRunRow.state.in_([x.strip() for x in state.split(",")]))
        if cursor:
            (before,) = decode_cursor(cursor, 1)
            q = q.where(ScheduleRunRow.slot_time < datetime.fromisoformat(before))
        with self.store.session() as s:
            runs = list(s.scalars(q.limit(limit + 1)))
            s.expunge_all()
        more = len(runs) > limit
        runs = runs[:limit]
        items = self._run_models(runs, row.name)
        return ScheduleRunPage(items=items, next_cursor=encode_cursor(runs[-1].slot_time.isoformat()) if more else None)

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
            upcoming = self._timing(row).upcoming(max(now, row.last_slot_at or now), 5) if row.enabled else []
        except InvalidRequest:
            upcoming = []
        return Schedule(
            id=row.id, name=row.name, description=row.description or "", job=row.job, cron=row.cron,
            recurrence=row.recurrence, time_zone=row.time_zone, start_at=as_utc(row.start_at), end_at=as_utc(row.end_at),
            enabled=row.enabled, catch_up=row.catch_up, catch_up_limit=row.catch_up_limit,
            max_concurrent_runs=row.max_concurrent_runs, concurrency_policy=row.concurrency_policy,
            next_run_at=as_utc(row.next_run_at) if row.enabled else None, next_runs=[as_utc(t) for t in upcoming],
            active_runs=self._active_runs(row.id), last_runs=self._run_models(last, row.name),
            created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
        )


def _owner_alive(owner: str | None) -> bool:
    """Whether the process that wrote `owner` (host:pid:nonce) still runs; False when unknowable."""
    try:
        host, pid, _ = (owner or "").split(":")
        if host != socket.gethostname():
            return False
        import psutil

        return psutil.pid_exists(int(pid))
    except (ValueError, ImportError):
        return False


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)
