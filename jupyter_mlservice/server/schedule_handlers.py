"""REST handlers of schedules."""

from __future__ import annotations

from ..core.schedules.schemas import Schedule, ScheduleCreate, SchedulePage, ScheduleRun, ScheduleRunPage, ScheduleUpdate
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


class SchedulesHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.workspace.schedules.list, **self.page_args(100)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(ScheduleCreate)
        self.reply(await self.run(self.workspace.schedules.create, body), status=201)


class ScheduleHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.workspace.schedules.get, name))

    @authenticated
    @authorized
    async def patch(self, name: str):
        body = self.parse(ScheduleUpdate)
        self.reply(await self.run(self.workspace.schedules.update, name, body))

    @authenticated
    @authorized
    async def delete(self, name: str):
        await self.run(self.workspace.schedules.delete, name)
        self.no_content()


class ScheduleEnableHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await self.run(self.workspace.schedules.set_enabled, name, True))


class ScheduleDisableHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await self.run(self.workspace.schedules.set_enabled, name, False))


class ScheduleRunNowHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await self.run(self.workspace.schedules.run_now, name), status=201)


class ScheduleRunsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        page = await self.run(
            self.workspace.schedules.runs, name, state=self.get_query_argument("state", None), **self.page_args(50)
        )
        self.reply(page)


T = "schedules"
OPS = [
    Op("GET", "/schedules", SchedulesHandler, "listSchedules", "List schedules by name.", SchedulePage, query=PAGE, tag=T),
    Op("POST", "/schedules", SchedulesHandler, "createSchedule", "Create a schedule (cron or recurrence) for a job spec.", Schedule, ScheduleCreate, 201, tag=T),
    Op("GET", "/schedules/{name}", ScheduleHandler, "getSchedule", "A schedule with its next run and latest runs.", Schedule, tag=T),
    Op("PATCH", "/schedules/{name}", ScheduleHandler, "updateSchedule", "Change any field; timing changes apply from now.", Schedule, ScheduleUpdate, tag=T),
    Op("DELETE", "/schedules/{name}", ScheduleHandler, "deleteSchedule", "Delete a schedule and its history (its jobs stay).", None, status=204, tag=T),
    Op("POST", "/schedules/{name}/enable", ScheduleEnableHandler, "enableSchedule", "Enable; slots missed while disabled are not run.", Schedule, tag=T),
    Op("POST", "/schedules/{name}/disable", ScheduleDisableHandler, "disableSchedule", "Disable; running jobs go on.", Schedule, tag=T),
    Op("POST", "/schedules/{name}/run", ScheduleRunNowHandler, "runScheduleNow", "Submit a run now (enabled or not).", ScheduleRun, status=201, tag=T),
    Op(
        "GET", "/schedules/{name}/runs", ScheduleRunsHandler, "listScheduleRuns", "The schedule's history, newest slot first.", ScheduleRunPage,
        query=(Query("state", description="Comma-separated: submitted, skipped, waiting, missed, failed, claimed."), *PAGE), tag=T,
    ),
]
