"""REST handlers of compute targets."""

from __future__ import annotations

from ..core.targets.schemas import Target, TargetCreate, TargetPage, TargetUpdate
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op


class TargetsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.workspace.targets.list, **self.page_args(100)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(TargetCreate)
        self.reply(await self.run(self.workspace.targets.create, body), status=201)


class TargetHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.workspace.targets.get, name))

    @authenticated
    @authorized
    async def patch(self, name: str):
        body = self.parse(TargetUpdate)
        self.reply(await self.run(self.workspace.targets.update, name, body))

    @authenticated
    @authorized
    async def delete(self, name: str):
        await self.run(self.workspace.targets.delete, name)
        self.no_content()


T = "targets"
OPS = [
    Op("GET", "/targets", TargetsHandler, "listTargets", "List compute targets.", TargetPage, query=PAGE, tag=T),
    Op("POST", "/targets", TargetsHandler, "createTarget", "Create a compute target.", Target, TargetCreate, 201, tag=T),
    Op("GET", "/targets/{name}", TargetHandler, "getTarget", "Get a compute target.", Target, tag=T),
    Op("PATCH", "/targets/{name}", TargetHandler, "updateTarget", "Change description or settings.", Target, TargetUpdate, tag=T),
    Op("DELETE", "/targets/{name}", TargetHandler, "deleteTarget", "Delete a target (409 while it has queued or running jobs).", None, status=204, tag=T),
]
