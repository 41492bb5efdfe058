"""pipeline steps and components

Revision ID: pipe01
Revises: roll01
"""
import sqlalchemy as sa
from alembic import op

revision = "pipe01"
down_revision = "roll01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_steps",
        sa.Column("pipeline_id", sa.String(40), primary_key=True),
        sa.Column("step", sa.String(64), primary_key=True),
        sa.Column("pipeline_name", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(40)),
        sa.Column("reuse_key", sa.String(80)),
        sa.Column("key_parts", sa.JSON, nullable=False),
        sa.Column("reused_from", sa.String(40)),
        sa.Column("why", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("outputs", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime),
        sa.Column("ended_at", sa.DateTime),
    )
    op.create_index("ix_pipeline_steps_key", "pipeline_steps", ["reuse_key", "state"])
    op.create_index("ix_pipeline_steps_name", "pipeline_steps", ["pipeline_name", "step"])
    op.create_table(
        "components",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("components")
    op.drop_table("pipeline_steps")
