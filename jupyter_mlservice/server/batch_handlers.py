"""Live progress of a job (batch: mini-batches and rows/s; notebook: cells). Batch jobs
themselves are submitted through POST /jobs with kind `batch`."""

from __future__ import annotations

import json

from ..core.errors import NotFound
from ..core.schemas import Model
from .base import MLServiceHandler, authenticated, authorized


def read_progress(workspace, job_id: str) -> dict:
    job = workspace.jobs.get(job_id)  # 404 for an unknown job
    path = workspace.jobs.job_dir(job_id) / "progress.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        if job.kind not in ("batch", "notebook"):
            raise NotFound(f"job {job_id} is a {job.kind} job; only batch and notebook jobs report progress") from None
        data = {"kind": job.kind, "status": "queued" if not job.status.is_terminal else "not started"}
    except ValueError:  # caught mid-write by a filesystem without atomic rename: try next time
        data = {"kind": job.kind, "status": "unknown"}
    data["job_status"] = job.status.value
    return data


class JobProgress(Model):
    model_config = {"extra": "allow"}

    kind: str
    status: str
    job_status: str


class JobProgressHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, job_id: str):
        self.reply(await self.run(read_progress, self.workspace, job_id))


def _ops():
    from .routes import Op

    return [
        Op(
            "GET", "/jobs/{job_id}/progress", JobProgressHandler, "getJobProgress",
            "Live progress: batch (mini_batches_done/total, rows_per_s, failures) or notebook (cells_done/total, failed_cell).",
            JobProgress, tag="jobs",
        ),
    ]
