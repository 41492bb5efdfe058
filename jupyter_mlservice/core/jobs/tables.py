"""Rows of jobs: what was asked (spec), where it is (status, backend handle), what happened."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_created", "created_at", "id"),
        Index("ix_jobs_status", "status"),
        Index("ix_jobs_target_status", "target", "status"),
        Index("ix_jobs_experiment", "experiment"),
        Index("ix_jobs_parent", "parent_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(256), default="")
    target: Mapped[str] = mapped_column(String(64))
    experiment: Mapped[str] = mapped_column(String(256))
    experiment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    max_retries: Mapped[int] = mapped_column(Integer, default=0)
    timeout_s: Mapped[float | None] = mapped_column(nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    git_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The parent job (a sweep, an AutoML run) this job runs for; see core/jobs/children.py.
    parent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # What the compute backend needs to find the work again after a restart (pid, ray job id...).
    backend_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # One entry per finished attempt: {"attempt", "exit_code", "error", "started_at", "ended_at"}.
    attempts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
