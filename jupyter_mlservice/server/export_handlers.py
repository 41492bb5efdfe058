"""REST handlers of model export (an ONNX export job) and device packages (a zip)."""

from __future__ import annotations

from ..core.export.schemas import ModelExport
from ..core.jobs.schemas import Job
from .base import MLServiceHandler, authenticated, authorized
from .ops import Op, Query


class ModelExportHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, name: str, version: str):
        body = self.parse(ModelExport)
        self.reply(await self.run(self.workspace.exports.export, name, version, body), status=201)


class ModelPackageHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, name: str, version: str):
        target = self.get_query_argument("target", "edge")
        filename, data = await self.run(self.workspace.exports.package, name, version, target)
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="{filename}.zip"')
        self.finish(data)


OPS = [
    Op(
        "POST", "/models/{name}/versions/{version}/export", ModelExportHandler, "exportModelVersion",
        "Convert a version to ONNX as a job; the job registers the result (checked against the original) as a new version.",
        Job, ModelExport, 201, tag="models",
    ),
    Op(
        "GET", "/models/{name}/versions/{version}/package", ModelPackageHandler, "packageModelVersion",
        "A zip of a folder that runs an ONNX version with onnxruntime only (model, score.py, requirements, README).",
        {"type": "string", "format": "binary"}, query=(Query("target", description="`edge` (the only target so far)."),), tag="models",
    ),
]
