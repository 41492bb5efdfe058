"""Rows of triggers and of their firings (one per cause: which data version, which alert...)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class TriggerRow(Base):
    __tablename__ = "triggers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    on: Mapped[dict[str, Any]] = mapped_column(JSON)  # what it watches (schemas.TriggerOn)
    run: Mapped[dict[str, Any]] = mapped_column(JSON)  # the job spec it submits, templated with the cause
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # What has been seen: causes at or below it never fire (the newest version, alert id, cron slot...).
    seen: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class TriggerFiringRow(Base):
    __tablename__ = "trigger_firings"
    __table_args__ = (
        UniqueConstraint("trigger_id", "cause_key", name="uq_trigger_firings_cause"),
        Index("ix_trigger_firings_trigger", "trigger_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trigger_id: Mapped[str] = mapped_column(String(40), ForeignKey("triggers.id", ondelete="CASCADE"))
    cause_key: Mapped[str] = mapped_column(String(255))  # unique per trigger: a cause fires once
    cause: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # claimed | submitted | failed
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    rollout_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # run={"rollout": ...}
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
