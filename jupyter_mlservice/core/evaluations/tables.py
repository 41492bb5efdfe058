"""Rows of model evaluations: a candidate and a baseline judged on the same rows."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class EvaluationRow(Base):
    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_candidate", "candidate_name", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    candidate: Mapped[str] = mapped_column(String(200))  # as asked: iris:7, iris@challenger
    candidate_name: Mapped[str] = mapped_column(String(128))
    candidate_version: Mapped[str] = mapped_column(String(16))  # resolved when submitted
    baseline: Mapped[str] = mapped_column(String(200))
    baseline_name: Mapped[str] = mapped_column(String(128))
    baseline_version: Mapped[str] = mapped_column(String(16))
    data: Mapped[str] = mapped_column(String(300))  # data:NAME[@V]; the version read is the job's input
    target_column: Mapped[str] = mapped_column(String(128))
    task: Mapped[str] = mapped_column(String(16))  # classification | regression
    metrics: Mapped[list[Any]] = mapped_column(JSON)
    gate: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # metric -> margin
    confidence: Mapped[float] = mapped_column(Float)
    bootstrap: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # Running | Completed | Failed
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    job_id: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
