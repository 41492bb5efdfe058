"""REST models of monitoring: collection settings, signals, monitors, runs, results, alerts and
endpoint time series (part of the OpenAPI document through the routes that use them)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator

from ..schedules.schemas import Recurrence
from ..jobs.schemas import JobStatus
from ..schemas import Model

MONITOR_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,55}$"  # "monitor-" + name is its schedule's name

DriftMethod = Literal["auto", "wasserstein", "ks", "psi", "jensen_shannon", "chi_squared"]
FeatureKind = Literal["numeric", "categorical"]


# ---- collection ---------------------------------------------------------------------------------


class CollectSettings(Model):
    """What a deployment records of the requests it answers (off the request path)."""

    inputs: bool = Field(True, description="Record request inputs, one row per scored row.")
    outputs: bool = Field(True, description="Record predictions, one row per scored row.")
    sample_rate: float = Field(1.0, ge=0.0, le=1.0, description="Share of requests recorded (1.0: all).")


class CollectionStatus(Model):
    endpoint: str
    deployment: str
    collected: int = Field(description="Requests handed to the writer since the endpoint started.")
    dropped: int = Field(description="Requests dropped because the queue was full or the store failed.")
    written_rows: int = Field(description="Input rows written to Parquet.")


# ---- signals ------------------------------------------------------------------------------------


class FeatureDriftSettings(Model):
    method: DriftMethod | None = Field(None, description="Override the signal's method for this feature.")
    threshold: float | None = Field(None, ge=0, description="Override the method's threshold for this feature.")
    kind: FeatureKind | None = Field(None, description="Treat the feature as numeric or categorical.")


class DriftSignal(Model):
    """Distribution drift of inputs (`data_drift`) or of predictions (`prediction_drift`).

    A feature drifts when its statistic exceeds the threshold (an effect size) *and* the change is
    significant (Kolmogorov-Smirnov for numeric features, chi-squared for categorical ones) at
    the monitor's alpha shared among the features tested.
    """

    type: Literal["data_drift", "prediction_drift"]
    method: DriftMethod = Field(
        "auto", description="auto: normalised Wasserstein for numeric features, Jensen-Shannon for categorical ones."
    )
    threshold: float | None = Field(None, ge=0, description="Default: the method's (see the README's table).")
    features: list[str] | None = Field(None, description="Only these features (default: all of the monitor's).")
    per_feature: dict[str, FeatureDriftSettings] = Field(default_factory=dict)


class QualityThresholds(Model):
    null_rate: float | None = Field(None, ge=0, le=1)
    type_mismatch_rate: float | None = Field(None, ge=0, le=1)
    out_of_range_rate: float | None = Field(None, ge=0, le=1)
    unseen_category_rate: float | None = Field(None, ge=0, le=1)


class QualitySignal(Model):
    """Data quality of inputs against the baseline; a rate breaches when it exceeds its threshold
    and the rise over what the baseline leads to expect is significant."""

    type: Literal["data_quality"]
    null_rate: float = Field(0.01, ge=0, le=1, description="Rise of the share of nulls over the baseline's.")
    type_mismatch_rate: float = Field(0.0, ge=0, le=1, description="Share of values not of the baseline's type.")
    out_of_range_rate: float = Field(0.01, ge=0, le=1, description="Share of numeric values outside the baseline's range.")
    unseen_category_rate: float = Field(0.01, ge=0, le=1, description="Share of categorical values the baseline never had.")
    features: list[str] | None = None
    per_feature: dict[str, QualityThresholds] = Field(default_factory=dict)


class WeightedDriftSignal(Model):
    """The share of feature importance (permutation importance of the model on the baseline) that
    drifted, with the per-feature verdicts of `data_drift` (its settings, or the defaults)."""

    type: Literal["weighted_drift"]
    threshold: float = Field(0.3, gt=0, le=1, description="Breach when the drifted features hold at least this share of importance.")


Signal = Annotated[Union[DriftSignal, QualitySignal, WeightedDriftSignal], Field(discriminator="type")]
DEFAULT_SIGNALS = ["data_drift", "prediction_drift", "data_quality"]


def default_signals() -> list[DriftSignal | QualitySignal]:
    return [DriftSignal(type="data_drift"), DriftSignal(type="prediction_drift"), QualitySignal(type="data_quality")]


def _signals_from_names(values: Any) -> Any:
    if not isinstance(values, list):
        return values
    return [{"type": v} if isinstance(v, str) else v for v in values]


# ---- monitors -----------------------------------------------------------------------------------


class MonitorSchedule(Model):
    cron: str | None = Field(None, description="Five-field cron, e.g. `0 * * * *` (hourly).")
    recurrence: Recurrence | None = None
    time_zone: str = "UTC"

    def model_post_init(self, _ctx: Any) -> None:
        if bool(self.cron) == bool(self.recurrence):
            raise ValueError("give cron or recurrence (not both)")


class AlertSettings(Model):
    webhook: str | None = Field(None, description="URL that gets a JSON POST per alert (retried with backoff).")
    notify: bool = Field(True, description="Show a notification in open JupyterLab sessions.")

    @field_validator("webhook")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("webhook must be an http:// or https:// URL")
        return v


def parse_window(text: str) -> timedelta:
    """``"90s" | "30m" | "1h" | "7d" | "2w"`` -> timedelta."""
    m = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", text or "")
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{text!r} is not a window; write a number and a unit: 30m, 1h, 7d (s, m, h, d, w)")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
    return timedelta(**{unit: int(m.group(1))})


class _MonitorFields(Model):
    description: str = ""
    baseline: str = Field(
        description="The reference data: a CSV/Parquet file, folder or glob on the server (paths relative to the root), "
        "or a data asset version `data:name@version`."
    )
    features: list[str] | None = Field(None, description="Input features to watch (default: the model's inputs, else every baseline column).")
    feature_kinds: dict[str, FeatureKind] = Field(default_factory=dict, description="Treat a feature as numeric or categorical.")
    signals: list[Signal] = Field(default_factory=lambda: default_signals(), description="What each run judges (names or settings).")
    window: str = Field("1h", description="Each run judges the data collected in this window before its scheduled time.")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="Share of runs on unchanged data allowed to alarm (false alarms).")
    schedule: MonitorSchedule | None = Field(None, description="When runs start; none: only on demand (run now).")
    alert: AlertSettings = Field(default_factory=AlertSettings)

    @field_validator("signals", mode="before")
    @classmethod
    def _names(cls, v: Any) -> Any:
        return _signals_from_names(v)

    @field_validator("signals")
    @classmethod
    def _unique(cls, v: list) -> list:
        types = [s.type for s in v]
        dupes = sorted({t for t in types if types.count(t) > 1})
        if dupes:
            raise ValueError(f"each signal type once; repeated: {', '.join(dupes)}")
        if not v:
            raise ValueError("give at least one signal: data_drift, prediction_drift, data_quality, weighted_drift")
        return v

    @field_validator("window")
    @classmethod
    def _window(cls, v: str) -> str:
        parse_window(v)
        return v.strip()


class MonitorCreate(_MonitorFields):
    name: str = Field(pattern=MONITOR_NAME)
    endpoint: str | None = Field(None, description="Watch what this endpoint's deployments collect.")
    deployment: str | None = Field(None, description="One deployment of the endpoint (default: all of them).")
    batch: str | None = Field(None, description="Watch what batch jobs collected under this name (`collect.name`).")
    enabled: bool = True

    def model_post_init(self, _ctx: Any) -> None:
        if bool(self.endpoint) == bool(self.batch):
            raise ValueError("give endpoint= (an endpoint's collected requests) or batch= (a batch collection name)")
        if self.deployment and not self.endpoint:
            raise ValueError("deployment needs endpoint")


class MonitorUpdate(Model):
    description: str | None = None
    baseline: str | None = None
    features: list[str] | None = None
    feature_kinds: dict[str, FeatureKind] | None = None
    signals: list[Signal] | None = None
    window: str | None = None
    alpha: float | None = Field(None, gt=0, lt=0.5)
    schedule: MonitorSchedule | None = None
    alert: AlertSettings | None = None
    enabled: bool | None = None

    @field_validator("signals", mode="before")
    @classmethod
    def _names(cls, v: Any) -> Any:
        return _signals_from_names(v)

    @field_validator("window")
    @classmethod
    def _window(cls, v: str | None) -> str | None:
        if v is not None:
            parse_window(v)
        return v


class SignalSummary(Model):
    type: str
    breached: bool
    tested: int = Field(description="Features (or outputs) judged.")
    breaches: list[str] = Field(default_factory=list, description="Features that breached.")
    summary: dict[str, Any] = Field(default_factory=dict)


RunState = Literal["Running", "Completed", "Failed"]


class MonitorRun(Model):
    id: int
    monitor: str
    job_id: str
    job_status: JobStatus | None = None
    trigger: Literal["schedule", "manual"]
    state: RunState = Field(description="Running until its job ends; Completed with results, or Failed with error.")
    window_start: datetime
    window_end: datetime
    rows: int | None = None
    baseline_rows: int | None = None
    breached: bool | None = Field(None, description="Whether any signal breached (null until Completed).")
    signals: list[SignalSummary] = Field(default_factory=list)
    error: str | None = None
    created_at: datetime
    finished_at: datetime | None = None


class FeatureResult(Model):
    signal: str
    feature: str
    kind: str | None = None
    method: str | None = None
    statistic: float | None = Field(None, description="The value judged: a drift statistic, or a data-quality rate.")
    threshold: float | None = None
    p_value: float | None = None
    breached: bool
    importance: float | None = None
    details: dict[str, Any] = Field(default_factory=dict, description="Every statistic and rate computed for the feature.")


class Histogram(Model):
    kind: str
    labels: list[str] = Field(description="Bin labels: value ranges, or categories.")
    edges: list[float | None] | None = Field(None, description="Numeric features: bin edges, one more than bins (null: an open tail).")
    baseline: list[float] = Field(description="Share of the baseline's values per bin.")
    window: list[float] = Field(description="Share of the window's values per bin.")


class MonitorRunDetail(MonitorRun):
    features: list[FeatureResult] = Field(default_factory=list)
    histograms: dict[str, Histogram] = Field(default_factory=dict, description="Baseline vs window per feature and output.")


class MonitorRunPage(Model):
    items: list[MonitorRun]
    next_cursor: str | None = None


class Monitor(_MonitorFields):
    name: str
    endpoint: str | None
    deployment: str | None
    batch: str | None
    enabled: bool
    schedule_name: str | None = Field(None, description="The schedule that starts the runs (managed by the monitor).")
    next_run_at: datetime | None = None
    last_run: MonitorRun | None = None
    open_alerts: int = Field(0, description="Alerts of the last 24 hours.")
    created_at: datetime
    updated_at: datetime


class MonitorPage(Model):
    items: list[Monitor]
    next_cursor: str | None = None


class FeatureSeriesPoint(Model):
    run_id: int
    window_end: datetime
    statistic: float | None
    threshold: float | None
    breached: bool


class FeatureSeries(Model):
    """One signal's per-feature results over the latest runs (a heatmap's rows)."""

    monitor: str
    signal: str
    features: dict[str, list[FeatureSeriesPoint]]


DeliveryState = Literal["pending", "delivered", "failed", "none"]


class Alert(Model):
    id: int
    monitor: str
    run_id: int
    job_id: str
    created_at: datetime
    window_start: datetime
    window_end: datetime
    message: str
    signals: list[SignalSummary]
    notify: bool
    webhook: str | None
    delivery: DeliveryState = Field(description="Webhook delivery: pending (retrying), delivered, failed (gave up), none (no webhook).")
    attempts: int
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


class AlertPage(Model):
    items: list[Alert]
    next_cursor: str | None = None


# ---- endpoint time series -----------------------------------------------------------------------


class SeriesPoint(Model):
    time: datetime
    requests: float = Field(description="Requests answered since the previous point.")
    errors: float
    request_rate: float = Field(description="Requests per second over the interval.")
    error_rate: float = Field(description="Share of requests answered 4xx/5xx over the interval.")
    p50_ms: float | None = None
    p99_ms: float | None = None


class EndpointSeries(Model):
    endpoint: str
    deployments: dict[str, list[SeriesPoint]]
    interval_s: float = Field(description="Seconds between samples.")
    retention_hours: float
