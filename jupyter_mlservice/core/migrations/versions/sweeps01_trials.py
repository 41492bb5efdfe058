"""sweep trials

Revision ID: sweeps01
Revises: jobs_parent01
"""
import sqlalchemy as sa
from alembic import op

revision = "sweeps01"
down_revision = "jobs_parent01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_trials",
        sa.Column("sweep_id", sa.String(40), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("optuna_trial_id", sa.Integer, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("job_id", sa.String(40)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("last_step", sa.Integer),
        sa.Column("smoothed", sa.Float),
        sa.Column("bad_evaluations", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
    )
    op.create_index("ix_sweep_trials_state", "sweep_trials", ["sweep_id", "state"])


def downgrade() -> None:
    op.drop_table("sweep_trials")
