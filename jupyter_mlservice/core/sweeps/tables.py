"""The sweep's own rows: one per trial, beside the trial's child job."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class SweepTrialRow(Base):
    """A sampled point and what became of it.

    state: pending (sampled, job not yet submitted) -> running (job submitted) -> pruning (the
    policy stopped it; cancel in flight) -> completed | pruned | failed | canceled.
    """

    __tablename__ = "sweep_trials"
    __table_args__ = (Index("ix_sweep_trials_state", "sweep_id", "state"),)

    sweep_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    optuna_trial_id: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Steps of the objective already reported to Optuna, the smoothed value at the last one, and
    # how many evaluations in a row said "stop" (the policy's `consecutive`).
    last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    smoothed: Mapped[float | None] = mapped_column(Float, nullable=True)
    bad_evaluations: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
