"""Compute targets: named, typed places where jobs run."""

from __future__ import annotations

import os

from sqlalchemy import delete, func, select

from ..compute import ComputeBackend
from ..errors import Conflict, InvalidRequest, NotFound
from ..events import EventBus
from ..pagination import page
from ..jobs.schemas import ACTIVE_STATUSES, TERMINAL_STATUSES, JobStatus
from ..jobs.tables import JobRow
from ..store import Store
from ..timeutil import as_utc, utcnow
from .schemas import Target, TargetCreate, TargetPage, TargetUpdate
from .tables import TargetRow

DEFAULT_TARGET = "local"
# job statuses that move a target's queued/running counts, and the word its event says
JOB_COUNT_CHANGES = {
    JobStatus.QUEUED.value: "queued",
    JobStatus.PREPARING.value: "running",
    **{st.value: "ended" for st in TERMINAL_STATUSES},
}


class TargetService:
    def __init__(self, store: Store, backends: dict[str, ComputeBackend], events: EventBus | None = None):
        self.store = store
        self.backends = backends
        self.events = events or EventBus()

    def _changed(self, name: str, action: str, status: str | None = None) -> None:
        self.events.emit("target", {"name": name, "action": action, "status": status})

    def job_changed(self, row: JobRow) -> None:
        """Job listener: a job that joins the queue, leaves it or ends changes its target's counts."""
        word = JOB_COUNT_CHANGES.get(row.status)
        if word:
            self._changed(row.target, "status", word)

    def backend(self, type_: str) -> ComputeBackend:
        try:
            return self.backends[type_]
        except KeyError:
            known = ", ".join(sorted(self.backends))
            raise InvalidRequest(f"unknown target type {type_!r}; use one of: {known}") from None

    def ensure_default(self) -> None:
        with self.store.session() as s:
            if s.get(TargetRow, DEFAULT_TARGET) is None:
                s.add(
                    TargetRow(
                        name=DEFAULT_TARGET,
                        type="local",
                        description="Processes on the server host",
                        settings={"max_concurrency": os.cpu_count() or 1},
                        created_at=utcnow(),
                    )
                )

    def row(self, name: str) -> TargetRow:
        return self.store.get_or_404(TargetRow, name, f"no compute target named {name!r}")

    def _view(self, row: TargetRow, counts: dict[tuple[str, str], int]) -> Target:
        backend = self.backends.get(row.type)
        running = sum(n for (t, st), n in counts.items() if t == row.name and JobStatus(st) in ACTIVE_STATUSES)
        queued = counts.get((row.name, JobStatus.QUEUED.value), 0)
        status = {}
        if backend is not None:
            try:
                status = backend.target_status(row.name, row.settings)
            except Exception as exc:  # a cluster that does not answer must not break the list
                status = {"error": str(exc)}
        return Target(
            name=row.name,
            type=row.type,
            description=row.description,
            settings=row.settings,
            created_at=as_utc(row.created_at),
            capacity=backend.capacity(row.settings) if backend else None,
            running=running,
            queued=queued,
            status=status,
        )

    def _counts(self, s, names: list[str]) -> dict[tuple[str, str], int]:
        live = [JobStatus.QUEUED.value, *(st.value for st in ACTIVE_STATUSES)]
        q = (
            select(JobRow.target, JobRow.status, func.count())
            .where(JobRow.target.in_(names), JobRow.status.in_(live))
            .group_by(JobRow.target, JobRow.status)
        )
        return {(t, st): n for t, st, n in s.execute(q)}

    def list(self, limit: int = 100, cursor: str | None = None) -> TargetPage:
        with self.store.session() as s:
            rows, nxt = page(s, select(TargetRow), [TargetRow.name], limit, cursor)
            counts = self._counts(s, [r.name for r in rows])
        return TargetPage(items=[self._view(r, counts) for r in rows], next_cursor=nxt)

    def get(self, name: str) -> Target:
        row = self.row(name)
        with self.store.session() as s:
            counts = self._counts(s, [name])
        return self._view(row, counts)

    def create(self, body: TargetCreate) -> Target:
        backend = self.backend(body.type)
        settings = backend.validate_settings(body.settings)
        if not self.store.insert_new(TargetRow(name=body.name, type=body.type, description=body.description, settings=settings, created_at=utcnow())):
            raise Conflict(f"a compute target named {body.name!r} already exists")
        try:
            backend.target_created(body.name, settings)
        except Exception:
            with self.store.session() as s:
                row = s.get(TargetRow, body.name)
                if row is not None:
                    s.delete(row)
            raise
        self._changed(body.name, "created")
        return self.get(body.name)

    def update(self, name: str, body: TargetUpdate) -> Target:
        row = self.row(name)
        backend = self.backend(row.type)
        settings = backend.validate_settings({**row.settings, **body.settings}) if body.settings is not None else row.settings
        with self.store.session() as s:
            live = s.get(TargetRow, name)
            if body.description is not None:
                live.description = body.description
            live.settings = settings
        self._changed(name, "updated")
        return self.get(name)

    def delete(self, name: str) -> None:
        """Atomic against submits to the target (see JobService.submit): the row goes first, which
        takes the write lock, and the jobs are counted after; a busy target rolls back."""
        if name == DEFAULT_TARGET:
            raise Conflict(f"the built-in {DEFAULT_TARGET!r} target cannot be deleted (jobs default to it); change its settings instead")
        row = self.row(name)
        with self.store.session() as s:
            if not s.execute(delete(TargetRow).where(TargetRow.name == name)).rowcount:
                raise NotFound(f"no compute target named {name!r}")
            busy = s.scalar(
                select(func.count())
                .select_from(JobRow)
                .where(JobRow.target == name, JobRow.status.in_([JobStatus.QUEUED.value, *(st.value for st in ACTIVE_STATUSES)]))
            )
            if busy:
                raise Conflict(f"target {name!r} has {busy} queued or running job(s); cancel them or wait before deleting it")
        backend = self.backends.get(row.type)
        if backend is not None:
            backend.target_deleted(name, row.settings)
        self._changed(name, "deleted")
