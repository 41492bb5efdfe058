"""Rows of endpoints and their deployments: desired state (spec, traffic) and what serves."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class EndpointRow(Base):
    __tablename__ = "endpoints"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    auth_mode: Mapped[str] = mapped_column(String(8))
    host: Mapped[str] = mapped_column(String(64))
    port: Mapped[int] = mapped_column(Integer)
    primary_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    secondary_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    traffic: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mirror_traffic: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DeploymentRow(Base):
    __tablename__ = "deployments"

    endpoint: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # What the user asked for, and what was last served successfully (a failed update keeps
    # serving the latter).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    ready_workers: Mapped[int] = mapped_column(Integer, default=0)
    # Desired state: once Healthy, this deployment takes all of the endpoint's traffic (the
    # controller routes it and clears the flag; a Failed deployment clears it too).
    all_traffic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class EndpointHistoryRow(Base):
    """What an endpoint served from ``time`` on: its traffic, mirror traffic and each deployment's
    model version. A row is added whenever one of them changes ("what served at time T")."""

    __tablename__ = "endpoint_history"
    __table_args__ = (Index("ix_endpoint_history_time", "endpoint", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    time: Mapped[datetime] = mapped_column(DateTime)
    traffic: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mirror_traffic: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    models: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # deployment -> name:version
