"""The pipeline's own rows: one per step of a run (beside the step's child job), and the
component registry."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class PipelineStepRow(Base):
    """A step of a pipeline run and what became of it.

    state: pending (waiting for its inputs) -> running (its job submitted) -> completed | failed |
    canceled; or reused (an earlier run's outputs linked, no job), or skipped (an upstream step
    failed, or the run was canceled). Written before the job is submitted, so a restarted
    controller adopts the job instead of submitting a second one.
    """

    __tablename__ = "pipeline_steps"
    __table_args__ = (
        Index("ix_pipeline_steps_key", "reuse_key", "state"),
        Index("ix_pipeline_steps_name", "pipeline_name", "step"),
    )

    pipeline_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    step: Mapped[str] = mapped_column(String(64), primary_key=True)
    pipeline_name: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # sha256 of the key parts; parts: {"component": {...}, "inputs": {...}, "parameters": {...}}
    reuse_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    key_parts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reused_from: Mapped[str | None] = mapped_column(String(40), nullable=True)
    why: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # what the step was given (resolved: paths, pinned refs, values) and where it writes
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ComponentRow(Base):
    """A registered component version (immutable)."""

    __tablename__ = "components"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime)
