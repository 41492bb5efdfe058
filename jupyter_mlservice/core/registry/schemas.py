"""REST models of the registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from ..schemas import Model


class ModelRegister(Model):
    name: str = Field(description="Registered model name; a new version is added if it exists.")
    job_id: str | None = Field(None, description="Register from this completed job's run...")
    run_id: str | None = Field(None, description="...or from any MLflow run...")
    path: str = Field("model", description="Artifact path (or logged model name) inside the run.")
    local_path: str | None = Field(None, description="...or from a file/folder on the server.")
    tags: dict[str, str] = Field(default_factory=dict)
    description: str = ""


class ModelVersion(Model):
    name: str
    version: str
    source: str
    run_id: str | None
    model_id: str | None = None
    status: str
    description: str
    tags: dict[str, str]
    aliases: list[str]
    created_at: int | None
    lineage: dict[str, Any] | None = Field(None, description="Job, experiment, code, params and metrics behind it.")


class RegisteredModel(Model):
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, str]
    latest_version: str | None
    created_at: int | None
    updated_at: int | None
    versions: list[ModelVersion] | None = None


class RegisteredModelPage(Model):
    items: list[RegisteredModel]
    next_cursor: str | None = None


class ModelVersionList(Model):
    items: list[ModelVersion]


class AliasSet(Model):
    version: str | int


class ModelUpdate(Model):
    description: str | None = None
    tags: dict[str, str] | None = None


class AliasChange(Model):
    alias: str
    version: str | None = Field(description="The version it pointed to from `since`; null: removed.")
    since: datetime


class AliasHistory(Model):
    name: str
    items: list[AliasChange] = Field(description="Newest first.")
