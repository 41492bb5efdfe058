"""REST models of progressive rollouts (part of the OpenAPI document through the routes that use them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from ..schemas import ENDPOINT_NAME_PATTERN, Model

RolloutState = Literal["Creating", "Mirroring", "Progressing", "Paused", "AwaitingApproval", "Completed", "RolledBack"]
ACTIVE_STATES = ("Creating", "Mirroring", "Progressing", "Paused", "AwaitingApproval")


class RollbackIf(Model):
    error_rate: float | None = Field(0.01, ge=0, le=1, description="Roll back when the candidate's error rate over the step is above this and above the baseline's.")
    p99_ms: float | None = Field(None, gt=0, description="Roll back when the candidate's p99 latency over the step is above this and above the baseline's.")
    drift: Literal["any"] | list[str] | None = Field(
        None, description="Roll back when a monitor watching the endpoint raises an alert (drift, prediction drift, data quality) "
        "during the rollout: `any` monitor of the endpoint, or the monitors named.")


class RolloutPlan(Model):
    steps: list[int] = Field([10, 50, 100], min_length=1, max_length=20, description="Percent of live traffic the candidate takes, step by step; ends at 100.")
    interval_s: float = Field(300, ge=1, le=7 * 86400, description="How long each step lasts before it is judged.")
    mirror_first_s: float = Field(0, ge=0, le=7 * 86400, description="First send the candidate mirrored copies only (clients get the baseline's answers) for this long.")
    min_requests: int = Field(20, ge=1, le=10**9, description="Fewer candidate requests than this in a step: Inconclusive, the rollout pauses (never promotes).")
    grace_s: float = Field(60, ge=0, le=7 * 86400, description="After success, the baseline deployment is deleted this long after the candidate took all traffic.")
    rollback_if: RollbackIf = Field(default_factory=RollbackIf)

    @model_validator(mode="after")
    def _steps(self) -> RolloutPlan:
        if any(not 1 <= s <= 100 for s in self.steps) or self.steps != sorted(set(self.steps)):
            raise ValueError("steps must be increasing percentages between 1 and 100, e.g. [10, 50, 100]")
        if self.steps[-1] != 100:
            raise ValueError("the last step must be 100 (the candidate takes all traffic)")
        return self


class RolloutCreate(Model):
    endpoint: str = Field(pattern=ENDPOINT_NAME_PATTERN)
    model: str = Field(min_length=1, max_length=200, description="The candidate model version: `iris:7`, `iris@challenger`.")
    deployment: str | None = Field(None, pattern=ENDPOINT_NAME_PATTERN, description="Name of the candidate deployment (default `v<version>`).")
    deployment_settings: dict[str, Any] = Field(
        default_factory=dict, description="DeploymentCreate fields for the candidate (code, scoring_script, replicas, ...); "
        "default: the baseline's replicas.")
    plan: RolloutPlan = Field(default_factory=RolloutPlan)
    require_approval: bool = Field(False, description="Hold before the step that gives the candidate all traffic until approved.")
    dry_run: bool = Field(False, description="Judge the plan on mirrored traffic only: clients never get the candidate's answers.")


class RolloutStep(Model):
    phase: str = Field(description="`mirror`, or `step N%`.")
    started_at: datetime
    ended_at: datetime
    candidate: dict[str, Any] = Field(description="requests, errors, error_rate, p99_ms over the phase.")
    baseline: dict[str, Any]
    decision: Literal["passed", "rolled_back", "inconclusive"]
    reason: str | None = None


class Rollout(Model):
    id: str
    endpoint: str
    candidate: str
    baseline: str
    model: str
    plan: RolloutPlan
    require_approval: bool
    dry_run: bool
    state: RolloutState
    step: int = Field(description="Index into plan.steps of the step in progress (-1 before the first).")
    traffic_percent: int = Field(description="Share of live traffic the candidate takes now.")
    phase_started_at: datetime | None
    history: list[RolloutStep]
    reason: str | None
    approved_by: str | None
    approved_at: datetime | None
    baseline_deleted: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class RolloutPage(Model):
    items: list[Rollout]
    next_cursor: str | None = None
