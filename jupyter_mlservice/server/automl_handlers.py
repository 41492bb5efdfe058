"""REST handlers of AutoML runs. Routes are declared in OPS and appended to routes.OPS."""

from __future__ import annotations

from ..core.automl.schemas import AutoMLCreate, AutoMLPage, AutoMLRun
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op


class AutoMLRunsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.workspace.automl.list, **self.page_args(50)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(AutoMLCreate)
        self.reply(await self.run(self.workspace.automl.submit, body), status=201)


class AutoMLRunHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, run_id: str):
        self.reply(await self.run(self.workspace.automl.get, run_id))


class AutoMLCancelHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, run_id: str):
        self.reply(await self.run(self.workspace.automl.cancel, run_id))


TAG = "automl"
OPS = [
    Op("GET", "/automl", AutoMLRunsHandler, "listAutoMLRuns", "AutoML runs, newest first.", AutoMLPage, query=PAGE, tag=TAG),
    Op("POST", "/automl", AutoMLRunsHandler, "submitAutoML", "Start an AutoML run (data checked at once: a bad column or metric is a 400).", AutoMLRun, AutoMLCreate, 201, tag=TAG),
    Op("GET", "/automl/{run_id}", AutoMLRunHandler, "getAutoMLRun", "An AutoML run: parent job, leaderboard, best model, feature importance.", AutoMLRun, tag=TAG),
    Op("POST", "/automl/{run_id}/cancel", AutoMLCancelHandler, "cancelAutoMLRun", "Cancel the run and its searches.", AutoMLRun, tag=TAG),
]
