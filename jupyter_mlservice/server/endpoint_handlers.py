"""REST handlers of online endpoints and their deployments."""

from __future__ import annotations

from ..core.endpoints.schemas import (
    Deployment,
    DeploymentCreate,
    DeploymentList,
    DeploymentUpdate,
    Endpoint,
    EndpointCreate,
    EndpointHistory,
    EndpointRestore,
    EndpointKeys,
    EndpointMetrics,
    EndpointPage,
    EndpointUpdate,
    InvokeRequest,
    InvokeResponse,
    KeyRegenerate,
    MirrorSet,
    TrafficSet,
)
from ..core.schemas import LogChunk
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


class _Base(MLServiceHandler):
    @property
    def endpoints(self):
        return self.workspace.endpoints


class EndpointsHandler(_Base):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.endpoints.list_endpoints, **self.page_args(100)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(EndpointCreate)
        self.reply(await self.run(self.endpoints.create_endpoint, body), status=201)


class EndpointHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.endpoints.get_endpoint, name))

    @authenticated
    @authorized
    async def patch(self, name: str):
        body = self.parse(EndpointUpdate)
        self.reply(await self.run(self.endpoints.update_endpoint, name, body.description))

    @authenticated
    @authorized
    async def delete(self, name: str):
        await self.run(self.endpoints.delete_endpoint, name)
        self.no_content()


class KeysHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.endpoints.keys, name))


class KeyRegenerateHandler(_Base):
    @authenticated
    @authorized
    async def post(self, name: str):
        body = self.parse(KeyRegenerate)
        self.reply(await self.run(self.endpoints.regenerate_key, name, body.key))


class TrafficHandler(_Base):
    @authenticated
    @authorized
    async def put(self, name: str):
        body = self.parse(TrafficSet)
        self.reply(await self.run(self.endpoints.set_traffic, name, body.traffic))


class MirrorHandler(_Base):
    @authenticated
    @authorized
    async def put(self, name: str):
        body = self.parse(MirrorSet)
        self.reply(await self.run(self.endpoints.set_traffic, name, body.mirror_traffic, True))


class InvokeHandler(_Base):
    @authenticated
    @authorized
    async def post(self, name: str):
        body = self.parse(InvokeRequest)
        self.reply(await self.run(self.endpoints.invoke, name, body))


class EndpointMetricsHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.endpoints.metrics, name))


class DeploymentsHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(DeploymentList(items=await self.run(self.endpoints.list_deployments, name)))

    @authenticated
    @authorized
    async def post(self, name: str):
        body = self.parse(DeploymentCreate)
        self.reply(await self.run(self.endpoints.create_deployment, name, body), status=201)


class DeploymentHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str, deployment: str):
        self.reply(await self.run(self.endpoints.get_deployment, name, deployment))

    @authenticated
    @authorized
    async def patch(self, name: str, deployment: str):
        body = self.parse(DeploymentUpdate)
        self.reply(await self.run(self.endpoints.update_deployment, name, deployment, body))

    @authenticated
    @authorized
    async def delete(self, name: str, deployment: str):
        await self.run(self.endpoints.delete_deployment, name, deployment)
        self.no_content()


class DeploymentLogsHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str, deployment: str):
        offset = self.query_int("offset", 0, low=0, high=2**62)
        self.reply(await self.run(self.endpoints.logs, name, deployment, offset))


T = "endpoints"
OPS = [
    Op("GET", "/endpoints", EndpointsHandler, "listEndpoints", "Online endpoints, by name.", EndpointPage, query=PAGE, tag=T),
    Op("POST", "/endpoints", EndpointsHandler, "createEndpoint", "Create an endpoint (stable URI and keys).", Endpoint, EndpointCreate, 201, tag=T),
    Op("GET", "/endpoints/{name}", EndpointHandler, "getEndpoint", "An endpoint.", Endpoint, tag=T),
    Op("PATCH", "/endpoints/{name}", EndpointHandler, "updateEndpoint", "Change the description.", Endpoint, EndpointUpdate, tag=T),
    Op("DELETE", "/endpoints/{name}", EndpointHandler, "deleteEndpoint", "Stop and delete an endpoint and its deployments.", None, status=204, tag=T),
    Op("GET", "/endpoints/{name}/keys", KeysHandler, "getEndpointKeys", "Primary and secondary keys.", EndpointKeys, tag=T),
    Op("POST", "/endpoints/{name}/keys/regenerate", KeyRegenerateHandler, "regenerateEndpointKey", "Replace one key.", EndpointKeys, KeyRegenerate, tag=T),
    Op("PUT", "/endpoints/{name}/traffic", TrafficHandler, "setEndpointTraffic", "Split live traffic between deployments.", Endpoint, TrafficSet, tag=T),
    Op("PUT", "/endpoints/{name}/mirror", MirrorHandler, "setEndpointMirror", "Copy a share of requests to deployments.", Endpoint, MirrorSet, tag=T),
    Op("POST", "/endpoints/{name}/invoke", InvokeHandler, "invokeEndpoint", "Send a test request through the endpoint.", InvokeResponse, InvokeRequest, tag=T),
    Op("GET", "/endpoints/{name}/metrics", EndpointMetricsHandler, "getEndpointMetrics", "Requests, errors and latency per deployment.", EndpointMetrics, tag=T),
    Op("GET", "/endpoints/{name}/deployments", DeploymentsHandler, "listDeployments", "Deployments of an endpoint.", DeploymentList, tag=T),
    Op("POST", "/endpoints/{name}/deployments", DeploymentsHandler, "createDeployment", "Deploy a model version (answers at once; status goes Creating -> Healthy | Failed).", Deployment, DeploymentCreate, 201, tag=T),
    Op("GET", "/endpoints/{name}/deployments/{deployment}", DeploymentHandler, "getDeployment", "A deployment with its health.", Deployment, tag=T),
    Op("PATCH", "/endpoints/{name}/deployments/{deployment}", DeploymentHandler, "updateDeployment", "Change model, replicas or settings (zero downtime).", Deployment, DeploymentUpdate, tag=T),
    Op("DELETE", "/endpoints/{name}/deployments/{deployment}", DeploymentHandler, "deleteDeployment", "Delete a deployment (409 while it takes traffic).", None, status=204, tag=T),
    Op(
        "GET", "/endpoints/{name}/deployments/{deployment}/logs", DeploymentLogsHandler, "getDeploymentLogs", "The deployment's log from a byte offset.", LogChunk,
        query=(Query("offset", "integer", "Byte offset."),), tag=T,
    ),
]


class EndpointHistoryHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        at = self.query_time("at")
        self.reply(await self.run(self.endpoints.history, name, at, self.query_int("limit", 100)))


class EndpointRestoreHandler(_Base):
    @authenticated
    @authorized
    async def post(self, name: str):
        body = self.parse(EndpointRestore)
        self.reply(await self.run(self.endpoints.restore, name, body.at))


OPS += [
    Op("GET", "/endpoints/{name}/history", EndpointHistoryHandler, "getEndpointHistory",
       "What the endpoint served and since when (traffic, mirror, each deployment's model version), newest first; `at`: the entry in force then.",
       EndpointHistory, query=(Query("at", description="An instant (ISO 8601; naive = UTC)."), Query("limit", "integer", "At most this many entries.")), tag=T),
    Op("POST", "/endpoints/{name}/restore", EndpointRestoreHandler, "restoreEndpoint",
       "Serve again what the endpoint served at an instant (its traffic split), when those deployments still serve the same versions.",
       Endpoint, EndpointRestore, tag=T),
]
