"""monitoring: monitors, runs, per-feature results, alerts, endpoint time series

Revision ID: mon01
Revises: data01
"""
import sqlalchemy as sa
from alembic import op

revision = "mon01"
down_revision = "data01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("endpoint", sa.String(64)),
        sa.Column("deployment", sa.String(64)),
        sa.Column("batch", sa.String(64)),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("schedule_name", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "monitor_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("monitor", sa.String(64), nullable=False),
        sa.Column("job_id", sa.String(40), nullable=False, unique=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("window_start", sa.DateTime, nullable=False),
        sa.Column("window_end", sa.DateTime, nullable=False),
        sa.Column("rows", sa.Integer),
        sa.Column("baseline_rows", sa.Integer),
        sa.Column("breached", sa.Boolean),
        sa.Column("signals", sa.JSON, nullable=False),
        sa.Column("histograms", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_index("ix_monitor_runs_monitor", "monitor_runs", ["monitor", "window_end"])
    op.create_table(
        "monitor_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("monitor_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("monitor", sa.String(64), nullable=False),
        sa.Column("signal", sa.String(32), nullable=False),
        sa.Column("feature", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(16)),
        sa.Column("method", sa.String(32)),
        sa.Column("statistic", sa.Float),
        sa.Column("threshold", sa.Float),
        sa.Column("p_value", sa.Float),
        sa.Column("breached", sa.Boolean, nullable=False),
        sa.Column("importance", sa.Float),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_monitor_results_feature", "monitor_results", ["monitor", "signal", "feature", "run_id"])
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("monitor", sa.String(64), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False, unique=True),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("window_start", sa.DateTime, nullable=False),
        sa.Column("window_end", sa.DateTime, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("signals", sa.JSON, nullable=False),
        sa.Column("notify", sa.Boolean, nullable=False),
        sa.Column("webhook", sa.Text),
        sa.Column("delivery", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.DateTime),
    )
    op.create_index("ix_monitor_alerts_monitor", "monitor_alerts", ["monitor", "id"])
    op.create_index("ix_monitor_alerts_delivery", "monitor_alerts", ["delivery", "next_attempt_at"])
    op.create_table(
        "endpoint_samples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("deployment", sa.String(64), nullable=False),
        sa.Column("time", sa.DateTime, nullable=False),
        sa.Column("interval_s", sa.Float, nullable=False),
        sa.Column("requests", sa.Float, nullable=False),
        sa.Column("errors", sa.Float, nullable=False),
        sa.Column("p50_ms", sa.Float),
        sa.Column("p99_ms", sa.Float),
    )
    op.create_index("ix_endpoint_samples_time", "endpoint_samples", ["endpoint", "time"])


def downgrade() -> None:
    op.drop_table("endpoint_samples")
    op.drop_table("monitor_alerts")
    op.drop_table("monitor_results")
    op.drop_table("monitor_runs")
    op.drop_table("monitors")
