"""triggers and trigger_firings

Revision ID: trig01
Revises: mon02
"""
import sqlalchemy as sa
from alembic import op

revision = "trig01"
down_revision = "mon02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triggers",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("on", sa.JSON, nullable=False),
        sa.Column("run", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("seen", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "trigger_firings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trigger_id", sa.String(40), sa.ForeignKey("triggers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("cause_key", sa.String(255), nullable=False),
        sa.Column("cause", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(40), nullable=True),
        sa.Column("rollout_id", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("trigger_id", "cause_key", name="uq_trigger_firings_cause"),
    )
    op.create_index("ix_trigger_firings_trigger", "trigger_firings", ["trigger_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_trigger_firings_trigger", table_name="trigger_firings")
    op.drop_table("trigger_firings")
    op.drop_table("triggers")
