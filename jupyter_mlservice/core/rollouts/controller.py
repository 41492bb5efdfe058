"""The rollout loop: moves every active rollout along its plan, from the stored state.

Creating -> (Mirroring) -> Progressing step 0 .. last -> Completed, with Paused (too little traffic
to judge: never promotes, waits for more), AwaitingApproval (before the step that gives the
candidate all traffic, when approval is required) and RolledBack (a breach, a candidate that did
not start, an abort) on the way. A phase is judged on the endpoint's counters since it began, at
every look (a breach rolls back at once) and when its time is up (enough requests and no breach:
the next step). Traffic moves in place (no worker restarts), so the machinery drops no request.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select

from ..errors import NotFound
from ..reconciler import Reconciler
from ..timeutil import as_utc
from . import measure
from .schemas import ACTIVE_STATES
from .tables import RolloutRow

log = logging.getLogger("jupyter_mlservice.rollouts")
MAX_MIRROR = 50  # percent: the endpoints' own limit on mirror traffic


class RolloutController(Reconciler):
    name = "mlservice-rollouts"
    interval = 1.0

    def __init__(self, rollouts, interval: float | None = None):
        super().__init__(interval=interval)
        self.rollouts = rollouts
        self.endpoints = rollouts.endpoints
        self.store = rollouts.store
        self._tick_lock = threading.Lock()

    def tick(self) -> None:
        with self._tick_lock:
            with self.store.session() as s:
                rows = list(s.scalars(select(RolloutRow).where(RolloutRow.state.in_(ACTIVE_STATES)).order_by(RolloutRow.created_at)))
                done = list(s.scalars(select(RolloutRow).where(RolloutRow.state == "Completed", RolloutRow.baseline_deleted.is_(False),
                                                               RolloutRow.dry_run.is_(False))))
                s.expunge_all()
            for row in rows:
                try:
                    self.advance(row)
                except Exception:
                    log.exception("rollout %s: the next look retries", row.id)
            for row in done:
                try:
                    self._retire_baseline(row)
                except Exception:
                    log.exception("rollout %s: deleting the baseline deployment failed; the next look retries", row.id)

    # ---- one rollout -------------------------------------------------------------------------

    def advance(self, row: RolloutRow) -> None:
        svc = self.rollouts
        plan = row.plan
        if row.state == "Creating":
            try:
                dep = self.endpoints.get_deployment(row.endpoint, row.candidate)
            except NotFound:
                svc.roll_back(row, f"the candidate deployment {row.candidate!r} was deleted")
                return
            if dep.status == "Healthy" and dep.ready_workers > 0:
                if plan["mirror_first_s"] > 0:
                    self._enter_mirror(row)
                else:
                    self._enter_step(row, 0)
            elif dep.status in ("Failed", "Unhealthy"):
                svc.roll_back(row, f"the candidate deployment {row.candidate!r} did not start: {dep.error or dep.status}")
            return
        if row.state == "AwaitingApproval":
            if row.approved_at is not None:
                self._enter_step(row, row.step + 1)
            return
        now = svc.clock()
        counters = measure.read(self.endpoints, row.endpoint)
        if counters is None:
            return  # the endpoint does not answer now (between generations): the next look judges
        cand = measure.window(row.counters or {}, counters, row.candidate)
        base = measure.window(row.counters or {}, counters, row.baseline)
        mirrored = row.state == "Mirroring" or row.dry_run
        phase = "mirror" if row.state == "Mirroring" else f"step {plan['steps'][row.step]}%" + (" (mirrored)" if row.dry_run else "")

        def entry(decision: str, reason: str | None = None) -> dict:
            return {"phase": phase, "started_at": as_utc(row.phase_started_at).isoformat(), "ended_at": as_utc(now).isoformat(),
                    "candidate": cand, "baseline": base, "decision": decision, "reason": reason}

        why = measure.breach(plan, cand, base) or self._alerted(row)
        if why:
            svc.roll_back(row, f"{phase}: {why}", entry("rolled_back", why))
            return
        duration = plan["mirror_first_s"] if row.state == "Mirroring" else plan["interval_s"]
        if (now - row.phase_started_at).total_seconds() < duration:
            return
        if cand["requests"] < plan["min_requests"]:
            if row.state != "Paused" or not (row.reason or "").startswith("Inconclusive"):
                svc.set(row, state="Paused", reason=f"Inconclusive: {cand['requests']} {'mirrored ' if mirrored else ''}requests reached "
                        f"the candidate in {phase}, fewer than min_requests={plan['min_requests']}; waiting for more traffic")
            return
        history = [*(row.history or []), entry("passed")]
        if row.state == "Mirroring":
            self._enter_step(row, 0, history)
        elif row.step + 1 < len(plan["steps"]):
            self._enter_step(row, row.step + 1, history)
        else:
            self._complete(row, history)

    def _alerted(self, row: RolloutRow) -> str | None:
        """``rollback_if.drift``: an alert since the rollout began, from a monitor watching its endpoint."""
        watched = (row.plan.get("rollback_if") or {}).get("drift")
        if not watched:
            return None
        from ..monitoring.tables import AlertRow, MonitorRow

        q = (select(AlertRow.monitor, AlertRow.message).join(MonitorRow, MonitorRow.name == AlertRow.monitor)
             .where(MonitorRow.endpoint == row.endpoint, AlertRow.created_at >= row.created_at).order_by(AlertRow.id).limit(1))
        if watched != "any":
            q = q.where(AlertRow.monitor.in_(list(watched)))
        with self.store.session() as s:
            found = s.execute(q).first()
        return f"monitor {found[0]} raised an alert during the rollout: {found[1]}" if found else None

    def _enter_mirror(self, row: RolloutRow, history: list | None = None) -> None:
        self._mirror(row, MAX_MIRROR)
        self.rollouts.set(row, state="Mirroring", phase_started_at=self.rollouts.clock(), reason=None,
                          counters=measure.read(self.endpoints, row.endpoint) or {}, history=history if history is not None else row.history)

    def _enter_step(self, row: RolloutRow, index: int, history: list | None = None) -> None:
        plan = row.plan
        history = history if history is not None else row.history
        last = index == len(plan["steps"]) - 1
        if last and row.require_approval and row.approved_at is None and not row.dry_run:
            self.rollouts.set(row, state="AwaitingApproval", step=index - 1, history=history,
                              reason=f"waiting for approval before the candidate takes all traffic ({plan['steps'][index]}%)")
            return
        percent = plan["steps"][index]
        if row.dry_run:
            self._mirror(row, min(percent, MAX_MIRROR))
        else:
            self._mirror(row, 0)
            self.endpoints.set_traffic(row.endpoint, {row.baseline: 100 - percent, row.candidate: percent})
        log.info("rollout %s: step %s%% on %s", row.id, percent, row.candidate)
        self.rollouts.set(row, state="Progressing", step=index, phase_started_at=self.rollouts.clock(), reason=None,
                          counters=measure.read(self.endpoints, row.endpoint) or {}, history=history)

    def _complete(self, row: RolloutRow, history: list) -> None:
        svc = self.rollouts
        now = svc.clock()
        if row.dry_run:
            self._mirror(row, 0)
            svc.set(row, state="Completed", history=history, finished_at=now,
                    reason="dry run: every step passed on mirrored traffic; nothing was promoted and the baseline still serves")
            return
        name, version = row.model.rsplit(":", 1)
        svc.models.set_alias(name, "champion", version)
        svc.set(row, state="Completed", history=history, finished_at=now, reason=f"{row.model} is now champion",
                delete_baseline_at=now + timedelta(seconds=float(row.plan.get("grace_s", 60))))
        log.info("rollout %s completed: %s takes all traffic on %s", row.id, row.model, row.endpoint)

    def _mirror(self, row: RolloutRow, percent: int) -> None:
        ep = self.endpoints.get_endpoint(row.endpoint)
        current = dict(ep.mirror_traffic or {})
        if current.get(row.candidate, 0) == percent:
            return
        current.pop(row.candidate, None)
        if percent:
            current[row.candidate] = percent
        self.endpoints.set_traffic(row.endpoint, current, mirror=True)

    def _retire_baseline(self, row: RolloutRow) -> None:
        if row.delete_baseline_at is None or self.rollouts.clock() < row.delete_baseline_at:
            return
        try:
            ep = self.endpoints.get_endpoint(row.endpoint)
            if row.baseline in ep.deployments and not (ep.traffic or {}).get(row.baseline):
                self.endpoints.delete_deployment(row.endpoint, row.baseline)
        except NotFound:
            pass
        self.rollouts.set(row, baseline_deleted=True)
