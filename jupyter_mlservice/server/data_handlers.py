"""REST handlers of data assets and of lineage."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from tornado import web

from ..core.data.schemas import (
    DataAliasSet,
    DataAsset,
    DataAssetPage,
    DataCreate,
    DataFilePage,
    DataLineage,
    DataProfile,
    DataProfileRequest,
    DataUpdate,
    DataVersion,
    DataVersionPage,
)
from ..core.lineage import Node
from ..core.lineage.schemas import LineageGraph
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query

DOWNLOAD_CHUNK = 4 * 2**20


class DataHandlerBase(MLServiceHandler):
    @property
    def data(self):
        return self.workspace.data

    def query_bool(self, name: str, default: bool = False) -> bool:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        if raw.lower() in ("1", "true", "yes"):
            return True
        if raw.lower() in ("0", "false", "no"):
            return False
        raise web.HTTPError(400, f"query parameter {name} must be true or false", reason="InvalidRequest")


class DataAssetsHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self):
        page = await self.run(
            self.data.list_assets, **self.page_args(100),
            include_archived=self.query_bool("include_archived"), prefix=self.get_query_argument("prefix", None),
        )
        self.reply(page)

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(DataCreate)
        version = await self.run(self.data.create, body)
        self.reply(version, status=200 if version.deduplicated else 201)


class DataResolveHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.data.resolve, self.get_query_argument("ref", "")))


class DataAssetHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.data.get_asset, name))

    @authenticated
    @authorized
    async def patch(self, name: str):
        self.reply(await self.run(self.data.update_asset, name, self.parse(DataUpdate)))


class DataVersionsHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self, name: str):
        page = await self.run(
            self.data.versions, name, **self.page_args(100), include_archived=self.query_bool("include_archived", True),
        )
        self.reply(page)


class DataVersionHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self, name: str, version: str):
        self.reply(await self.run(self.data.version, name, version))

    @authenticated
    @authorized
    async def patch(self, name: str, version: str):
        self.reply(await self.run(self.data.update_version, name, version, self.parse(DataUpdate)))


class DataAliasHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def put(self, name: str, alias: str):
        body = self.parse(DataAliasSet)
        self.reply(await self.run(self.data.set_alias, name, alias, body.version))

    @authenticated
    @authorized
    async def delete(self, name: str, alias: str):
        await self.run(self.data.delete_alias, name, alias)
        self.set_status(204)
        self.finish()


class DataProfileHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self, name: str, version: str):
        self.reply(await self.run(self.data.profile, name, version))

    @authenticated
    @authorized
    async def post(self, name: str, version: str):
        body = self.parse(DataProfileRequest)
        self.reply(await self.run(self.data.start_profile, name, version, body.target), status=202)


class DataFilesHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self, name: str, version: str):
        self.reply(await self.run(self.data.files, name, version, self.query_int("limit", 1000, high=10000), self.get_query_argument("cursor", None)))


class DataFileDownloadHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self, name: str, version: str):
        rel = self.get_query_argument("path", "")
        path: Path = await self.run(self.data.file_path, name, version, rel)
        f = await asyncio.to_thread(open, path, "rb")
        try:
            self.set_header("Content-Type", "application/octet-stream")
            self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(Path(rel).name)}")
            self.set_header("Content-Length", str(await asyncio.to_thread(lambda: path.stat().st_size)))
            # streamed: a large file never sits whole in the server's memory
            while chunk := await asyncio.to_thread(f.read, DOWNLOAD_CHUNK):
                self.write(chunk)
                await self.flush()
        finally:
            f.close()
        self.finish()


class DataLineageHandler(DataHandlerBase):
    @authenticated
    @authorized
    async def get(self, name: str, version: str):
        self.reply(await self.run(self.data.lineage, f"{name}@{version}"))


class LineageHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        node_type = self.get_query_argument("type", "")
        node_id = self.get_query_argument("id", "")
        if not node_type or not node_id:
            raise web.HTTPError(400, "give type (data_version, job, model_version, deployment, evaluation, rollout, trigger) and id "
                                     "(e.g. iris@2, job-..., iris:3, ep/blue, ev-..., ro-..., retrain)", reason="InvalidRequest")
        direction = self.get_query_argument("direction", "both")
        depth = self.query_int("depth", 6, high=20)
        self.reply(await self.run(self.workspace.lineage.graph, Node(node_type, node_id), direction, depth))


_V = "/data/{name}/versions/{version}"

OPS = [
    Op("GET", "/data", DataAssetsHandler, "listDataAssets", "Data assets by name.", DataAssetPage,
       query=(*PAGE, Query("include_archived", "boolean", "Also list archived assets."), Query("prefix", description="Names starting with this.")), tag="data"),
    Op("POST", "/data", DataAssetsHandler, "createDataVersion",
       "Register a version of a data asset (the asset is created with v1); 200 with the existing version when identical content is already one.",
       DataVersion, DataCreate, 201, tag="data"),
    Op("GET", "/data/resolve", DataResolveHandler, "resolveDataVersion", "Resolve iris, iris@2, iris@prod (or data:iris@2).", DataVersion,
       query=(Query("ref", description="Data reference."),), tag="data"),
    Op("GET", "/data/{name}", DataAssetHandler, "getDataAsset", "A data asset with its aliases.", DataAsset, tag="data"),
    Op("PATCH", "/data/{name}", DataAssetHandler, "updateDataAsset", "Change description or tags; archive or restore the asset.", DataAsset, DataUpdate, tag="data"),
    Op("GET", "/data/{name}/versions", DataVersionsHandler, "listDataVersions", "Versions, newest first.", DataVersionPage,
       query=(*PAGE, Query("include_archived", "boolean", "Include archived versions (default true).")), tag="data"),
    Op("GET", _V, DataVersionHandler, "getDataVersion", "A version.", DataVersion, tag="data"),
    Op("PATCH", _V, DataVersionHandler, "updateDataVersion", "Change a version's description or tags; archive or restore it.", DataVersion, DataUpdate, tag="data"),
    Op("PUT", "/data/{name}/aliases/{alias}", DataAliasHandler, "setDataAlias", "Point an alias at a version.", DataVersion, DataAliasSet, tag="data"),
    Op("DELETE", "/data/{name}/aliases/{alias}", DataAliasHandler, "deleteDataAlias", "Remove an alias.", None, status=204, tag="data"),
    Op("GET", _V + "/profile", DataProfileHandler, "getDataProfile", "The version's profile (and the job computing it).", DataProfile, tag="data"),
    Op("POST", _V + "/profile", DataProfileHandler, "computeDataProfile", "Compute the profile again, in a job on a target.", DataProfile, DataProfileRequest, 202, tag="data"),
    Op("GET", _V + "/files", DataFilesHandler, "listDataFiles", "The version's files with size and sha256.", DataFilePage,
       query=(Query("limit", "integer", "Items per page (1-10000)."), Query("cursor", description="next_cursor of the previous page.")), tag="data"),
    Op("GET", _V + "/files/download", DataFileDownloadHandler, "downloadDataFile", "Download one file of a version.",
       {"type": "string", "format": "binary"}, query=(Query("path", description="File path, as listed by listDataFiles."),), tag="data"),
    Op("GET", _V + "/lineage", DataLineageHandler, "getDataLineage", "Jobs that read the version, models and deployments made from them; the job that wrote it.", DataLineage, tag="data"),
    Op("GET", "/lineage", LineageHandler, "getLineage", "The lineage graph around any node, read both ways.", LineageGraph,
       query=(Query("type", description="data_version, job, model_version or deployment."), Query("id", description="iris@2, job-..., iris:3, endpoint/deployment."),
              Query("direction", description="upstream, downstream or both (default)."), Query("depth", "integer", "Edges to follow (1-20, default 6).")),
       tag="lineage"),
]
