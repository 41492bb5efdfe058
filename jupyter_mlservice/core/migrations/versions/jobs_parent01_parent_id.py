"""jobs.parent_id: a child job (a sweep trial, a pipeline step) points at its parent job

Revision ID: jobs_parent01
Revises: ep01
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_parent01"
down_revision = "ep01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(40), nullable=True))
    op.create_index("ix_jobs_parent", "jobs", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_parent", "jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("parent_id")
