"""pydantic models of the REST contract. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobStatus(str, Enum):
    QUEUED = "Queued"
    PREPARING = "Preparing"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    CANCEL_REQUESTED = "CancelRequested"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED})
ACTIVE_STATUSES = frozenset(
    {JobStatus.PREPARING, JobStatus.RUNNING, JobStatus.FINALIZING, JobStatus.CANCEL_REQUESTED}
)


# ---- compute targets -------------------------------------------------------------------------


class TargetCreate(Model):
    name: str = Field(pattern=NAME_PATTERN, description="Unique name, e.g. `cpu-small`.")
    type: str = Field(description="Backend type, e.g. `local` or `ray`.")
    description: str = ""
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Type-specific settings, validated by the backend."
    )


class TargetUpdate(Model):
    description: str | None = None
    settings: dict[str, Any] | None = None


class Target(Model):
    name: str
    type: str
    description: str
    settings: dict[str, Any]
    created_at: datetime
    capacity: int | None = Field(description="Jobs that may run at once; null when the backend queues.")
    running: int
    queued: int
    status: dict[str, Any] = Field(
        default_factory=dict, description="What the backend observes (nodes, resources...)."
    )


class TargetPage(Model):
    items: list[Target]
    next_cursor: str | None = None


# ---- jobs -------------------------------------------------------------------------------------


class JobCommon(Model):
    target: str = "local"
    experiment: str = Field("Default", min_length=1, max_length=256)
    display_name: str = Field("", max_length=256)
    tags: dict[str, str] = Field(default_factory=dict)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0, description="Fail the job after this many seconds.")
    max_retries: int = Field(0, ge=0, le=20, description="Re-run a failed job this many times.")

    @field_validator("environment_variables")
    @classmethod
    def _no_reserved_env(cls, env: dict[str, str]) -> dict[str, str]:
        reserved = [k for k in env if k.startswith("MLFLOW_RUN") or k == "MLFLOW_TRACKING_URI"]
        if reserved:
            raise ValueError(f"{', '.join(reserved)} is set by the service; remove it")
        return env


class CommandJobSpec(JobCommon):
    kind: Literal["command"] = "command"
    command: str = Field(min_length=1, description="Shell command, run in the code snapshot.")
    code: str | None = Field(
        None, description="Folder (server path) snapshotted into the job at submit."
    )


class NotebookJobSpec(JobCommon):
    kind: Literal["notebook"] = "notebook"
    notebook: str = Field(min_length=1, description="Notebook path on the server.")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Injected after the cell tagged `parameters`."
    )
    code: str | None = Field(None, description="Folder snapshotted with the notebook.")
    kernel_name: str | None = None


class CodeJobSpec(JobCommon):
    kind: Literal["code"] = "code"
    source: str = Field(min_length=1, description="Python source text, run as a script.")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Values bound as global variables before the source runs."
    )
    code: str | None = None


JobSpec = Annotated[
    Union[CommandJobSpec, NotebookJobSpec, CodeJobSpec], Field(discriminator="kind")
]


class AttemptRecord(Model):
    attempt: int
    exit_code: int | None = None
    error: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


class Job(Model):
    id: str
    kind: str
    display_name: str
    status: JobStatus
    target: str
    experiment: str
    experiment_id: str | None
    run_id: str | None
    attempt: int
    max_retries: int
    timeout_s: float | None
    exit_code: int | None
    error: str | None
    git_commit: str | None
    tags: dict[str, str]
    spec: dict[str, Any]
    attempts: list[AttemptRecord]
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None = Field(description="Running time so far, or in total once ended.")
    backend: dict[str, Any] = Field(default_factory=dict, description="Backend handle, e.g. pid.")


class JobPage(Model):
    items: list[Job]
    next_cursor: str | None = None


class LogChunk(Model):
    text: str
    offset: int = Field(description="Byte offset to ask for next.")
    size: int = Field(description="Size of the log file now.")
    complete: bool = Field(description="True once the job has ended and the text reached the end.")


class MetricPoint(Model):
    step: int
    value: float
    timestamp: int


class JobMetrics(Model):
    run_id: str | None
    metrics: dict[str, list[MetricPoint]]
    params: dict[str, str]


class ErrorBody(Model):
    message: str
    reason: str = ""


class Info(Model):
    version: str
    root_dir: str
    workspace_dir: str
    database_url: str
    tracking_uri: str
    artifact_root: str
    backends: list[str]
