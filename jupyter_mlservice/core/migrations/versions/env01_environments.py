"""environments

Revision ID: env01
Revises: sweeps01
"""
import sqlalchemy as sa
from alembic import op

revision = "env01"
down_revision = "sweeps01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "environments",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("requirements", sa.JSON, nullable=False),
        sa.Column("resolved", sa.JSON, nullable=False),
        sa.Column("key", sa.String(64), nullable=False, index=True),
        sa.Column("python", sa.String(32), nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("environments")
