"""The lineage edge table."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class LineageEdgeRow(Base):
    """``src`` flowed into ``dst``: data_version -input-> job, job -output-> data_version,
    job -registered-> model_version, model_version -deployed-> deployment."""

    __tablename__ = "lineage_edges"
    __table_args__ = (
        UniqueConstraint("src_type", "src_id", "dst_type", "dst_id", "relation", name="uq_lineage_edge"),
        Index("ix_lineage_src", "src_type", "src_id"),
        Index("ix_lineage_dst", "dst_type", "dst_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    src_type: Mapped[str] = mapped_column(String(32))
    src_id: Mapped[str] = mapped_column(String(256))
    dst_type: Mapped[str] = mapped_column(String(32))
    dst_id: Mapped[str] = mapped_column(String(256))
    relation: Mapped[str] = mapped_column(String(32))
    # What else the recorder knew: the input's name in the job, the digest a live table had...
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)
