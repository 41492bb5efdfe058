"""REST models of schedules (part of the OpenAPI document through the routes that use them)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import Field, field_validator

from ..jobs.schemas import JobStatus
from ..schemas import NAME_PATTERN, Model

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Recurrence(Model):
    """Every N minutes/hours/days/weeks; days and weeks at given local times (and weekdays)."""

    every: int = Field(1, ge=1, le=10_000)
    unit: Literal["minutes", "hours", "days", "weeks"]
    at: list[str] = Field(default_factory=list, description="Local times `HH:MM` (days and weeks); default 00:00.")
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=list, description="Weeks only: days of the week; default the start day's."
    )

    @field_validator("at")
    @classmethod
    def _times(cls, values: list[str]) -> list[str]:
        out = []
        for v in values:
            m = re.fullmatch(r"(\d{1,2}):(\d{2})", v.strip())
            if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
                raise ValueError(f"{v!r} is not a time; write HH:MM, e.g. 02:30")
            out.append(f"{int(m.group(1)):02d}:{m.group(2)}")
        return sorted(set(out))

    def model_post_init(self, _ctx: Any) -> None:
        if self.unit in ("minutes", "hours") and self.at:
            raise ValueError("at applies to days and weeks; for minutes/hours the start time sets the phase (or use cron)")
        if self.weekdays and self.unit != "weeks":
            raise ValueError("weekdays applies to unit=weeks")


def _within_bounds(value: datetime | None) -> datetime | None:
    """An instant the scheduler can compute with (see timing.EARLIEST/LATEST)."""
    from datetime import timezone

    from .timing import EARLIEST, LATEST

    if value is None:
        return None
    try:
        utc = value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return value


CatchUp = Literal["skip", "latest", "all"]
ScheduleRunState = Literal["claimed", "waiting", "submitted", "skipped", "missed", "failed"]
ACTIVE_RUN_STATES = ("claimed", "waiting")  # the scheduler still owes these a job
SETTLED_RUN_STATES = tuple(s for s in get_args(ScheduleRunState) if s not in ACTIVE_RUN_STATES)
ConcurrencyPolicy = Literal["skip", "queue"]


class _Timing(Model):
    cron: str | None = Field(None, description="Five-field cron expression, e.g. `0 2 * * *`, in time_zone.")
    recurrence: Recurrence | None = None
    time_zone: str = Field("UTC", description="IANA time zone, e.g. `Europe/Paris`.")
    start_at: datetime | None = Field(None, description="No run before this instant (naive = UTC).")
    end_at: datetime | None = Field(None, description="No run after this instant (naive = UTC).")

    _bounded = field_validator("start_at", "end_at")(classmethod(lambda cls, v: _within_bounds(v)))


class ScheduleCreate(_Timing):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    job: dict[str, Any] = Field(
        description="A job spec as POST /jobs takes it (any kind), or a pipeline submit as POST /pipelines takes it "
        "(`{\"pipeline\": {...}, \"parameters\": {...}}`). Strings may use `{{ scheduled_time }}`, "
        "`{{ scheduled_date }}`, `{{ schedule_name }}`..."
    )
    enabled: bool = True
    catch_up: CatchUp = Field("latest", description="Runs missed while the server was down: skip, latest (one run), all (each, up to catch_up_limit).")
    catch_up_limit: int = Field(10, ge=1, le=1000)
    max_concurrent_runs: int = Field(1, ge=1, le=1000)
    concurrency_policy: ConcurrencyPolicy = Field("skip", description="A slot that finds max_concurrent_runs still going: skip it, or queue it.")


class ScheduleUpdate(Model):
    """Every field may change; timing changes take effect from now."""

    description: str | None = None
    job: dict[str, Any] | None = None
    cron: str | None = None
    recurrence: Recurrence | None = None
    time_zone: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    enabled: bool | None = None
    catch_up: CatchUp | None = None
    catch_up_limit: int | None = Field(None, ge=1, le=1000)
    max_concurrent_runs: int | None = Field(None, ge=1, le=1000)
    concurrency_policy: ConcurrencyPolicy | None = None

    _bounded = field_validator("start_at", "end_at")(classmethod(lambda cls, v: _within_bounds(v)))


class ScheduleRun(Model):
    id: int
    schedule: str
    scheduled_time: datetime = Field(description="The slot this run is for (UTC).")
    trigger: Literal["schedule", "catch_up", "manual"]
    state: ScheduleRunState
    job_id: str | None
    job_status: JobStatus | None
    reason: str | None
    created_at: datetime


class Schedule(Model):
    id: str
    name: str
    description: str
    job: dict[str, Any]
    cron: str | None
    recurrence: Recurrence | None
    time_zone: str
    start_at: datetime | None
    end_at: datetime | None
    enabled: bool
    catch_up: CatchUp
    catch_up_limit: int
    max_concurrent_runs: int
    concurrency_policy: ConcurrencyPolicy
    next_run_at: datetime | None = Field(description="When the next slot fires (UTC); null when disabled or ended.")
    next_runs: list[datetime] = Field(default_factory=list, description="The next few slots (UTC).")
    active_runs: int
    last_runs: list[ScheduleRun] = Field(default_factory=list, description="The latest runs, newest first.")
    created_at: datetime
    updated_at: datetime


class SchedulePage(Model):
    items: list[Schedule]
    next_cursor: str | None = None


class ScheduleRunPage(Model):
    items: list[ScheduleRun]
    next_cursor: str | None = None
