"""REST handlers of the model registry."""

from __future__ import annotations

from ..core.registry.schemas import (
    AliasHistory,
    AliasSet,
    ModelRegister,
    ModelUpdate,
    ModelVersion,
    ModelVersionList,
    RegisteredModel,
    RegisteredModelPage,
)
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


class ModelsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        page = self.page_args(100)
        self.reply(await self.run(self.workspace.models.list, page["limit"], page["cursor"], self.get_query_argument("filter", None)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(ModelRegister)
        mv = await self.run(
            self.workspace.models.register,
            body.name,
            job_id=body.job_id,
            run_id=body.run_id,
            path=body.path,
            local_path=body.local_path,
            tags=body.tags,
            description=body.description,
        )
        self.reply(mv, status=201)


class ModelHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.workspace.models.get, name))

    @authenticated
    @authorized
    async def patch(self, name: str):
        body = self.parse(ModelUpdate)
        self.reply(await self.run(self.workspace.models.update_model, name, body.description, body.tags))

    @authenticated
    @authorized
    async def delete(self, name: str):
        await self.run(self.workspace.models.delete_model, name)
        self.no_content()


class ModelVersionsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(ModelVersionList(items=await self.run(self.workspace.models.versions, name)))


class ModelVersionHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str, version: str):
        self.reply(await self.run(self.workspace.models.version, name, version))

    @authenticated
    @authorized
    async def patch(self, name: str, version: str):
        body = self.parse(ModelUpdate)
        mv = await self.run(self.workspace.models.update_version, name, version, body.description, body.tags)
        self.reply(mv)

    @authenticated
    @authorized
    async def delete(self, name: str, version: str):
        await self.run(self.workspace.models.delete_version, name, version)
        self.no_content()


class ModelAliasHistoryHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str):
        alias = self.get_query_argument("alias", None)
        self.reply(await self.run(self.workspace.models.alias_history, name, alias, self.query_int("limit", 100)))


class ModelAliasHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def put(self, name: str, alias: str):
        body = self.parse(AliasSet)
        self.reply(await self.run(self.workspace.models.set_alias, name, alias, body.version))

    @authenticated
    @authorized
    async def delete(self, name: str, alias: str):
        await self.run(self.workspace.models.delete_alias, name, alias)
        self.no_content()


class ModelResolveHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        ref = self.get_query_argument("ref", "")
        self.reply(await self.run(self.workspace.models.resolve, ref))


T = "models"
OPS = [
    Op("GET", "/models", ModelsHandler, "listModels", "Registered models.", RegisteredModelPage, query=(*PAGE, Query("filter", description="MLflow filter, e.g. name LIKE 'iris%'")), tag=T),
    Op("POST", "/models", ModelsHandler, "registerModel", "Register a model version from a job, a run or a server path.", ModelVersion, ModelRegister, 201, tag=T),
    Op("GET", "/models/resolve", ModelResolveHandler, "resolveModel", "Resolve iris:3, iris@champion or iris (latest).", ModelVersion, query=(Query("ref", description="Model reference."),), tag=T),
    Op("GET", "/models/{name}", ModelHandler, "getModel", "A registered model with its versions.", RegisteredModel, tag=T),
    Op("PATCH", "/models/{name}", ModelHandler, "updateModel", "Change description or tags.", RegisteredModel, ModelUpdate, tag=T),
    Op("DELETE", "/models/{name}", ModelHandler, "deleteModel", "Delete a model and all its versions.", None, status=204, tag=T),
    Op("GET", "/models/{name}/versions", ModelVersionsHandler, "listModelVersions", "Versions, newest first.", ModelVersionList, tag=T),
    Op("GET", "/models/{name}/versions/{version}", ModelVersionHandler, "getModelVersion", "A version with its lineage.", ModelVersion, tag=T),
    Op("PATCH", "/models/{name}/versions/{version}", ModelVersionHandler, "updateModelVersion", "Change a version's description or tags.", ModelVersion, ModelUpdate, tag=T),
    Op("DELETE", "/models/{name}/versions/{version}", ModelVersionHandler, "deleteModelVersion", "Delete a version.", None, status=204, tag=T),
    Op("GET", "/models/{name}/alias-history", ModelAliasHistoryHandler, "getModelAliasHistory",
       "Where each alias pointed and since when, newest first (aliases set through the service).", AliasHistory,
       query=(Query("alias", description="Only this alias."), Query("limit", "integer", "At most this many changes.")), tag=T),
    Op("PUT", "/models/{name}/aliases/{alias}", ModelAliasHandler, "setModelAlias", "Point an alias at a version.", ModelVersion, AliasSet, tag=T),
    Op("DELETE", "/models/{name}/aliases/{alias}", ModelAliasHandler, "deleteModelAlias", "Remove an alias.", None, status=204, tag=T),
]
