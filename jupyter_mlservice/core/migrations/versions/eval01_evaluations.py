"""evaluations

Revision ID: eval01
Revises: trig01
"""
import sqlalchemy as sa
from alembic import op

revision = "eval01"
down_revision = "trig01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("candidate", sa.String(200), nullable=False),
        sa.Column("candidate_name", sa.String(128), nullable=False),
        sa.Column("candidate_version", sa.String(16), nullable=False),
        sa.Column("baseline", sa.String(200), nullable=False),
        sa.Column("baseline_name", sa.String(128), nullable=False),
        sa.Column("baseline_version", sa.String(16), nullable=False),
        sa.Column("data", sa.String(300), nullable=False),
        sa.Column("target_column", sa.String(128), nullable=False),
        sa.Column("task", sa.String(16), nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("gate", sa.JSON, nullable=True),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("bootstrap", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=True),
        sa.Column("results", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_evaluations_candidate", "evaluations", ["candidate_name", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_evaluations_candidate", table_name="evaluations")
    op.drop_table("evaluations")
