"""Rows of progressive rollouts: the plan, where it stands, and what each step measured."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class RolloutRow(Base):
    __tablename__ = "rollouts"
    __table_args__ = (Index("ix_rollouts_endpoint", "endpoint", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    candidate: Mapped[str] = mapped_column(String(64))  # the new deployment
    baseline: Mapped[str] = mapped_column(String(64))  # the deployment serving when it started
    model: Mapped[str] = mapped_column(String(200))  # name:version, resolved at start
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    require_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    # Creating | Mirroring | Progressing | Paused | AwaitingApproval | Completed | RolledBack
    state: Mapped[str] = mapped_column(String(24))
    step: Mapped[int] = mapped_column(Integer, default=-1)  # index into plan.steps; -1 before the first
    phase_started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    counters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the endpoint's counters when the phase began
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)  # one entry per judged phase
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    delete_baseline_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    baseline_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
