"""The registry's own rows: MLflow keeps models and versions; the workspace keeps the history of
aliases (MLflow keeps only where an alias points now), so "which version was champion at T" has
an answer."""

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class AliasHistoryRow(Base):
    __tablename__ = "model_alias_history"
    __table_args__ = (Index("ix_model_alias_history", "name", "alias", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256))
    alias: Mapped[str] = mapped_column(String(256))
    version: Mapped[str | None] = mapped_column(String(16), nullable=True)  # None: the alias was removed
    time: Mapped[datetime] = mapped_column(DateTime)
