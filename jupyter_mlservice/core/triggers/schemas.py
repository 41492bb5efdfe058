"""REST models of triggers (part of the OpenAPI document through the routes that use them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from ..jobs.schemas import JobStatus
from ..schemas import MODEL_NAME_PATTERN, NAME_PATTERN, Model

CAUSE_KINDS = ("data", "model", "model_alias", "model_tag", "alert", "cron", "manual")
FiringState = Literal["claimed", "submitted", "failed"]


class TriggerOn(Model):
    """What a trigger watches: exactly one of ``data``, ``model``, ``alert`` or ``cron``."""

    data: str | None = Field(None, pattern=NAME_PATTERN, description="A data asset: fires once per new version.")
    model: str | None = Field(None, pattern=MODEL_NAME_PATTERN, description="A registered model: fires once per new version (or, with alias / tag, per alias move / tagged version).")
    alias: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$", description="With model: fires when this alias points to another version.")
    tag: str | None = Field(None, pattern=r"^[^=\s]{1,250}(=.{0,250})?$", description="With model: fires when a version gets this tag (`key` or `key=value`).")
    alert: str | None = Field(None, pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$", description="A monitor's name (or `*`, any monitor): fires once per alert.")
    cron: str | None = Field(None, max_length=256, description="Five-field cron expression in time_zone: fires once per slot.")
    time_zone: str = Field("UTC", description="IANA time zone of cron.")

    @model_validator(mode="after")
    def _one_source(self) -> TriggerOn:
        given = [k for k in ("data", "model", "alert", "cron") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of data, model, alert or cron, e.g. {'data': 'iris'} or {'model': 'iris', 'alias': 'champion'}"
                             + (f" (got {', '.join(given)})" if given else ""))
        if (self.alias or self.tag) and not self.model:
            raise ValueError("alias and tag go with model, e.g. {'model': 'iris', 'alias': 'champion'}")
        if self.alias and self.tag:
            raise ValueError("give alias or tag, not both")
        return self

    @property
    def kind(self) -> str:
        if self.model:
            return "model_alias" if self.alias else "model_tag" if self.tag else "model"
        return "data" if self.data else "alert" if self.alert else "cron"


class TriggerCreate(Model):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    on: TriggerOn
    run: dict[str, Any] = Field(
        description="A job spec as POST /jobs takes it (any kind), a pipeline ({'pipeline': ..., 'parameters': ...}) or a rollout "
        "({'rollout': {endpoint, model, plan, ...}} as POST /rollouts takes it). Strings may use `{{ cause.name }}`, `{{ cause.version }}`, "
        "`{{ cause.ref }}`, `{{ cause.alias }}`, `{{ cause.monitor }}`, `{{ cause.scheduled_time }}`, `{{ trigger_name }}`, `{{ fired_at }}`."
    )
    enabled: bool = True


class TriggerUpdate(Model):
    """Change the description, the job spec or the enabled state; to watch something else, create another trigger."""

    description: str | None = None
    run: dict[str, Any] | None = None
    enabled: bool | None = None


class TriggerFire(Model):
    """Fire now (enabled or not), with the cause the template sees (default: the latest one watched)."""

    cause: dict[str, Any] | None = Field(None, description="Values for `{{ cause.* }}`, e.g. {'version': 3}.")


class TriggerFiring(Model):
    id: int
    trigger: str
    cause: dict[str, Any] = Field(description="What fired it: kind (data, model, model_alias, model_tag, alert, cron, manual) and its details.")
    state: FiringState
    job_id: str | None
    job_status: JobStatus | None
    rollout_id: str | None = Field(None, description="The rollout it started (run={'rollout': ...}).")
    reason: str | None
    created_at: datetime


class Trigger(Model):
    id: str
    name: str
    description: str
    on: TriggerOn
    kind: Literal["data", "model", "model_alias", "model_tag", "alert", "cron"]
    run: dict[str, Any]
    enabled: bool
    seen: dict[str, Any] = Field(description="What has been seen so far (causes up to it do not fire).")
    created_by: str
    last_fired_at: datetime | None
    firings: int = Field(description="How many times it has fired.")
    last_firings: list[TriggerFiring] = Field(default_factory=list, description="The latest firings, newest first.")
    created_at: datetime
    updated_at: datetime


class TriggerPage(Model):
    items: list[Trigger]
    next_cursor: str | None = None


class TriggerFiringPage(Model):
    items: list[TriggerFiring]
    next_cursor: str | None = None
