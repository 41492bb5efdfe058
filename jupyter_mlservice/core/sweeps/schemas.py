"""The REST contract of sweeps (pydantic; the OpenAPI document is generated from these)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..jobs.schemas import Job
from ..schemas import Model

PARAM_TYPES = ("choice", "uniform", "loguniform", "randint", "normal")


class SearchParameter(Model):
    """One dimension: ``choice`` (values), ``uniform``/``loguniform`` (low, high floats),
    ``randint`` (low..high integers, both included) or ``normal`` (mu, sigma)."""

    type: Literal["choice", "uniform", "loguniform", "randint", "normal"]
    values: list[Any] | None = Field(None, description="choice: the values to pick from.")
    low: float | None = Field(None, description="uniform, loguniform, randint: lower bound.")
    high: float | None = Field(None, description="uniform, loguniform, randint: upper bound.")
    mu: float | None = Field(None, description="normal: mean.")
    sigma: float | None = Field(None, description="normal: standard deviation (> 0).")

    @model_validator(mode="after")
    def _consistent(self) -> "SearchParameter":
        t = self.type
        if t == "choice":
            if not self.values:
                raise ValueError("choice needs at least one value")
            if any(isinstance(v, (dict, list)) for v in self.values):
                raise ValueError("choice values must be strings, numbers, booleans or null")
            if len({repr(v) for v in self.values}) != len(self.values):
                raise ValueError("choice values must be distinct")
            return self
        if t == "normal":
            if self.mu is None or self.sigma is None:
                raise ValueError("normal needs mu and sigma")
            if not self.sigma > 0:
                raise ValueError(f"normal needs sigma > 0 (got {self.sigma:g})")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"{t} needs low and high")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"{t} needs finite bounds")
        if self.low >= self.high:
            raise ValueError(f"{t} needs low < high (got low={self.low:g}, high={self.high:g})")
        if t == "loguniform" and self.low <= 0:
            raise ValueError(f"loguniform needs low > 0: the log of {self.low:g} is undefined")
        if t == "randint" and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError("randint needs integer bounds")
        return self


class Objective(Model):
    metric: str = Field(min_length=1, description="Metric the trials log with mlflow.log_metric(name, value, step=...).")
    goal: Literal["maximize", "minimize"] = "maximize"


class EarlyTermination(Model):
    """Stop running trials that are unlikely to beat the others (Azure ML's policy names; Optuna
    pruners underneath). Steps are the ``step=`` values trials log the objective with."""

    policy: Literal["median", "bandit", "truncation", "hyperband"]
    evaluation_interval: int = Field(1, ge=1, description="Evaluate every this many steps.")
    delay_evaluation: int = Field(0, ge=0, description="Do not evaluate before this step.")
    min_completed_trials: int = Field(
        3, ge=0, description="median/truncation/bandit: trials that must have completed before any is stopped."
    )
    slack_factor: float | None = Field(None, gt=0, description="bandit: stop when worse than best/(1+slack_factor) (maximize).")
    slack_amount: float | None = Field(None, gt=0, description="bandit: stop when worse than best - slack_amount (maximize).")
    truncation_percentage: float = Field(20, gt=0, lt=100, description="truncation: stop trials in this lowest percentage.")
    min_resource: int = Field(1, ge=1, description="hyperband: steps every trial gets.")
    max_resource: int | None = Field(None, ge=2, description="hyperband: steps of a full trial (default: learned from completed trials).")
    reduction_factor: int = Field(3, ge=2, description="hyperband: keep 1/reduction_factor at each rung.")
    consecutive: int = Field(
        1, ge=1, description="Noisy metrics: stop only after this many evaluations in a row say stop."
    )
    smoothing: float = Field(
        0, ge=0, lt=1, description="Noisy metrics: judge an exponential moving average (weight of the past, 0 = none)."
    )

    @model_validator(mode="after")
    def _bandit_slack(self) -> "EarlyTermination":
        if self.policy == "bandit" and (self.slack_factor is None) == (self.slack_amount is None):
            raise ValueError("bandit needs exactly one of slack_factor or slack_amount")
        if self.policy != "bandit" and (self.slack_factor is not None or self.slack_amount is not None):
            raise ValueError(f"slack_factor/slack_amount apply to the bandit policy, not {self.policy}")
        if self.max_resource is not None and self.max_resource <= self.min_resource:
            raise ValueError("max_resource must be greater than min_resource")
        return self


class Limits(Model):
    max_trials: int = Field(20, ge=1, le=100_000, description="Trials to run at most (grid: at most the grid's size).")
    max_concurrent_trials: int = Field(2, ge=1, le=1000, description="Trials running at once.")
    timeout_s: float | None = Field(None, gt=0, description="Stop the sweep (and cancel its running trials) after this long.")
    trial_timeout_s: float | None = Field(None, gt=0, description="Fail one trial after this long.")


class SweepCreate(Model):
    """A sweep: run one trial job per sampled point of the search space."""

    trial: dict[str, Any] = Field(
        description="A job spec (`kind` command, notebook or code, with its fields) whose strings may contain "
        "`${{search_space.NAME}}`; notebook and code trials also get the sampled values as parameters."
    )
    search_space: dict[str, SearchParameter] = Field(min_length=1)
    sampling: Literal["random", "grid", "bayesian"] = "random"
    objective: Objective
    early_termination: EarlyTermination | None = None
    limits: Limits = Field(default_factory=Limits)
    seed: int | None = Field(None, description="Seed of the sampler (the same seed samples the same points).")
    target: str = "local"
    experiment: str = Field("Default", min_length=1, max_length=256)
    display_name: str = Field("", max_length=256)
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("search_space")
    @classmethod
    def _names(cls, space: dict[str, SearchParameter]) -> dict[str, SearchParameter]:
        import re

        for name in space:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", name):
                raise ValueError(f"parameter name {name!r}: use letters, digits, '_', '-', '.' (starting with a letter)")
        return space

    @model_validator(mode="after")
    def _grid(self) -> "SweepCreate":
        if self.sampling == "grid":
            bad = [n for n, p in self.search_space.items() if p.type not in ("choice", "randint")]
            if bad:
                raise ValueError(
                    f"grid sampling needs choice or randint parameters; {', '.join(repr(b) for b in bad)} "
                    f"{'is' if len(bad) == 1 else 'are'} {', '.join(self.search_space[b].type for b in bad)}: use random or bayesian sampling"
                )
        if self.trial.get("kind") not in ("command", "notebook", "code"):
            raise ValueError("trial.kind must be command, notebook or code")
        overridden = [k for k in ("target", "experiment") if k in self.trial]
        if overridden:
            raise ValueError(f"trial.{overridden[0]} is set by the sweep; give it as the sweep's {overridden[0]}")
        return self


TrialState = Literal["pending", "running", "pruning", "completed", "pruned", "failed", "canceled"]
#: a trial in these states still has (or is about to have) a job that runs
LIVE_TRIAL_STATES = ("pending", "running", "pruning")


class SweepTrial(Model):
    number: int = Field(description="Trial number, from 0 in the order trials were sampled.")
    job_id: str | None
    status: str = Field(description="The trial job's status (Queued...Completed, Failed, Canceled).")
    state: TrialState
    params: dict[str, Any]
    value: float | None = Field(description="The objective: the last value the trial logged.")
    last_step: int | None = Field(description="Latest step of the objective seen so far.")
    reason: str | None = Field(description="Why a trial was pruned, failed or canceled.")
    run_id: str | None
    metrics: dict[str, float] = Field(default_factory=dict, description="Latest value of every metric the trial logged.")
    created_at: datetime
    ended_at: datetime | None
    duration_s: float | None


class SweepTrialPage(Model):
    items: list[SweepTrial]


class Sweep(Model):
    id: str
    job: Job = Field(description="The sweep's parent job (status, MLflow run, times).")
    spec: SweepCreate
    counts: dict[str, int] = Field(description="Trials per state.")
    best_trial: SweepTrial | None


class SweepPage(Model):
    items: list[Sweep]
    next_cursor: str | None = None

