"""Rows of monitoring: monitors (desired state), their runs and per-feature results, alerts with
their webhook delivery, and the endpoints' request time series."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class MonitorRow(Base):
    __tablename__ = "monitors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    endpoint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deployment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    batch: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # baseline, features, feature_kinds, signals, window, alpha, schedule, alert (MonitorCreate's fields)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    schedule_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class MonitorRunRow(Base):
    __tablename__ = "monitor_runs"
    __table_args__ = (Index("ix_monitor_runs_monitor", "monitor", "window_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(String(40), unique=True)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual
    state: Mapped[str] = mapped_column(String(16))  # Running | Completed | Failed
    window_start: Mapped[datetime] = mapped_column(DateTime)
    window_end: Mapped[datetime] = mapped_column(DateTime)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    baseline_rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    breached: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    signals: Mapped[list[Any]] = mapped_column(JSON, default=list)  # SignalSummary per signal
    histograms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class MonitorResultRow(Base):
    __tablename__ = "monitor_results"
    __table_args__ = (Index("ix_monitor_results_feature", "monitor", "signal", "feature", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("monitor_runs.id", ondelete="CASCADE"))
    monitor: Mapped[str] = mapped_column(String(64))
    signal: Mapped[str] = mapped_column(String(32))
    feature: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    method: Mapped[str | None] = mapped_column(String(32), nullable=True)
    statistic: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    importance: Mapped[float | None] = mapped_column(Float, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlertRow(Base):
    __tablename__ = "monitor_alerts"
    __table_args__ = (
        Index("ix_monitor_alerts_monitor", "monitor", "id"),
        Index("ix_monitor_alerts_delivery", "delivery", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(Integer, unique=True)
    job_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    window_end: Mapped[datetime] = mapped_column(DateTime)
    message: Mapped[str] = mapped_column(Text)
    signals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivery: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed | none
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class EndpointSampleRow(Base):
    """One deployment's requests over one sampling interval (deltas of the live counters)."""

    __tablename__ = "endpoint_samples"
    __table_args__ = (Index("ix_endpoint_samples_time", "endpoint", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    deployment: Mapped[str] = mapped_column(String(64))
    time: Mapped[datetime] = mapped_column(DateTime)
    interval_s: Mapped[float] = mapped_column(Float)
    requests: Mapped[float] = mapped_column(Float)
    errors: Mapped[float] = mapped_column(Float)
    p50_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    p99_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
