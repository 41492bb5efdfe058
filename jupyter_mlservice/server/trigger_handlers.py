"""REST handlers of triggers."""

from __future__ import annotations

from ..core.triggers.schemas import Trigger, TriggerCreate, TriggerFire, TriggerFiring, TriggerFiringPage, TriggerPage, TriggerUpdate
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op


class TriggersHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.workspace.triggers.list, **self.page_args(100)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(TriggerCreate)
        user = getattr(self.current_user, "username", "") or ""
        self.reply(await self.run(self.workspace.triggers.create, body, user), status=201)


class TriggerHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.workspace.triggers.get, name))

    @authenticated
    @authorized
    async def patch(self, name: str):
        body = self.parse(TriggerUpdate)
        self.reply(await self.run(self.workspace.triggers.update, name, body))

    @authenticated
    @authorized
    async def delete(self, name: str):
        await self.run(self.workspace.triggers.delete, name)
        self.no_content()


class TriggerEnableHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await self.run(self.workspace.triggers.set_enabled, name, True))


class TriggerDisableHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await self.run(self.workspace.triggers.set_enabled, name, False))


class TriggerFireHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, name: str):
        body = self.parse(TriggerFire)
        self.reply(await self.run(self.workspace.triggers.fire_now, name, body.cause), status=201)


class TriggerFiringsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.workspace.triggers.firings, name, **self.page_args(50)))


T = "triggers"
OPS = [
    Op("GET", "/triggers", TriggersHandler, "listTriggers", "List triggers by name.", TriggerPage, query=PAGE, tag=T),
    Op("POST", "/triggers", TriggersHandler, "createTrigger", "Create a trigger: a job spec run once per new data version, model version, alias move, tagged version, monitor alert or cron slot.", Trigger, TriggerCreate, 201, tag=T),
    Op("GET", "/triggers/{name}", TriggerHandler, "getTrigger", "A trigger with its latest firings.", Trigger, tag=T),
    Op("PATCH", "/triggers/{name}", TriggerHandler, "updateTrigger", "Change the description, the job spec or the enabled state.", Trigger, TriggerUpdate, tag=T),
    Op("DELETE", "/triggers/{name}", TriggerHandler, "deleteTrigger", "Delete a trigger and its history (its jobs stay).", None, status=204, tag=T),
    Op("POST", "/triggers/{name}/enable", TriggerEnableHandler, "enableTrigger", "Enable; what happened while disabled does not fire.", Trigger, tag=T),
    Op("POST", "/triggers/{name}/disable", TriggerDisableHandler, "disableTrigger", "Disable; jobs it started go on.", Trigger, tag=T),
    Op("POST", "/triggers/{name}/fire", TriggerFireHandler, "fireTrigger", "Fire now (enabled or not), with an optional cause for the templates.", TriggerFiring, TriggerFire, 201, tag=T),
    Op("GET", "/triggers/{name}/firings", TriggerFiringsHandler, "listTriggerFirings", "The trigger's firings, newest first.", TriggerFiringPage, query=PAGE, tag=T),
]
