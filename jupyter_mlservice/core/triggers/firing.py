"""A trigger's firings, each cause exactly once: claim the cause, submit its job, record what happened.

Exactly once: a cause fires only after its (trigger_id, cause_key) row has been inserted; the
unique constraint lets one insert win, across restarts and across server processes sharing the
store. The row then gets the job it created. A process that dies between the two leaves a
`claimed` row, which the controller finishes after CLAIM_LEASE, looking first for a job already
tagged with the firing's id so that the job is not created twice (as schedules do).
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
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidRequest
from ..events import EventBus
from ..jobs.schemas import JobSpec
from ..jobs.tables import JobRow
from ..schedules import templates
from ..schedules.firing import is_pipeline
from ..store import Store
from ..timeutil import as_utc, utcnow
from .tables import TriggerFiringRow, TriggerRow

log = logging.getLogger("jupyter_mlservice.triggers")

JOB_SPEC = TypeAdapter(JobSpec)
TAG_TRIGGER = "mlservice.trigger"
TAG_FIRING = "mlservice.trigger_firing"
CLAIM_LEASE = timedelta(seconds=120)


class _Cause(dict):
    """The cause in templates: ``{{ cause.version }}``; a missing field names what there is."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"the cause has no {key!r} (it has {', '.join(sorted(self))})") from None


def _context(trigger_name: str, cause: dict[str, Any], fired_at: datetime) -> dict[str, Any]:
    return {"cause": _Cause(cause), "trigger_name": trigger_name, "fired_at": as_utc(fired_at).isoformat()}


def is_rollout(run: dict[str, Any]) -> bool:
    """``run={"rollout": {endpoint, model, plan, ...}}`` starts a progressive rollout."""
    return isinstance(run, dict) and "rollout" in run and "kind" not in run


def render_rollout(run: dict[str, Any], trigger_name: str, cause: dict[str, Any], fired_at: datetime):
    """The rollout one firing starts: ``run["rollout"]`` with its templates filled in, validated."""
    from ..rollouts.schemas import RolloutCreate

    return _rendered(TypeAdapter(RolloutCreate), run["rollout"], trigger_name, cause, fired_at, "run.rollout", "rollout")


def render_pipeline(run: dict[str, Any], trigger_name: str, cause: dict[str, Any], fired_at: datetime):
    """The pipeline submit of one firing: its parameters (and every other string) templated."""
    from ..pipelines.schemas import PipelineSubmit

    return _rendered(TypeAdapter(PipelineSubmit), run, trigger_name, cause, fired_at, "run", "pipeline")


def render(run: dict[str, Any], trigger_name: str, cause: dict[str, Any], fired_at: datetime):
    """The job spec of one firing: the stored spec with its templates filled in, validated."""
    return _rendered(JOB_SPEC, run, trigger_name, cause, fired_at, "run", "job spec", skip_kind=True)


def _rendered(adapter: TypeAdapter, value: dict[str, Any], trigger_name: str, cause: dict[str, Any], fired_at: datetime,
              path: str, what: str, skip_kind: bool = False):
    """``value`` with its templates filled in with the cause, validated by ``adapter``; a 400 naming the fields."""
    rendered = templates.render(value, _context(trigger_name, cause, fired_at), path=path)
    try:
        return adapter.validate_python(rendered)
    except ValidationError as exc:
        # a job spec's first location is the union's tag (its kind): the field's own path follows it
        problems = "; ".join(f"{path}.{'.'.join(str(p) for p in (e['loc'][1:] if skip_kind else e['loc']) or e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise InvalidRequest(f"invalid {what}: {problems}") from None


class Firing:
    def __init__(self, store: Store, jobs, clock: Callable[[], datetime] = utcnow, events: EventBus | None = None, lineage=None):
        self.store = store
        self.lineage = lineage  # cause -> trigger -> the job it started
        self.pipelines = None  # the PipelineService, set when pipelines attach: run={"pipeline": ...} runs one
        self.rollouts = None  # the RolloutService, set when rollouts attach: run={"rollout": ...} starts one
        self.jobs = jobs
        self.clock = clock
        self.events = events or EventBus()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def fire(self, trigger: TriggerRow, key: str, cause: dict[str, Any]) -> TriggerFiringRow | None:
        """Claim the cause and submit its job; None when the cause has fired already."""
        firing = self.claim(trigger, key, cause)
        if firing is None:
            return None
        self.submit(trigger, firing)
        return self.row(firing.id)

    def claim(self, trigger: TriggerRow, key: str, cause: dict[str, Any]) -> TriggerFiringRow | None:
        now = self.clock()
        firing = TriggerFiringRow(trigger_id=trigger.id, cause_key=key[:255], cause=cause, state="claimed",
                                  claimed_by=self.owner, claimed_at=utcnow(), created_at=now, updated_at=now)
        try:
            with self.store.session() as s:
                s.add(firing)
                s.flush()
                s.expunge(firing)
        except IntegrityError:
            return None
        return firing

    def submit(self, trigger: TriggerRow, firing: TriggerFiringRow) -> None:
        if is_rollout(trigger.run):
            self._start_rollout(trigger, firing)
            return
        try:
            tags = {TAG_TRIGGER: trigger.name, TAG_FIRING: str(firing.id)}
            if is_pipeline(trigger.run):  # a pipeline run: a parent job, recorded like any job
                if self.pipelines is None:
                    raise InvalidRequest("pipelines are not available in this workspace")
                body = render_pipeline(trigger.run, trigger.name, firing.cause, firing.created_at)
                job = self.pipelines.submit(body.model_copy(update={"tags": {**body.tags, **tags}}))
            else:
                job = self.jobs.submit(render(trigger.run, trigger.name, firing.cause, firing.created_at), extra_tags=tags)
        except Exception as exc:  # a deleted notebook, a template the cause cannot fill...: recorded on the firing
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            log.warning("trigger %s: job for %s not submitted: %s", trigger.name, firing.cause_key, message)
            self.set(firing.id, state="failed", reason=message)
            self._fired(trigger.name, firing.id, "failed")
            return
        self.set(firing.id, state="submitted", job_id=job.id, reason=None)
        self._record_lineage(trigger, firing, job.id)
        self._fired(trigger.name, firing.id, "submitted")
        log.info("trigger %s: %s submitted %s", trigger.name, firing.cause_key, job.id)

    def _start_rollout(self, trigger: TriggerRow, firing: TriggerFiringRow) -> None:
        try:
            if self.rollouts is None:
                raise InvalidRequest("rollouts are not available in this workspace")
            rollout = self.rollouts.start(render_rollout(trigger.run, trigger.name, firing.cause, firing.created_at),
                                          user=f"trigger:{trigger.name}")
        except Exception as exc:  # an endpoint busy with another rollout, a model gone...: recorded on the firing
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            log.warning("trigger %s: rollout for %s not started: %s", trigger.name, firing.cause_key, message)
            self.set(firing.id, state="failed", reason=message)
            self._fired(trigger.name, firing.id, "failed")
            return
        self.set(firing.id, state="submitted", rollout_id=rollout.id, reason=None)
        if self.lineage is not None:
            from ..lineage.service import ROLLOUT, TRIGGER, Node

            self.lineage.record(Node(TRIGGER, trigger.name), Node(ROLLOUT, rollout.id), "started",
                                {"firing_id": firing.id, "cause": firing.cause_key})
        self._fired(trigger.name, firing.id, "submitted")
        log.info("trigger %s: %s started rollout %s", trigger.name, firing.cause_key, rollout.id)

    def _record_lineage(self, trigger: TriggerRow, firing: TriggerFiringRow, job_id: str) -> None:
        if self.lineage is None:
            return
        from ..lineage.service import DATA_VERSION, JOB, MODEL_VERSION, TRIGGER, Node

        node, attrs = Node(TRIGGER, trigger.name), {"firing_id": firing.id, "cause": firing.cause_key}
        cause = firing.cause or {}
        if cause.get("kind") == "data" and cause.get("name"):
            self.lineage.record(Node(DATA_VERSION, f"{cause['name']}@{cause['version']}"), node, "fired", attrs)
        elif cause.get("kind") in ("model", "model_alias", "model_tag") and cause.get("name"):
            self.lineage.record(Node(MODEL_VERSION, f"{cause['name']}:{cause['version']}"), node, "fired", attrs)
        self.lineage.record(node, Node(JOB, job_id), "started", attrs)

    def _fired(self, name: str, firing_id: int, state: str) -> None:
        self.events.emit("trigger", {"name": name, "action": "fired", "firing_id": firing_id, "status": state})

    def job_of(self, firing: TriggerFiringRow) -> str | None:
        """The job a firing already created (tagged with its id), if any."""
        since = (firing.created_at or firing.claimed_at) - timedelta(seconds=5)
        with self.store.session() as s:
            for job_id, tags in s.execute(select(JobRow.id, JobRow.tags).where(JobRow.created_at >= since)):
                if (tags or {}).get(TAG_FIRING) == str(firing.id):
                    return job_id
        return None

    def recover(self) -> None:
        """Finish claims whose owner died between claiming a cause and recording its job."""
        from ..schedules.controller import owner_alive

        wall = utcnow()
        with self.store.session() as s:
            stale = list(s.scalars(select(TriggerFiringRow).where(TriggerFiringRow.state == "claimed",
                                                                  TriggerFiringRow.claimed_at < wall - CLAIM_LEASE)))
            s.expunge_all()
        for firing in stale:
            if owner_alive(firing.claimed_by) and firing.claimed_at > wall - 5 * CLAIM_LEASE:
                continue  # slow, not dead
            with self.store.session() as s:
                won = s.execute(
                    update(TriggerFiringRow).where(TriggerFiringRow.id == firing.id, TriggerFiringRow.state == "claimed",
                                                   TriggerFiringRow.claimed_at == firing.claimed_at)
                    .values(claimed_by=self.owner, claimed_at=wall, updated_at=self.clock())
                ).rowcount == 1
                trigger = s.get(TriggerRow, firing.trigger_id)
                if trigger is not None:
                    s.expunge(trigger)
            if not won or trigger is None:
                continue
            existing = self.job_of(firing)
            if existing:
                self.set(firing.id, state="submitted", job_id=existing, reason=None)
            else:
                log.info("trigger %s: finishing the claim of a process that died (%s)", trigger.name, firing.cause_key)
                self.submit(trigger, self.row(firing.id))

    def set(self, firing_id: int, **values: Any) -> None:
        values["updated_at"] = self.clock()
        with self.store.session() as s:
            s.execute(update(TriggerFiringRow).where(TriggerFiringRow.id == firing_id).values(**values))

    def row(self, firing_id: int) -> TriggerFiringRow:
        with self.store.session() as s:
            firing = s.get(TriggerFiringRow, firing_id)
            s.expunge(firing)
            return firing
