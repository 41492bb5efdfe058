"""Thin REST handlers: parse, call one service method, reply. Routes are declared in routes.py."""

from __future__ import annotations

import asyncio
import mimetypes
import shutil
import tempfile
from pathlib import Path

from tornado import web

from ..core import schemas as S
from ..core.schemas import JobSpec, TargetCreate, TargetUpdate
from .base import MLServiceHandler, authenticated, authorized

JOB_SPEC = __import__("pydantic").TypeAdapter(JobSpec)


class InfoHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.extensionapp.info))


class OpenAPIHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        from .openapi import openapi_document

        self.reply(openapi_document())


# ---- targets ---------------------------------------------------------------------------------


class TargetsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        page = await self.run(
            self.workspace.targets.list, limit=self.query_int("limit", 100), cursor=self.get_query_argument("cursor", None)
        )
        self.reply(page)

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
        self.set_status(204)
        self.finish()


# ---- jobs ------------------------------------------------------------------------------------


class JobsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        tags = {}
        for raw in self.get_query_arguments("tag"):
            key, sep, value = raw.partition("=")
            if not sep:
                raise web.HTTPError(400, "tag filters look like tag=key=value", reason="InvalidRequest")
            tags[key] = value
        page = await self.run(
            self.workspace.jobs.list,
            status=self.get_query_argument("status", None),
            target=self.get_query_argument("target", None),
            experiment=self.get_query_argument("experiment", None),
            tag=tags or None,
            parent=self.get_query_argument("parent", None),
            kind=self.get_query_argument("kind", None),
            limit=self.query_int("limit", 50),
            cursor=self.get_query_argument("cursor", None),
        )
        self.reply(page)

    @authenticated
    @authorized
    async def post(self):
        spec = self.parse(JOB_SPEC)
        self.reply(await self.run(self.workspace.jobs.submit, spec), status=201)


class JobHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, job_id: str):
        self.reply(await self.run(self.workspace.jobs.get, job_id))

    @authenticated
    @authorized
    async def delete(self, job_id: str):
        await self.run(self.workspace.jobs.delete, job_id)
        self.set_status(204)
        self.finish()


class JobWaitHandler(MLServiceHandler):
    """Long poll: answers when the job has ended, or after `timeout` seconds with its status."""

    @authenticated
    @authorized
    async def get(self, job_id: str):
        timeout = self.query_int("timeout", 30, low=0, high=300)
        changed = self.extensionapp.job_waiter(job_id)
        try:
            job = await self.run(self.workspace.jobs.get, job_id)
            if not job.status.is_terminal and timeout:
                try:
                    await asyncio.wait_for(changed, timeout)
                except asyncio.TimeoutError:
                    pass
                job = await self.run(self.workspace.jobs.get, job_id)
        finally:
            self.extensionapp.drop_waiter(job_id, changed)
        self.reply(job)


class JobCancelHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, job_id: str):
        self.reply(await self.run(self.workspace.jobs.cancel, job_id))


class JobRerunHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def post(self, job_id: str):
        self.reply(await self.run(self.workspace.jobs.rerun, job_id), status=201)


class JobLogsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, job_id: str):
        offset = self.query_int("offset", 0, low=0, high=2**62)
        self.reply(await self.run(self.workspace.jobs.logs, job_id, offset))


class JobMetricsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, job_id: str):
        self.reply(await self.run(self.workspace.jobs.metrics, job_id))


class JobArtifactsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, job_id: str):
        self.reply({"items": await self.run(self.workspace.jobs.artifacts, job_id)})


class JobArtifactDownloadHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, job_id: str):
        path = self.get_query_argument("path", "")
        job = await self.run(self.workspace.jobs.get, job_id)
        tmp = Path(tempfile.mkdtemp(prefix="mlservice-dl-"))
        try:
            local = await self.run(self.workspace.experiments.download_artifact, job.run_id, path, tmp)
            if local.is_dir():
                raise web.HTTPError(400, f"{path!r} is a folder; download the files in it", reason="InvalidRequest")
            self.set_header("Content-Type", mimetypes.guess_type(local.name)[0] or "application/octet-stream")
            self.set_header("Content-Disposition", f'attachment; filename="{local.name}"')
            data = await asyncio.to_thread(local.read_bytes)
            self.finish(data)
        finally:
            await asyncio.to_thread(shutil.rmtree, tmp, True)


# ---- experiments -----------------------------------------------------------------------------


class ExperimentsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        page = await self.run(
            self.workspace.experiments.list_experiments,
            self.query_int("limit", 100),
            self.get_query_argument("cursor", None),
        )
        self.reply(S.ExperimentPage.model_validate(page))


class RunMetricsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, run_id: str):
        metrics, params = await self.run(self.workspace.experiments.metrics, run_id)
        self.reply({"run_id": run_id, "metrics": metrics, "params": params})


class ExperimentRunsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, experiment_id: str):
        page = await self.run(
            self.workspace.experiments.list_runs,
            experiment_id,
            self.query_int("limit", 50),
            self.get_query_argument("cursor", None),
            self.get_query_argument("order_by", None),
            self.get_query_argument("filter", ""),
        )
        self.reply(S.RunPage.model_validate(page))

