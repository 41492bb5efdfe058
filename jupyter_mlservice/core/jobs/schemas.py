"""REST models of jobs: the kinds of work (command, notebook, code, batch), their lifecycle and
what a job reports (logs, metrics, progress)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator, model_validator

from ...statuses import TERMINAL_JOB_STATUSES
from ..schemas import Model, checked_tags, env_names, parse_bytes, printable_name


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


TERMINAL_STATUSES = frozenset(JobStatus(s) for s in TERMINAL_JOB_STATUSES)
ACTIVE_STATUSES = frozenset(
    {JobStatus.PREPARING, JobStatus.RUNNING, JobStatus.FINALIZING, JobStatus.CANCEL_REQUESTED}
)


# ---- what a job runs ---------------------------------------------------------------------------


class Resources(Model):
    """What one instance of a job asks of its compute target (a ray target maps these to the
    entrypoint's resource requests; the local target has no GPUs)."""

    cpu: float | None = Field(None, ge=0, description="CPU cores; default 1 on a ray target.")
    gpu: float = Field(0, ge=0, description="GPUs; the job sees them as CUDA_VISIBLE_DEVICES.")
    memory: int | str | None = Field(
        None, description="Memory in bytes, or with a unit: `512Mi`, `4Gi`, `2GB`."
    )
    custom: dict[str, float] = Field(
        default_factory=dict, description="Custom cluster resources, e.g. `{\"accelerator_type:A100\": 1}`."
    )

    @field_validator("memory")
    @classmethod
    def _memory_bytes(cls, v: int | str | None) -> int | None:
        return None if v is None else parse_bytes(v)


class OutputSpec(Model):
    """Something a job writes: the job gets a path (``${{outputs.NAME}}``, ``MLSERVICE_OUTPUT_NAME``)."""

    type: Literal["folder", "file"] = Field("folder", description="The job writes a folder (created for it) or one file.")
    register_as: str | None = Field(
        None, description="Register what the job wrote as a new version of this data asset; else it is kept with the run's outputs."
    )


class JobCommon(Model):
    target: str = "local"
    experiment: str = Field("Default", min_length=1, max_length=256)
    display_name: str = Field("", max_length=256)
    tags: dict[str, str] = Field(default_factory=dict)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0, description="Fail the job after this many seconds.")
    max_retries: int = Field(0, ge=0, le=20, description="Re-run a failed job this many times.")
    resources: Resources | None = Field(None, description="CPU/GPU/memory each instance asks for.")
    instance_count: int = Field(
        1, ge=1, le=1024, description="Processes started across the cluster (ray targets; RANK/WORLD_SIZE set)."
    )
    environment: str | None = Field(
        None, description="Run in this environment (`sk12@1`, or `sk12` for the latest version); default: the server's."
    )
    inputs: dict[str, str] = Field(
        default_factory=dict,
        description="Name -> `data:NAME[@VERSION|@ALIAS]`, `model:NAME[:VERSION|@ALIAS]` or a server path; resolved to a "
        "local path when the job starts (`${{inputs.NAME}}`, `MLSERVICE_INPUT_NAME`, a notebook/code parameter).",
    )
    outputs: dict[str, OutputSpec] = Field(default_factory=dict, description="Name -> what the job writes (`${{outputs.NAME}}`).")

    @model_validator(mode="after")
    def _inputs_and_outputs(self):
        if self.inputs or self.outputs:
            from ..data.inputs import check_spec

            check_spec(getattr(self, "kind", ""), self.inputs, {k: v.model_dump() for k, v in self.outputs.items()},
                       getattr(self, "command", None), getattr(self, "parameters", None))
        return self

    @field_validator("environment_variables")
    @classmethod
    def _no_reserved_env(cls, env: dict[str, str]) -> dict[str, str]:
        env_names(env)
        reserved = [k for k in env if k.startswith("MLFLOW_RUN") or k == "MLFLOW_TRACKING_URI"]
        if reserved:
            raise ValueError(f"{', '.join(reserved)} is set by the service; remove it")
        return env

    @field_validator("experiment", "display_name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        return printable_name(value)

    @field_validator("tags")
    @classmethod
    def _mlflow_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return checked_tags(tags)


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


class BatchInput(Model):
    """Where a batch job reads: files (`path`, a glob or folder) or a database (`url` + `sql`/`table`)."""

    path: str | None = Field(None, description="A CSV/Parquet file, a folder of them, or a glob (`data/*.parquet`).")
    format: Literal["parquet", "csv"] | None = Field(None, description="File format; default from the file suffix.")
    url: str | None = Field(None, description="SQLAlchemy URL, e.g. `sqlite:///warehouse.db` or `postgresql+psycopg://...`.")
    sql: str | None = Field(None, description="A SELECT query (with `url`).")
    table: str | None = Field(None, description="A table to read whole (with `url`).")

    @field_validator("path", "url", "sql", "table")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v

    def model_post_init(self, _ctx: Any) -> None:
        has_db = bool(self.sql or self.table)
        if bool(self.path) == has_db:
            raise ValueError("give either path (files) or sql/table with url (a database)")
        if self.sql and self.table:
            raise ValueError("give sql or table, not both")
        if has_db and not self.url:
            raise ValueError("sql/table need url (a SQLAlchemy URL such as sqlite:///warehouse.db)")


class BatchOutput(Model):
    """Where `append_row` writes: a file (`path`, .parquet or .csv) or a database table (`url` + `table`)."""

    path: str | None = Field(None, description="Output file (.parquet or .csv).")
    url: str | None = Field(None, description="SQLAlchemy URL of the output database.")
    table: str | None = Field(None, description="Output table (created when missing).")

    def model_post_init(self, _ctx: Any) -> None:
        if bool(self.path) == bool(self.table):
            raise ValueError("give either path (a .parquet/.csv file) or table with url")
        if self.table and not self.url:
            raise ValueError("table needs url (a SQLAlchemy URL)")
        if self.path and not self.path.endswith((".parquet", ".csv")):
            raise ValueError("path must end with .parquet or .csv")


class RetrySettings(Model):
    max_retries: int = Field(3, ge=0, le=100, description="Tries of a failed mini-batch after the first.")
    timeout: float = Field(60, gt=0, description="Seconds one mini-batch may take before it is stopped and retried.")


class BatchCollect(Model):
    """Record what a batch job scores for monitoring, like a deployment's ``collect``."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$", description="Collection name; a monitor watches it with batch=name.")
    inputs: bool = True
    outputs: bool = True
    sample_rate: float = Field(1.0, ge=0.0, le=1.0)


class BatchJobSpec(JobCommon):
    """Score a registered model over files or a SQL query (Azure ML batch endpoints' settings)."""

    kind: Literal["batch"] = "batch"
    model: str | None = Field(
        None, description="Registered model: `name@alias`, `name:version`, `name` (latest) or a `models:/`/`runs:/` URI."
    )
    scoring_script: str | None = Field(
        None, description="Python file with `init()` and `run(mini_batch)` (Azure contract), relative to `code`."
    )
    code: str | None = Field(None, description="Folder snapshotted with the scoring script.")
    input: BatchInput
    output: BatchOutput | None = None
    output_action: Literal["append_row", "summary_only"] = "append_row"
    key_columns: list[str] = Field(
        default_factory=list, description="Input columns written with each prediction; resume and joins use them."
    )
    input_columns: list[str] | None = Field(
        None, description="Columns passed to the model; default: the model signature's, else all but key_columns."
    )
    mini_batch_size: int = Field(10_000, ge=1, description="Rows (or files, with mini_batch_unit=files) per mini-batch.")
    mini_batch_unit: Literal["rows", "files"] = Field(
        "rows", description="`files`: a script's run() gets file paths; an MLflow model scores each file's rows.")
    max_concurrency: int = Field(1, ge=1, le=64, description="Worker processes scoring mini-batches at once.")
    error_threshold: int = Field(
        -1, ge=-1, description="Failed mini-batches tolerated before the job fails; -1: any number."
    )
    retry_settings: RetrySettings = Field(default_factory=RetrySettings)
    resume: bool = Field(True, description="Skip mini-batches an earlier run already wrote to the same output.")
    collect: BatchCollect | None = Field(None, description="Record inputs and predictions for monitoring (rows mode).")
    output_format: Literal["default", "azure"] = Field(
        "default", description="`azure`: Azure ML's append_row file (CSV, no header; an MLflow model over files writes "
        "`row, prediction, file`), so notebooks written for Azure's batch endpoints read it unchanged.")

    def model_post_init(self, _ctx: Any) -> None:
        if not self.model and not self.scoring_script:
            raise ValueError("give model (a registered model) and/or scoring_script")
        if self.output_action == "append_row" and self.output is None:
            raise ValueError("output_action append_row needs output (a path or a table); use summary_only to keep only the summary")
        if self.mini_batch_unit == "files" and not self.input.path:
            raise ValueError("mini_batch_unit=files needs a file input (input.path)")
        if self.output_format == "azure" and not (self.output and self.output.path and self.output.path.endswith(".csv")):
            raise ValueError("output_format=azure writes Azure's append_row CSV; give output.path ending in .csv")


JobSpec = Annotated[
    Union[CommandJobSpec, NotebookJobSpec, CodeJobSpec, BatchJobSpec], Field(discriminator="kind")
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
    parent_id: str | None = Field(None, description="The parent job (a sweep or AutoML run) this job is a trial of.")
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


class JobProgress(Model):
    """Live progress of a batch job (mini-batches, rows/s, failures) or a notebook job (cells)."""

    model_config = {"extra": "allow"}

    kind: str
    status: str
    job_status: str
