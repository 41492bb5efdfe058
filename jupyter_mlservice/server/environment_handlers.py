"""REST handlers of environments."""

from __future__ import annotations

from ..core.environments.schemas import Environment, EnvironmentCreate, EnvironmentLog, EnvironmentPage
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


class EnvironmentsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        page = await self.run(self.workspace.environments.list, self.get_query_argument("name", None), **self.page_args(100))
        self.reply(page)

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(EnvironmentCreate)
        self.reply(await self.run(self.workspace.environments.create, body), status=201)


class EnvironmentHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, ref: str):
        self.reply(await self.run(self.workspace.environments.get, ref))


class EnvironmentBuildHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, ref: str):
        self.reply(await self.run(self.workspace.environments.build, ref))


class EnvironmentLogHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, ref: str):
        offset = self.query_int("offset", 0, low=0, high=2**62)
        self.reply(await self.run(self.workspace.environments.logs, ref, offset))


OPS = [
    Op("GET", "/environments", EnvironmentsHandler, "listEnvironments", "Environments: the latest version of each, or every version of `name`.",
       EnvironmentPage, query=(Query("name", description="Every version of this environment, newest first."), *PAGE), tag="environments"),
    Op("POST", "/environments", EnvironmentsHandler, "createEnvironment",
       "Create an environment version (resolved now; built in the background or on first use).", Environment, EnvironmentCreate, 201,
       tag="environments"),
    Op("GET", "/environments/{ref}", EnvironmentHandler, "getEnvironment", "An environment: `sk12@1`, or `sk12` (latest).", Environment,
       tag="environments"),
    Op("POST", "/environments/{ref}/build", EnvironmentBuildHandler, "buildEnvironment",
       "Build now, or wait for the build in progress; a failure is a 400 naming the requirement.", Environment, tag="environments"),
    Op("GET", "/environments/{ref}/logs", EnvironmentLogHandler, "getEnvironmentLogs", "The build log from a byte offset.", EnvironmentLog,
       query=(Query("offset", "integer", "Byte offset (the offset of the previous chunk)."),), tag="environments"),
]
