"""REST models of data assets. The OpenAPI document and the TypeScript types come from these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..lineage.schemas import LineageGraph, LineageNode
from ..schemas import Model

Kind = Literal["file", "folder", "table"]
Mode = Literal["copy", "reference", "snapshot", "live"]
VersionStatus = Literal["Registering", "Ready"]
ProfileStatus = Literal["Queued", "Ready", "Failed"]


class DataCreate(Model):
    """Register a new version of a data asset (the asset is created with its first version)."""

    name: str = Field(description="Asset name: letters, digits, `_`, `-`, `.`; e.g. `iris`.")
    path: str | None = Field(
        None, description="A file, a folder or a glob (`data/*.parquet`) on the server, relative to its root."
    )
    sql: str | None = Field(None, description="A query (with `url`): a `table` asset.")
    table: str | None = Field(None, description="A database table read whole (with `url`): a `table` asset.")
    url: str | None = Field(None, description="SQLAlchemy URL, e.g. `sqlite:///warehouse.db` or `postgresql+psycopg://...`.")
    kind: Kind | None = Field(None, description="Checked against what `path`/`sql` is; inferred when left out.")
    mode: Mode | None = Field(
        None,
        description="file/folder: `copy` (default, content snapshotted into the data store) or `reference` "
        "(kept in place with its sha256 digest); table: `snapshot` (default, materialised to Parquet) or `live` "
        "(the query is re-read by every job).",
    )
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    force: bool = Field(False, description="Add a version even when identical content is already one.")
    profile: bool = Field(True, description="Compute the profile in a job once registered.")
    profile_target: str = Field("local", description="Compute target of the profile job.")

    @field_validator("path", "sql", "table", "url")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v

    @model_validator(mode="after")
    def _one_source(self):
        db = bool(self.sql or self.table)
        if bool(self.path) == db:
            raise ValueError("give either path (a file, folder or glob) or sql/table with url (a database table)")
        if self.sql and self.table:
            raise ValueError("give sql or table, not both")
        if db and not self.url:
            raise ValueError("sql/table need url, a SQLAlchemy URL such as sqlite:///warehouse.db")
        if self.url and not db:
            raise ValueError("url goes with sql or table; a path needs no url")
        if self.path and self.mode in ("snapshot", "live"):
            raise ValueError(f"mode {self.mode} is for tables; a path is registered with mode copy or reference")
        if db and self.mode in ("copy", "reference"):
            raise ValueError(f"mode {self.mode} is for files and folders; a table is registered with mode snapshot or live")
        if db and self.kind not in (None, "table"):
            raise ValueError(f"kind {self.kind} needs path; sql/table make a table asset")
        if self.path and self.kind == "table":
            raise ValueError("kind table needs sql or table with url, not path")
        return self


class DataVersion(Model):
    name: str
    version: int
    ref: str = Field(description="`data:name@version`, the reference jobs take as an input.")
    status: VersionStatus
    kind: Kind
    mode: Mode
    source: str = Field(description="What was registered: the path or glob, or the query.")
    path: str | None = Field(description="Server path jobs read (the data store copy, or the referenced path); none for live tables.")
    url: str | None = Field(None, description="Tables: the database URL, password hidden.")
    sql: str | None = None
    format: str | None = Field(description="csv, parquet, jsonl, images, mixed or other.")
    digest: str | None = Field(description="`sha256:<hex>` over the whole content; none for live tables (digested per use).")
    size_bytes: int | None
    file_count: int | None
    row_count: int | None = Field(description="Known at registration for Parquet and tables; else from the profile.")
    columns: list[dict[str, Any]] | None = Field(description="`[{name, type}]` of tabular data.")
    description: str
    tags: dict[str, str]
    aliases: list[str]
    archived: bool
    job_id: str | None = Field(description="The job whose output this version is.")
    output_name: str | None = None
    profile_status: ProfileStatus | None = Field(description="None when no profile was asked for.")
    profile_job_id: str | None = None
    created_at: datetime
    deduplicated: bool = Field(False, description="On create: identical content was already this version.")


class DataVersionPage(Model):
    items: list[DataVersion]
    next_cursor: str | None = None


class DataAsset(Model):
    name: str
    kind: Kind
    description: str
    tags: dict[str, str]
    aliases: dict[str, int]
    archived: bool
    latest_version: int | None = Field(description="Newest version that is not archived.")
    version_count: int
    created_at: datetime
    updated_at: datetime


class DataAssetPage(Model):
    items: list[DataAsset]
    next_cursor: str | None = None


class DataUpdate(Model):
    description: str | None = None
    tags: dict[str, str] | None = Field(None, description="Replaces the tags.")
    archived: bool | None = Field(None, description="Archive (hide from lists; records are kept) or restore.")


class DataAliasSet(Model):
    version: int = Field(ge=1)


class DataProfile(Model):
    name: str
    version: int
    status: ProfileStatus
    job_id: str | None
    error: str | None
    profile: dict[str, Any] | None = Field(
        description="rows, columns (type, nulls, distinct, min/max/mean/std/quantiles/histogram or top values), sample (first 100 rows)."
    )
    updated_at: datetime


class DataProfileRequest(Model):
    target: str = Field("local", description="Compute target of the profile job.")


class DataFile(Model):
    path: str = Field(description="Relative to the version's root.")
    size: int
    sha256: str


class DataFilePage(Model):
    items: list[DataFile]
    next_cursor: str | None = None


class DataLineage(Model):
    version: DataVersion
    produced_by: list[LineageNode] = Field(description="The job that wrote it (outputs), and that job's own inputs.")
    jobs: list[LineageNode] = Field(description="Jobs that read it as an input.")
    models: list[LineageNode] = Field(description="Model versions registered from those jobs.")
    deployments: list[LineageNode] = Field(description="Deployments serving those model versions.")
    derived_data: list[LineageNode] = Field(description="Data versions those jobs wrote.")
    graph: LineageGraph
