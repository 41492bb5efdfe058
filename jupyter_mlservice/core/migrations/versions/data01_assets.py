"""data assets, versions and profiles

Revision ID: data01
Revises: lineage01
"""
import sqlalchemy as sa
from alembic import op

revision = "data01"
down_revision = "lineage01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_assets",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(128), sa.ForeignKey("data_assets.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("path", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("sql", sa.Text),
        sa.Column("format", sa.String(16)),
        sa.Column("digest", sa.String(80)),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("file_count", sa.Integer),
        sa.Column("row_count", sa.BigInteger),
        sa.Column("columns", sa.JSON),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("job_id", sa.String(40)),
        sa.Column("output_name", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_data_versions_digest", "data_versions", ["name", "digest"])
    op.create_index("ix_data_versions_job", "data_versions", ["job_id"])
    op.create_table(
        "data_profiles",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(40)),
        sa.Column("error", sa.Text),
        sa.Column("profile", sa.JSON),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("data_profiles")
    op.drop_table("data_versions")
    op.drop_table("data_assets")
