"""REST handlers of pipelines and components. Routes are declared in OPS and appended to routes.OPS."""

from __future__ import annotations

from ..core.pipelines.schemas import (
    ComponentCreate, ComponentPage, ComponentVersion, PipelineGraph, PipelineGraphRequest, PipelineRerun, PipelineRun,
    PipelineRunPage, PipelineSubmit,
)
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


class PipelinesHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.workspace.pipelines.list, **self.page_args(50)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(PipelineSubmit)
        self.reply(await self.run(self.workspace.pipelines.submit, body), status=201)


class PipelineGraphHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self):
        body = self.parse(PipelineGraphRequest)
        self.reply(await self.run(self.workspace.pipelines.draw, body.yaml))


class PipelineHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, pipeline_id: str):
        self.reply(await self.run(self.workspace.pipelines.get, pipeline_id))


class PipelineCancelHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, pipeline_id: str):
        self.reply(await self.run(self.workspace.pipelines.cancel, pipeline_id))


class PipelineRerunHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, pipeline_id: str):
        body = self.parse(PipelineRerun)
        self.reply(await self.run(self.workspace.pipelines.rerun, pipeline_id, body.from_step), status=201)


class ComponentsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.workspace.components.list, self.get_query_argument("name", None), **self.page_args(50)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(ComponentCreate)
        self.reply(await self.run(self.workspace.components.create, body), status=201)


class ComponentHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.workspace.components.get, name))


class ComponentVersionHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str, version: str):
        self.reply(await self.run(self.workspace.components.get, f"{name}@{version}"))


TAG = "pipelines"
OPS = [
    Op("GET", "/pipelines", PipelinesHandler, "listPipelineRuns", "Pipeline runs, newest first.", PipelineRunPage, query=PAGE, tag=TAG),
    Op("POST", "/pipelines", PipelinesHandler, "submitPipeline",
       "Submit a pipeline run: the spec is checked (cycles, ports, types, targets, paths) before anything runs.", PipelineRun, PipelineSubmit, 201, tag=TAG),
    # before /pipelines/{pipeline_id}, so "graph" is never taken for a run id
    Op("POST", "/pipelines/graph", PipelineGraphHandler, "drawPipeline",
       "The graph of a *.pipeline.yaml (steps and edges, no statuses), checked like a submit.", PipelineGraph, PipelineGraphRequest, tag=TAG),
    Op("GET", "/pipelines/{pipeline_id}", PipelineHandler, "getPipelineRun",
       "A pipeline run: status, inputs, outputs, steps (job, status, reused_from, why) and edges.", PipelineRun, tag=TAG),
    Op("POST", "/pipelines/{pipeline_id}/cancel", PipelineCancelHandler, "cancelPipelineRun",
       "Cancel the run: running steps are canceled, the rest skipped.", PipelineRun, tag=TAG),
    Op("POST", "/pipelines/{pipeline_id}/rerun", PipelineRerunHandler, "rerunPipeline",
       "Run again as a new run; with from_step, that step and what is downstream run, what is upstream is reused.", PipelineRun, PipelineRerun, 201, tag=TAG),
    Op("GET", "/components", ComponentsHandler, "listComponents", "Registered component versions by name and version.", ComponentPage,
       query=(*PAGE, Query("name", description="Only the versions of this component.")), tag=TAG),
    Op("POST", "/components", ComponentsHandler, "createComponent", "Register a component: a new version of its name.", ComponentVersion,
       ComponentCreate, 201, tag=TAG),
    Op("GET", "/components/{name}", ComponentHandler, "getComponent", "The latest version of a component.", ComponentVersion, tag=TAG),
    Op("GET", "/components/{name}/versions/{version}", ComponentVersionHandler, "getComponentVersion", "One version of a component.",
       ComponentVersion, tag=TAG),
]
