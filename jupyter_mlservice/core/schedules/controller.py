"""The scheduler: a loop that fires each due slot of every enabled schedule once.

It sleeps until the next slot (at most `interval`), records slots missed while the server was
down according to each schedule's catch-up policy, starts runs that waited for a free slot, and
finishes claims a dead process left (firing.py says how a slot fires exactly once).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ..jobs.tables import JobRow
from ..reconciler import Reconciler
from ..timeutil import utcnow
from .firing import TAG_RUN, TAG_SCHEDULE, TERMINAL
from .tables import ScheduleRow, ScheduleRunRow
from .timing import Timing

log = logging.getLogger("jupyter_mlservice.schedules")

# A slot fired within this long after its time is on time; older ones were missed (catch-up).
MISFIRE_GRACE = timedelta(seconds=60)
CLAIM_LEASE = timedelta(seconds=120)
MISSED_RECORDED = 100  # missed slots kept in the history, per catch-up
MAX_SLOTS_SCANNED = 1_000_000


class ScheduleController(Reconciler):
    """`tick()` is one pass; tests call it with the service's fake clock."""

    name = "mlservice-scheduler"
    interval = 1.0

    def __init__(self, schedules, interval: float | None = None):
        super().__init__(interval=interval)
        self.schedules = schedules  # the ScheduleService: its clock, its firing, its notebook hook
        self.firing = schedules.firing
        self.store = schedules.store
        self._tick_lock = threading.Lock()

    @property
    def clock(self):
        return self.firing.clock

    def on_start(self) -> None:
        with self.store.session() as s:
            kinds = [job.get("kind") for job in s.scalars(select(ScheduleRow.job).where(ScheduleRow.enabled.is_(True)))]
        if "notebook" in kinds:
            self.schedules.on_notebook_schedule()

    def job_changed(self, row: JobRow) -> None:
        """Job listener: a scheduled job that ends may free a slot for a queued run."""
        name = (row.tags or {}).get(TAG_SCHEDULE)
        if name and row.status in TERMINAL:
            run_id = (row.tags or {}).get(TAG_RUN)
            self.firing.events.emit("schedule", {"name": name, "action": "run_ended",
                                               "run_id": int(run_id) if run_id and run_id.isdigit() else None, "status": row.status})
            self.wake()

    def next_wait(self) -> float:
        with self.store.session() as s:
            nxt = s.scalar(select(func.min(ScheduleRow.next_run_at)).where(ScheduleRow.enabled.is_(True)))
        if nxt is None:
            return self.interval
        return max(0.01, min(self.interval, (nxt - self.clock()).total_seconds()))

    # ---- one pass ----------------------------------------------------------------------------

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

    def _process(self, row: ScheduleRow, now: datetime) -> None:
        timing = Timing.of(row, now)
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
            self.firing.record(row, t, "missed", f"the server was not running at this time; catch_up={row.catch_up}")
        for t, trigger in fire:
            self.firing.fire(row, t, trigger)
        with self.store.session() as s:
            cur = s.get(ScheduleRow, row.id)
            if cur is None:
                return
            if last is not None and (cur.last_slot_at is None or cur.last_slot_at < last):
                cur.last_slot_at = last
            cur.next_run_at = timing.next_after(max(now, cur.last_slot_at or now)) if cur.enabled else None

    def _drain_waiting(self, schedule_id: str, now: datetime) -> None:
        with self.store.session() as s:
            row = s.get(ScheduleRow, schedule_id)
            if row is not None:
                s.expunge(row)
        if row is None:
            return
        while True:
            if self.firing.active(schedule_id) >= row.max_concurrent_runs:
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
                    .values(state="claimed", claimed_by=self.firing.owner, claimed_at=utcnow(), updated_at=now)
                ).rowcount == 1
            if won:
                self.firing.submit(row, self.firing.row(run_id))

    def _recover_claims(self, now: datetime) -> None:
        """Finish claims whose owner died between claiming a slot and recording its job."""
        wall = utcnow()
        with self.store.session() as s:
            stale = list(s.scalars(select(ScheduleRunRow).where(ScheduleRunRow.state == "claimed", ScheduleRunRow.claimed_at < wall - CLAIM_LEASE)))
            s.expunge_all()
        for run in stale:
            if owner_alive(run.claimed_by) and run.claimed_at > wall - 5 * CLAIM_LEASE:
                continue  # slow, not dead: a process on this host that is still running
            with self.store.session() as s:
                won = s.execute(
                    update(ScheduleRunRow).where(ScheduleRunRow.id == run.id, ScheduleRunRow.state == "claimed",
                                                 ScheduleRunRow.claimed_at == run.claimed_at)
                    .values(claimed_by=self.firing.owner, claimed_at=wall, updated_at=now)
                ).rowcount == 1
                sched = s.get(ScheduleRow, run.schedule_id)
                if sched is not None:
                    s.expunge(sched)
            if not won or sched is None:
                continue
            existing = self.firing.job_of(run)
            if existing:
                self.firing.set(run.id, state="submitted", job_id=existing, reason=None)
            else:
                log.info("schedule %s: finishing the claim of a process that died (slot %s)", sched.name, run.slot_time)
                self.firing.submit(sched, self.firing.row(run.id))


def owner_alive(owner: str | None) -> bool:
    """Whether the process that wrote `owner` (host:pid:nonce) still runs; False when unknowable."""
    try:
        host, pid, _ = (owner or "").split(":")
        if host != socket.gethostname():
            return False
        import psutil

        return psutil.pid_exists(int(pid))
    except (ValueError, ImportError):
        return False
