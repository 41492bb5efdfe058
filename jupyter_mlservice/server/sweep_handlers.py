"""REST handlers of sweeps. Routes are declared in OPS and appended to routes.OPS."""

from __future__ import annotations

from ..core.sweeps.schemas import Sweep, SweepCreate, SweepPage, SweepTrial, SweepTrialPage
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op


class SweepsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.workspace.sweeps.list, **self.page_args(50)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(SweepCreate)
        self.reply(await self.run(self.workspace.sweeps.submit, body), status=201)


class SweepHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, sweep_id: str):
        self.reply(await self.run(self.workspace.sweeps.get, sweep_id))


class SweepTrialsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, sweep_id: str):
        self.reply(await self.run(self.workspace.sweeps.trials, sweep_id))


class SweepTrialHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, sweep_id: str, number: str):
        if not number.isdigit():
            from tornado import web

            raise web.HTTPError(400, "trial number must be a whole number", reason="InvalidRequest")
        self.reply(await self.run(self.workspace.sweeps.trial, sweep_id, int(number)))


class SweepCancelHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, sweep_id: str):
        self.reply(await self.run(self.workspace.sweeps.cancel, sweep_id))


TAG = "sweeps"
OPS = [
    Op("GET", "/sweeps", SweepsHandler, "listSweeps", "Sweeps, newest first.", SweepPage, query=PAGE, tag=TAG),
    Op("POST", "/sweeps", SweepsHandler, "submitSweep", "Submit a sweep: one trial job per sampled point of the search space.", Sweep, SweepCreate, 201, tag=TAG),
    Op("GET", "/sweeps/{sweep_id}", SweepHandler, "getSweep", "A sweep: its parent job, spec, trial counts and best trial.", Sweep, tag=TAG),
    Op("GET", "/sweeps/{sweep_id}/trials", SweepTrialsHandler, "listSweepTrials", "Every trial with its params, objective, state (pruned: why) and latest metrics.", SweepTrialPage, tag=TAG),
    Op("GET", "/sweeps/{sweep_id}/trials/{number}", SweepTrialHandler, "getSweepTrial", "One trial.", SweepTrial, tag=TAG),
    Op("POST", "/sweeps/{sweep_id}/cancel", SweepCancelHandler, "cancelSweep", "Cancel the sweep and its running trials.", Sweep, tag=TAG),
]
