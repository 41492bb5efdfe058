"""REST models of model evaluations (part of the OpenAPI document through the routes that use them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from ..schemas import Model

# metric -> (task, higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "accuracy": ("classification", True),
    "balanced_accuracy": ("classification", True),
    "f1": ("classification", True),  # binary: of the positive class; several classes: macro
    "precision": ("classification", True),
    "recall": ("classification", True),
    "r2": ("regression", True),
    "rmse": ("regression", False),
    "mae": ("regression", False),
}
EvaluationStatus = Literal["Running", "Completed", "Failed"]


class EvaluationCreate(Model):
    candidate: str = Field(description="The model version judged: `iris:7`, `iris@challenger`.", min_length=1, max_length=200)
    baseline: str = Field(description="What it must beat: `iris@champion`, `iris:6`.", min_length=1, max_length=200)
    data: str = Field(description="Labelled rows both are scored on: a data asset, `data:iris-holdout@3` (latest when no version).",
                      pattern=r"^data:[A-Za-z0-9][A-Za-z0-9_.-]{0,127}(@[A-Za-z0-9_-]{1,64})?$")
    target_column: str = Field(min_length=1, max_length=128, description="The column holding the true values.")
    metrics: list[str] = Field(min_length=1, max_length=8, description=f"Any of {', '.join(METRICS)}; one task per evaluation.")
    gate: dict[str, float] | None = Field(
        None, description="Metric -> margin: passes when, for every metric named, the candidate beats the baseline by more than the "
        "margin (in the metric's direction) and so does the lower bound of the paired bootstrap interval of the difference.",
    )
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Two-sided confidence of the bootstrap interval.")
    bootstrap: int = Field(1000, ge=100, le=20_000, description="Bootstrap resamples of the rows.")
    target: str = Field("local", description="Compute target of the evaluation job.")

    @model_validator(mode="after")
    def _known(self) -> EvaluationCreate:
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(unknown)}; use {', '.join(METRICS)}")
        tasks = {METRICS[m][0] for m in self.metrics}
        if len(tasks) > 1:
            raise ValueError("metrics mix classification and regression; evaluate one task at a time")
        outside = [m for m in (self.gate or {}) if m not in self.metrics]
        if outside:
            raise ValueError(f"gate names {', '.join(outside)}, which metrics does not; add it to metrics")
        return self

    @property
    def task(self) -> str:
        return METRICS[self.metrics[0]][0]


class MetricComparison(Model):
    metric: str
    higher_is_better: bool
    candidate: float
    baseline: float
    difference: float = Field(description="Candidate minus baseline, sign turned so that positive is better.")
    interval: list[float] = Field(description="Paired bootstrap interval of the difference (same sign), [low, high].")
    margin: float | None = Field(description="The gate's margin for it, if the gate names it.")
    passed: bool | None = Field(description="Difference and interval's low end both above the margin (null: not gated).")


class Evaluation(Model):
    id: str
    candidate: str
    candidate_version: str = Field(description="`name:version` resolved when it was submitted.")
    baseline: str
    baseline_version: str
    data: str
    data_version: str | None = Field(description="The data version the job read (`data:NAME@V`).")
    target_column: str
    task: Literal["classification", "regression"]
    metrics: list[str]
    gate: dict[str, float] | None
    confidence: float
    bootstrap: int
    status: EvaluationStatus
    passed: bool | None = Field(description="The gate's verdict; null without a gate or before it ended.")
    rows: int | None
    comparisons: list[MetricComparison]
    mlflow_metrics: dict[str, Any] = Field(default_factory=dict, description="MLflow's own evaluation of each side (mlflow.models.evaluate).")
    error: str | None
    job_id: str
    created_by: str
    created_at: datetime
    finished_at: datetime | None


class EvaluationPage(Model):
    items: list[Evaluation]
    next_cursor: str | None = None
