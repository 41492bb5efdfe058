"""REST handlers of progressive rollouts."""

from __future__ import annotations

from ..core.rollouts.schemas import Rollout, RolloutCreate, RolloutPage
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


def _user(handler) -> str:
    return getattr(handler.current_user, "username", "") or ""


class RolloutsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        endpoint = self.get_query_argument("endpoint", None)
        self.reply(await self.run(self.workspace.rollouts.list, endpoint, **self.page_args(50)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(RolloutCreate)
        self.reply(await self.run(self.workspace.rollouts.start, body, _user(self)), status=201)


class RolloutHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, rollout_id: str):
        self.reply(await self.run(self.workspace.rollouts.get, rollout_id))


class RolloutApproveHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, rollout_id: str):
        self.reply(await self.run(self.workspace.rollouts.approve, rollout_id, _user(self)))


class RolloutAbortHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, rollout_id: str):
        self.reply(await self.run(self.workspace.rollouts.abort, rollout_id, _user(self)))


T = "rollouts"
OPS = [
    Op("GET", "/rollouts", RolloutsHandler, "listRollouts", "Rollouts, newest first; `endpoint` filters.", RolloutPage,
       query=(Query("endpoint", description="Only this endpoint's."), *PAGE), tag=T),
    Op("POST", "/rollouts", RolloutsHandler, "startRollout",
       "Deploy a candidate model version next to the deployment serving an endpoint and move traffic to it step by step, "
       "judging each step against the baseline; rolls back by itself on a breach.", Rollout, RolloutCreate, 201, tag=T),
    Op("GET", "/rollouts/{rollout_id}", RolloutHandler, "getRollout", "A rollout: its state, traffic and what each step measured.", Rollout, tag=T),
    Op("POST", "/rollouts/{rollout_id}/approve", RolloutApproveHandler, "approveRollout",
       "Approve a rollout that requires it (recorded with the Jupyter user).", Rollout, tag=T),
    Op("POST", "/rollouts/{rollout_id}/abort", RolloutAbortHandler, "abortRollout", "Shift all traffic back to the baseline now.", Rollout, tag=T),
]
