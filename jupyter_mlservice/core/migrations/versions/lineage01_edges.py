"""lineage edges

Revision ID: lineage01
Revises: env01
"""
import sqlalchemy as sa
from alembic import op

revision = "lineage01"
down_revision = "env01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("src_type", sa.String(32), nullable=False),
        sa.Column("src_id", sa.String(256), nullable=False),
        sa.Column("dst_type", sa.String(32), nullable=False),
        sa.Column("dst_id", sa.String(256), nullable=False),
        sa.Column("relation", sa.String(32), nullable=False),
        sa.Column("attrs", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("src_type", "src_id", "dst_type", "dst_id", "relation", name="uq_lineage_edge"),
    )
    op.create_index("ix_lineage_src", "lineage_edges", ["src_type", "src_id"])
    op.create_index("ix_lineage_dst", "lineage_edges", ["dst_type", "dst_id"])


def downgrade() -> None:
    op.drop_table("lineage_edges")
