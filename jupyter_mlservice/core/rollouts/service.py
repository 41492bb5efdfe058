"""Progressive rollouts: start one (a candidate deployment next to the one serving), read it,
approve it, abort it. Moving it along — traffic steps, judging each step, rolling back,
promoting — is the controller's business (controller.py), from the stored state machine, so a
server restart resumes a rollout where it stood."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update

from ..endpoints.schemas import DeploymentCreate
from ..errors import Conflict, InvalidRequest, NotFound
from ..events import EventBus
from ..pagination import page
from ..store import Store
from ..timeutil import as_utc, utcnow
from .schemas import ACTIVE_STATES, Rollout, RolloutCreate, RolloutPage, RolloutPlan, RolloutStep
from .tables import RolloutRow

log = logging.getLogger("jupyter_mlservice.rollouts")
CANDIDATE_SETTINGS = ("code", "scoring_script", "replicas", "request_settings", "environment_variables", "environment",
                      "env_manager", "return_script_errors", "batching", "collect")


class RolloutService:
    def __init__(self, store: Store, endpoints, models, clock: Callable[[], datetime] = utcnow, events: EventBus | None = None,
                 on_change: Callable[[], None] = lambda: None, lineage=None):
        self.store = store
        self.lineage = lineage  # model version -> rollout -> candidate deployment
        self.endpoints = endpoints
        self.models = models
        self.clock = clock
        self.events = events or EventBus()
        self.on_change = on_change  # wakes the controller

    def changed(self, row: RolloutRow, action: str) -> None:
        self.events.emit("rollout", {"id": row.id, "endpoint": row.endpoint, "action": action, "state": row.state})
        self.on_change()

    # ---- start -------------------------------------------------------------------------------

    def start(self, body: RolloutCreate, user: str = "") -> Rollout:
        try:
            ep = self.endpoints.get_endpoint(body.endpoint)
        except NotFound:
            raise InvalidRequest(f"no endpoint named {body.endpoint!r}; create it and deploy a first version") from None
        serving = {d: p for d, p in (ep.traffic or {}).items() if p}
        if not serving:
            raise InvalidRequest(f"endpoint {body.endpoint!r} sends no traffic anywhere; a rollout moves traffic from the deployment serving it")
        if len(serving) > 1:
            raise InvalidRequest(f"endpoint {body.endpoint!r} splits traffic ({serving}); a rollout starts from one deployment taking all of it")
        baseline = next(iter(serving))
        with self.store.session() as s:
            busy = s.scalar(select(RolloutRow.id).where(RolloutRow.endpoint == body.endpoint, RolloutRow.state.in_(ACTIVE_STATES)))
        if busy:
            raise Conflict(f"rollout {busy} is still in progress on {body.endpoint!r}; approve, abort or wait for it")
        try:
            mv = self.models.resolve(body.model)
        except NotFound as exc:
            raise InvalidRequest(f"model {body.model!r}: {exc.message}") from None
        name = body.deployment or _free_name(f"v{mv.version}", ep.deployments)
        if name in ep.deployments:
            raise Conflict(f"endpoint {body.endpoint!r} already has a deployment named {name!r}; name the candidate with deployment=")
        settings = {"replicas": self.endpoints.get_deployment(body.endpoint, baseline).replicas, **body.deployment_settings}
        unknown = sorted(set(settings) - set(CANDIDATE_SETTINGS))
        if unknown:
            raise InvalidRequest(f"deployment_settings: {', '.join(unknown)} cannot be set here (allowed: {', '.join(CANDIDATE_SETTINGS)})")
        try:
            create = DeploymentCreate(name=name, model=f"{mv.name}:{mv.version}", **settings)
        except ValidationError as exc:
            raise InvalidRequest(f"deployment_settings: {exc.errors()[0]['msg']}") from None
        now = self.clock()
        row = RolloutRow(
            id="ro-" + secrets.token_hex(6), endpoint=body.endpoint, candidate=name, baseline=baseline, model=f"{mv.name}:{mv.version}",
            plan=body.plan.model_dump(), require_approval=body.require_approval, dry_run=body.dry_run, state="Creating", step=-1,
            phase_started_at=now, counters={}, history=[], created_by=user, created_at=now, updated_at=now,
        )
        self.endpoints.create_deployment(body.endpoint, create)  # checks the script, the environment...: a 400 leaves no rollout
        with self.store.session() as s:
            s.add(row)
        if self.lineage is not None:
            from ..lineage.service import DEPLOYMENT, MODEL_VERSION, ROLLOUT, Node

            self.lineage.record(Node(MODEL_VERSION, row.model), Node(ROLLOUT, row.id), "rolled_out")
            self.lineage.record(Node(ROLLOUT, row.id), Node(DEPLOYMENT, f"{row.endpoint}/{row.candidate}"), "deployed",
                                {"baseline": f"{row.endpoint}/{baseline}"})
        log.info("rollout %s: %s on %s (from %s), plan %s", row.id, row.model, row.endpoint, baseline, body.plan.steps)
        self.changed(row, "started")
        return self.get(row.id)

    # ---- act ---------------------------------------------------------------------------------

    def approve(self, rollout_id: str, user: str = "") -> Rollout:
        row = self.row(rollout_id)
        if row.state not in ACTIVE_STATES:
            raise Conflict(f"rollout {rollout_id} has ended ({row.state}); there is nothing to approve")
        if not row.require_approval:
            raise Conflict(f"rollout {rollout_id} does not require approval")
        if row.approved_at is not None:
            return self.get(rollout_id)
        with self.store.session() as s:
            s.execute(update(RolloutRow).where(RolloutRow.id == rollout_id, RolloutRow.approved_at.is_(None))
                      .values(approved_by=user or "unknown", approved_at=self.clock(), updated_at=self.clock()))
        row = self.row(rollout_id)
        log.info("rollout %s approved by %s", rollout_id, row.approved_by)
        self.changed(row, "approved")
        return self.get(rollout_id)

    def abort(self, rollout_id: str, user: str = "") -> Rollout:
        """Shift all traffic back to the baseline now; the candidate deployment stays (at 0%)."""
        row = self.row(rollout_id)
        if row.state not in ACTIVE_STATES:
            raise Conflict(f"rollout {rollout_id} has ended ({row.state})")
        self.roll_back(row, f"aborted by {user or 'a user'}")
        return self.get(rollout_id)

    def roll_back(self, row: RolloutRow, reason: str, entry: dict[str, Any] | None = None) -> None:
        """All traffic to the baseline, mirror off, state RolledBack (the baseline is never deleted)."""
        ep = self.endpoints.get_endpoint(row.endpoint)
        if (ep.mirror_traffic or {}).get(row.candidate):
            self.endpoints.set_traffic(row.endpoint, {k: v for k, v in ep.mirror_traffic.items() if k != row.candidate}, mirror=True)
        if (ep.traffic or {}).get(row.candidate):
            self.endpoints.set_traffic(row.endpoint, {row.baseline: 100})
        self.set(row, state="RolledBack", reason=reason, finished_at=self.clock(), history=[*(row.history or []), *([entry] if entry else [])])
        log.warning("rollout %s rolled back: %s", row.id, reason)

    def set(self, row: RolloutRow, **values: Any) -> None:
        values["updated_at"] = self.clock()
        with self.store.session() as s:
            s.execute(update(RolloutRow).where(RolloutRow.id == row.id).values(**values))
        for key, value in values.items():
            setattr(row, key, value)
        self.changed(row, "updated")

    # ---- read --------------------------------------------------------------------------------

    def row(self, rollout_id: str) -> RolloutRow:
        with self.store.session() as s:
            row = self.store.get_or_404(RolloutRow, rollout_id, f"no rollout {rollout_id!r}", s)
            s.expunge(row)
            return row

    def get(self, rollout_id: str) -> Rollout:
        return self._to_model(self.row(rollout_id))

    def list(self, endpoint: str | None = None, limit: int = 50, cursor: str | None = None) -> RolloutPage:
        q = select(RolloutRow)
        if endpoint:
            q = q.where(RolloutRow.endpoint == endpoint)
        with self.store.session() as s:
            rows, nxt = page(s, q, [RolloutRow.created_at, RolloutRow.id], limit, cursor, descending=True)
        return RolloutPage(items=[self._to_model(r) for r in rows], next_cursor=nxt)

    def describe(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """What a lineage reader shows of rollout nodes."""
        with self.store.session() as s:
            rows = list(s.scalars(select(RolloutRow).where(RolloutRow.id.in_(ids))))
        return {r.id: {"state": r.state, "endpoint": r.endpoint, "model": r.model, "baseline": r.baseline, "candidate": r.candidate,
                       "reason": r.reason} for r in rows}

    def _to_model(self, row: RolloutRow) -> Rollout:
        plan = RolloutPlan(**row.plan)
        percent = 100 if row.state == "Completed" and not row.dry_run else (
            plan.steps[row.step] if row.step >= 0 and row.state in ("Progressing", "Paused", "AwaitingApproval") and not row.dry_run else 0)
        return Rollout(
            id=row.id, endpoint=row.endpoint, candidate=row.candidate, baseline=row.baseline, model=row.model, plan=plan,
            require_approval=row.require_approval, dry_run=row.dry_run, state=row.state, step=row.step, traffic_percent=percent,
            phase_started_at=as_utc(row.phase_started_at), history=[RolloutStep(**h) for h in row.history or []], reason=row.reason,
            approved_by=row.approved_by, approved_at=as_utc(row.approved_at), baseline_deleted=row.baseline_deleted,
            created_by=row.created_by or "", created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
            finished_at=as_utc(row.finished_at),
        )


def _free_name(wanted: str, taken: list[str]) -> str:
    name, n = wanted, 2
    while name in taken:
        name, n = f"{wanted}-{n}", n + 1
    return name
