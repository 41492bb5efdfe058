"""Every REST operation, declared once: tornado routes and the OpenAPI document come from here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core import schemas as S
from . import handlers as H

PREFIX = "/mlservice/api"


@dataclass(frozen=True)
class Query:
    name: str
    type: str = "string"
    description: str = ""
    repeated: bool = False


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # OpenAPI style, relative to PREFIX: "/jobs/{job_id}"
    handler: type
    operation_id: str
    summary: str
    response: Any = None  # pydantic model / type, or a raw JSON schema dict
    body: Any = None
    status: int = 200
    query: tuple[Query, ...] = field(default_factory=tuple)
    tag: str = ""


PAGE = (Query("limit", "integer", "Items per page (1-1000)."), Query("cursor", description="next_cursor of the previous page."))
ANY_OBJECT = {"type": "object", "additionalProperties": True}

OPS: list[Op] = [
    Op("GET", "/info", H.InfoHandler, "getInfo", "Workspace locations and versions.", S.Info, tag="workspace"),
    Op("GET", "/openapi.json", H.OpenAPIHandler, "getOpenAPI", "This document.", ANY_OBJECT, tag="workspace"),
    # targets
    Op("GET", "/targets", H.TargetsHandler, "listTargets", "List compute targets.", S.TargetPage, query=PAGE, tag="targets"),
    Op("POST", "/targets", H.TargetsHandler, "createTarget", "Create a compute target.", S.Target, S.TargetCreate, 201, tag="targets"),
    Op("GET", "/targets/{name}", H.TargetHandler, "getTarget", "Get a compute target.", S.Target, tag="targets"),
    Op("PATCH", "/targets/{name}", H.TargetHandler, "updateTarget", "Change description or settings.", S.Target, S.TargetUpdate, tag="targets"),
    Op("DELETE", "/targets/{name}", H.TargetHandler, "deleteTarget", "Delete a target (409 while it has queued or running jobs).", None, status=204, tag="targets"),
    # jobs
    Op(
        "GET", "/jobs", H.JobsHandler, "listJobs", "List jobs, newest first.", S.JobPage,
        query=(
            Query("status", description="Comma-separated statuses."),
            Query("target"),
            Query("experiment"),
            Query("tag", description="key=value; repeat to require several.", repeated=True),
            Query("parent", description="Only the child jobs of this parent job (a sweep's trials...)."),
            Query("kind", description="Only jobs of this kind (command, notebook, sweep, automl...)."),
            *PAGE,
        ),
        tag="jobs",
    ),
    Op("POST", "/jobs", H.JobsHandler, "submitJob", "Submit a command, notebook or code job.", S.Job, S.JobSpec, 201, tag="jobs"),
    Op("GET", "/jobs/{job_id}", H.JobHandler, "getJob", "Get a job.", S.Job, tag="jobs"),
    Op("DELETE", "/jobs/{job_id}", H.JobHandler, "deleteJob", "Delete an ended job, its files and its MLflow run (409 while it runs).", None, status=204, tag="jobs"),
    Op(
        "GET", "/jobs/{job_id}/wait", H.JobWaitHandler, "waitJob", "Answer once the job ended, or after timeout seconds.", S.Job,
        query=(Query("timeout", "integer", "Seconds to wait at most (0-300, default 30)."),), tag="jobs",
    ),
    Op("POST", "/jobs/{job_id}/cancel", H.JobCancelHandler, "cancelJob", "Cancel a queued or running job.", S.Job, tag="jobs"),
    Op("POST", "/jobs/{job_id}/rerun", H.JobRerunHandler, "rerunJob", "Submit the job's spec again as a new job.", S.Job, status=201, tag="jobs"),
    Op(
        "GET", "/jobs/{job_id}/logs", H.JobLogsHandler, "getJobLogs", "Read the job's log from a byte offset.", S.LogChunk,
        query=(Query("offset", "integer", "Byte offset (the offset of the previous chunk)."),), tag="jobs",
    ),
    Op("GET", "/jobs/{job_id}/metrics", H.JobMetricsHandler, "getJobMetrics", "Metric histories and params of the job's run.", S.JobMetrics, tag="jobs"),
    Op(
        "GET", "/jobs/{job_id}/artifacts", H.JobArtifactsHandler, "listJobArtifacts", "Artifacts of the job's run.",
        {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Artifact"}}}, "required": ["items"]},
        tag="jobs",
    ),
    Op(
        "GET", "/jobs/{job_id}/artifacts/download", H.JobArtifactDownloadHandler, "downloadJobArtifact", "Download one artifact file.",
        {"type": "string", "format": "binary"}, query=(Query("path", description="Artifact path."),), tag="jobs",
    ),
    # experiments
    Op("GET", "/experiments", H.ExperimentsHandler, "listExperiments", "MLflow experiments.", S.ExperimentPage, query=PAGE, tag="experiments"),
    Op(
        "GET", "/experiments/{experiment_id}/runs", H.ExperimentRunsHandler, "listRuns", "Runs of an experiment, sortable by any metric.", S.RunPage,
        query=(
            Query("order_by", description="MLflow order, e.g. `metrics.rmse ASC`."),
            Query("filter", description="MLflow filter string."),
            *PAGE,
        ),
        tag="experiments",
    ),
    Op("GET", "/runs/{run_id}/metrics", H.RunMetricsHandler, "getRunMetrics", "Metric histories and params of any MLflow run.", S.JobMetrics, tag="experiments"),
]

# ---- capabilities register their operations here (one line each) -----------------------------
# e.g.  from .schedule_handlers import OPS as _SCHEDULE_OPS; OPS += _SCHEDULE_OPS
from . import batch_handlers as _batch, schedule_handlers as _schedules; OPS += _schedules._ops() + _batch._ops()  # noqa: E402,E702
from . import model_handlers as _models; OPS += _models.OPS  # noqa: E402,E702
from . import endpoint_handlers as _endpoints; OPS += _endpoints.ops()  # noqa: E402,E702
from . import environment_handlers as _environments; OPS += _environments.OPS  # noqa: E402,E702
from . import export_handlers as _exports; OPS += _exports.OPS  # noqa: E402,E702
from . import automl_handlers as _automl, sweep_handlers as _sweeps; OPS += _sweeps.OPS + _automl.OPS  # noqa: E402,E702
from . import data_handlers as _data; OPS += _data.OPS  # noqa: E402,E702


EXTRA_SCHEMAS = {
    "Artifact": {
        "type": "object",
        "properties": {"path": {"type": "string"}, "is_dir": {"type": "boolean"}, "size": {"type": ["integer", "null"]}},
        "required": ["path", "is_dir"],
    }
}


def tornado_pattern(path: str) -> str:
    return PREFIX + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)


def handlers() -> list[tuple[str, type]]:
    seen: dict[str, type] = {}
    for op in OPS:
        seen.setdefault(tornado_pattern(op.path), op.handler)
    return list(seen.items())
