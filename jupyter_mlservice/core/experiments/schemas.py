"""REST models of MLflow experiments and runs (a job's metrics and artifacts are its run's)."""

from __future__ import annotations

from pydantic import Field

from ..schemas import Model


class Experiment(Model):
    experiment_id: str
    name: str
    artifact_location: str | None = None
    lifecycle_stage: str
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class ExperimentPage(Model):
    items: list[Experiment]
    next_cursor: str | None = None


class Run(Model):
    run_id: str
    run_name: str | None = None
    experiment_id: str
    status: str
    start_time: int | None = None
    end_time: int | None = None
    metrics: dict[str, float] = Field(default_factory=dict, description="Latest value of each metric.")
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class RunPage(Model):
    items: list[Run]
    next_cursor: str | None = None


class MetricPoint(Model):
    step: int
    value: float
    timestamp: int


class JobMetrics(Model):
    run_id: str | None
    metrics: dict[str, list[MetricPoint]]
    params: dict[str, str]


class Artifact(Model):
    path: str
    is_dir: bool
    size: int | None = None


class ArtifactList(Model):
    items: list[Artifact]
