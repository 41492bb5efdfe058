"""Rows of environments: one per name and version, never changed once written."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class EnvironmentRow(Base):
    __tablename__ = "environments"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300))
    requirements: Mapped[list[Any]] = mapped_column(JSON)
    resolved: Mapped[list[Any]] = mapped_column(JSON)
    key: Mapped[str] = mapped_column(String(64), index=True)
    python: Mapped[str] = mapped_column(String(32))
    warnings: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
