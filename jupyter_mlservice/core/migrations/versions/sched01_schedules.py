"""schedules and their runs

Revision ID: sched01
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "sched01"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("job", sa.JSON, nullable=False),
        sa.Column("cron", sa.String(256)),
        sa.Column("recurrence", sa.JSON),
        sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("start_at", sa.DateTime),
        sa.Column("end_at", sa.DateTime),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("catch_up", sa.String(16), nullable=False, server_default="latest"),
        sa.Column("catch_up_limit", sa.Integer, nullable=False, server_default="10"),
        sa.Column("max_concurrent_runs", sa.Integer, nullable=False, server_default="1"),
        sa.Column("concurrency_policy", sa.String(16), nullable=False, server_default="skip"),
        sa.Column("next_run_at", sa.DateTime),
        sa.Column("last_slot_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_schedules_due", "schedules", ["enabled", "next_run_at"])
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.String(40), sa.ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("slot_time", sa.DateTime, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(40)),
        sa.Column("reason", sa.Text),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        # The exactly-once guarantee: a slot is claimed by inserting this row, and only one
        # insert per (schedule, slot) can ever succeed, whatever the number of server processes.
        sa.UniqueConstraint("schedule_id", "slot_time", name="uq_schedule_runs_slot"),
    )
    op.create_index("ix_schedule_runs_state", "schedule_runs", ["schedule_id", "state"])
    op.create_index("ix_schedule_runs_job", "schedule_runs", ["job_id"])


def downgrade() -> None:
    op.drop_table("schedule_runs")
    op.drop_table("schedules")
