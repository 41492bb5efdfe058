"""Triggers: create, change, enable, delete, fire now, history. Watching for causes is the
controller's business (controller.py); how a cause fires exactly once is firing.py's."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidRequest
from ..events import EventBus
from ..jobs.schemas import JobStatus
from ..jobs.tables import JobRow
from ..pagination import page
from ..store import Store
from ..timeutil import as_utc, utcnow
from .causes import Watchers
from ..schedules.firing import is_pipeline
from .firing import Firing, is_rollout, render, render_pipeline, render_rollout
from .schemas import Trigger, TriggerCreate, TriggerFiring, TriggerFiringPage, TriggerOn, TriggerPage, TriggerUpdate
from .tables import TriggerFiringRow, TriggerRow

log = logging.getLogger("jupyter_mlservice.triggers")
LAST_FIRINGS = 5
SAMPLE_CAUSE = {"kind": "manual", "name": "name", "version": 1, "ref": "ref", "digest": "sha256:", "alias": "alias",
                "tag": "tag", "alert_id": 1, "monitor": "monitor", "message": "message", "monitor_job_id": "job",
                "scheduled_time": "2026-01-01T00:00:00+00:00", "watching": "data"}


class TriggerService:
    def __init__(self, store: Store, jobs, models, clock: Callable[[], datetime] = utcnow, events: EventBus | None = None,
                 on_change: Callable[[], None] = lambda: None, lineage=None):
        self.store = store
        self.events = events or EventBus()
        self.firing = Firing(store, jobs, clock, self.events, lineage)
        self.watchers = Watchers(store, models)
        self.on_change = on_change  # wakes the controller

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.firing.clock

    def _changed(self, name: str, action: str) -> None:
        self.events.emit("trigger", {"name": name, "action": action, "firing_id": None, "status": None})
        self.on_change()

    def _validate_run(self, run: dict[str, Any], name: str, on: TriggerOn) -> dict[str, Any]:
        # every field some cause of this kind has, so a template naming a field that none has is a 400 now
        sample = {**SAMPLE_CAUSE, **self.watchers.latest(on, self.clock())}
        if is_rollout(run):
            if set(run) != {"rollout"}:
                raise InvalidRequest("a rollout trigger's run is {'rollout': {...}} alone, as POST /rollouts takes it")
            render_rollout(run, name, sample, self.clock())
            return dict(run)
        if is_pipeline(run):
            if self.firing.pipelines is None:
                raise InvalidRequest("pipelines are not available in this workspace")
            self.firing.pipelines.check(render_pipeline(run, name, sample, self.clock()))
            return dict(run)
        if not isinstance(run, dict) or "kind" not in run:
            raise InvalidRequest("run needs a kind (command, notebook, code or batch) and that kind's fields, as POST /jobs "
                                 "takes them, or a pipeline: {'pipeline': {...}, 'parameters': {...}}")
        render(run, name, sample, self.clock())
        return dict(run)

    # ---- change ------------------------------------------------------------------------------

    def create(self, body: TriggerCreate, user: str = "") -> Trigger:
        now = self.clock()
        self.watchers.check(body.on)
        run = self._validate_run(body.run, body.name, body.on)
        row = TriggerRow(
            id="trg-" + secrets.token_hex(6), name=body.name, description=body.description,
            on=body.on.model_dump(exclude_none=True), run=run, enabled=body.enabled,
            seen=self.watchers.mark(body.on, now), created_by=user, created_at=now, updated_at=now,
        )
        try:
            with self.store.session() as s:
                s.add(row)
        except IntegrityError:
            raise Conflict(f"a trigger named {body.name!r} already exists; pick another name or PATCH it") from None
        self._changed(body.name, "created")
        return self.get(body.name)

    def update(self, name: str, body: TriggerUpdate) -> Trigger:
        row = self.row(name)
        changes = body.model_dump(exclude_unset=True)
        if changes.get("run") is not None:
            changes["run"] = self._validate_run(changes["run"], name, TriggerOn(**row.on))
        if changes.get("enabled") and not row.enabled:
            # what happened while disabled does not fire: watching starts again from now
            changes["seen"] = self.watchers.mark(TriggerOn(**row.on), self.clock())
        changes = {k: v for k, v in changes.items() if v is not None}
        if changes:
            with self.store.session() as s:
                cur = s.get(TriggerRow, row.id)
                for key, value in changes.items():
                    setattr(cur, key, value)
                cur.updated_at = self.clock()
            self._changed(name, "updated")
        return self.get(name)

    def set_enabled(self, name: str, enabled: bool) -> Trigger:
        return self.update(name, TriggerUpdate(enabled=enabled))

    def delete(self, name: str) -> None:
        row = self.row(name)
        with self.store.session() as s:
            s.execute(delete(TriggerFiringRow).where(TriggerFiringRow.trigger_id == row.id))
            gone = s.execute(delete(TriggerRow).where(TriggerRow.id == row.id)).rowcount
        if not gone:
            self.row(name)  # deleted meanwhile: the 404 names it
        self._changed(name, "deleted")

    def fire_now(self, name: str, cause: dict[str, Any] | None = None) -> TriggerFiring:
        """Fire once now (enabled or not) with ``cause`` (default: the newest thing watched)."""
        row = self.row(name)
        on = TriggerOn(**row.on)
        values = {**self.watchers.latest(on, self.clock()), **(cause or {}), "kind": "manual", "watching": on.kind}
        firing = self.firing.fire(row, f"manual:{secrets.token_hex(8)}", values)
        assert firing is not None  # a fresh key always wins
        return self._firing(firing, row.name)

    # ---- read --------------------------------------------------------------------------------

    def row(self, name: str) -> TriggerRow:
        with self.store.session() as s:
            row = s.scalar(select(TriggerRow).where(TriggerRow.name == name)) or self.store.get_or_404(
                TriggerRow, name, f"no trigger named {name!r}", s
            )
            s.expunge(row)
            return row

    def get(self, name: str) -> Trigger:
        return self._to_model(self.row(name))

    def list(self, limit: int = 100, cursor: str | None = None) -> TriggerPage:
        with self.store.session() as s:
            rows, nxt = page(s, select(TriggerRow), [TriggerRow.name], limit, cursor)
        return TriggerPage(items=[self._to_model(r) for r in rows], next_cursor=nxt)

    def firings(self, name: str, limit: int = 50, cursor: str | None = None) -> TriggerFiringPage:
        row = self.row(name)
        with self.store.session() as s:
            rows, nxt = page(s, select(TriggerFiringRow).where(TriggerFiringRow.trigger_id == row.id),
                             [TriggerFiringRow.id], limit, cursor, descending=True)
        return TriggerFiringPage(items=self._firings(rows, name), next_cursor=nxt)

    def describe(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """What a lineage reader shows of trigger nodes."""
        with self.store.session() as s:
            rows = list(s.scalars(select(TriggerRow).where(TriggerRow.name.in_(names))))
        return {r.name: {"on": r.on, "enabled": r.enabled} for r in rows}

    def _to_model(self, row: TriggerRow) -> Trigger:
        with self.store.session() as s:
            count, last_at = s.execute(
                select(func.count(), func.max(TriggerFiringRow.created_at)).where(TriggerFiringRow.trigger_id == row.id)
            ).one()
            last = list(s.scalars(select(TriggerFiringRow).where(TriggerFiringRow.trigger_id == row.id)
                                  .order_by(TriggerFiringRow.id.desc()).limit(LAST_FIRINGS)))
            s.expunge_all()
        on = TriggerOn(**row.on)
        return Trigger(
            id=row.id, name=row.name, description=row.description, on=on, kind=on.kind, run=row.run, enabled=row.enabled,
            seen=row.seen or {}, created_by=row.created_by or "", last_fired_at=as_utc(last_at), firings=int(count or 0),
            last_firings=self._firings(last, row.name), created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
        )

    def _firings(self, rows: list[TriggerFiringRow], name: str) -> list[TriggerFiring]:
        job_ids = [r.job_id for r in rows if r.job_id]
        statuses: dict[str, str] = {}
        if job_ids:
            with self.store.session() as s:
                statuses = dict(s.execute(select(JobRow.id, JobRow.status).where(JobRow.id.in_(job_ids))).all())
        return [self._firing(r, name, statuses.get(r.job_id or "")) for r in rows]

    def _firing(self, row: TriggerFiringRow, name: str, status: str | None = None) -> TriggerFiring:
        if status is None and row.job_id:
            with self.store.session() as s:
                status = s.scalar(select(JobRow.status).where(JobRow.id == row.job_id))
        return TriggerFiring(id=row.id, trigger=name, cause=row.cause or {}, state=row.state, job_id=row.job_id, rollout_id=row.rollout_id,
                             job_status=JobStatus(status) if status else None, reason=row.reason, created_at=as_utc(row.created_at))
