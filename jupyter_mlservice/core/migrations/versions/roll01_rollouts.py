"""rollouts

Revision ID: roll01
Revises: eval01
"""
import sqlalchemy as sa
from alembic import op

revision = "roll01"
down_revision = "eval01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("candidate", sa.String(64), nullable=False),
        sa.Column("baseline", sa.String(64), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("require_approval", sa.Boolean, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("phase_started_at", sa.DateTime, nullable=True),
        sa.Column("counters", sa.JSON, nullable=False),
        sa.Column("history", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("approved_at", sa.DateTime, nullable=True),
        sa.Column("delete_baseline_at", sa.DateTime, nullable=True),
        sa.Column("baseline_deleted", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_rollouts_endpoint", "rollouts", ["endpoint", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_rollouts_endpoint", table_name="rollouts")
    op.drop_table("rollouts")
