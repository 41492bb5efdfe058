"""REST handlers of jobs: submit, list, wait, cancel, rerun, logs, metrics, artifacts, progress."""

from __future__ import annotations

import asyncio
import mimetypes
import shutil
import tempfile
from pathlib import Path

from pydantic import TypeAdapter
from tornado import web

from ..core.experiments.schemas import ArtifactList, JobMetrics
from ..core.jobs.schemas import Job, JobPage, JobProgress, JobSpec
from ..core.schemas import LogChunk
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query

JOB_SPEC = TypeAdapter(JobSpec)


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
            **self.page_args(50),
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
        self.reply(ArtifactList(items=await self.run(self.workspace.jobs.artifacts, job_id)))


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


class JobProgressHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, job_id: str):
        self.reply(await self.run(self.workspace.jobs.progress, job_id))


T = "jobs"
OPS = [
    Op(
        "GET", "/jobs", JobsHandler, "listJobs", "List jobs, newest first.", JobPage,
        query=(
            Query("status", description="Comma-separated statuses."),
            Query("target"),
            Query("experiment"),
            Query("tag", description="key=value; repeat to require several.", repeated=True),
            Query("parent", description="Only the child jobs of this parent job (a sweep's trials...)."),
            Query("kind", description="Only jobs of these kinds, comma-separated (command, notebook, sweep, automl...)."),
            *PAGE,
        ),
        tag=T,
    ),
    Op("POST", "/jobs", JobsHandler, "submitJob", "Submit a command, notebook or code job.", Job, JobSpec, 201, tag=T),
    Op("GET", "/jobs/{job_id}", JobHandler, "getJob", "Get a job.", Job, tag=T),
    Op(
        "GET", "/jobs/{job_id}/wait", JobWaitHandler, "waitJob", "Answer once the job ended, or after timeout seconds.", Job,
        query=(Query("timeout", "integer", "Seconds to wait at most (0-300, default 30)."),), tag=T,
    ),
    Op("POST", "/jobs/{job_id}/cancel", JobCancelHandler, "cancelJob", "Cancel a queued or running job.", Job, tag=T),
    Op("POST", "/jobs/{job_id}/rerun", JobRerunHandler, "rerunJob", "Submit the job's spec again as a new job.", Job, status=201, tag=T),
    Op(
        "GET", "/jobs/{job_id}/logs", JobLogsHandler, "getJobLogs", "Read the job's log from a byte offset.", LogChunk,
        query=(Query("offset", "integer", "Byte offset (the offset of the previous chunk)."),), tag=T,
    ),
    Op("GET", "/jobs/{job_id}/metrics", JobMetricsHandler, "getJobMetrics", "Metric histories and params of the job's run.", JobMetrics, tag=T),
    Op("GET", "/jobs/{job_id}/artifacts", JobArtifactsHandler, "listJobArtifacts", "Artifacts of the job's run.", ArtifactList, tag=T),
    Op(
        "GET", "/jobs/{job_id}/artifacts/download", JobArtifactDownloadHandler, "downloadJobArtifact", "Download one artifact file.",
        {"type": "string", "format": "binary"}, query=(Query("path", description="Artifact path."),), tag=T,
    ),
    Op(
        "GET", "/jobs/{job_id}/progress", JobProgressHandler, "getJobProgress",
        "Live progress: batch (mini_batches_done/total, rows_per_s, failures) or notebook (cells_done/total, failed_cell).",
        JobProgress, tag=T,
    ),
]
