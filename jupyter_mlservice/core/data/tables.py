"""Rows of data assets, their versions and the versions' profiles."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..tables import Base


class DataAssetRow(Base):
    __tablename__ = "data_assets"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # file | folder | table: every version has it
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    aliases: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # alias -> version number
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DataVersionRow(Base):
    """One immutable version. ``status`` is Registering while its content is being copied or
    hashed (a server that dies then leaves it for the next one to remove) and Ready after."""

    __tablename__ = "data_versions"
    __table_args__ = (
        Index("ix_data_versions_digest", "name", "digest"),
        Index("ix_data_versions_job", "job_id"),
    )

    name: Mapped[str] = mapped_column(String(128), ForeignKey("data_assets.name", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))  # copy | reference (file, folder); snapshot | live (table)
    source: Mapped[str] = mapped_column(Text)  # what was registered: a path, a glob, a query
    path: Mapped[str | None] = mapped_column(Text, nullable=True)  # where jobs read it (none for live tables)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)  # live tables: the SQLAlchemy URL
    sql: Mapped[str | None] = mapped_column(Text, nullable=True)
    format: Mapped[str | None] = mapped_column(String(16), nullable=True)  # csv parquet jsonl images mixed other
    digest: Mapped[str | None] = mapped_column(String(80), nullable=True)  # sha256:<hex>; none for live tables
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    file_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    row_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    columns: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)  # [{"name", "type"}]
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the job whose output it is
    output_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DataProfileRow(Base):
    """The profile of a version, computed by a job (``job_id``) after registration."""

    __tablename__ = "data_profiles"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # Queued | Running | Ready | Failed
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
