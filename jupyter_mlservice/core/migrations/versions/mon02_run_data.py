"""monitor_runs.data: the data asset versions a run read (baseline, current)

Revision ID: mon02
Revises: ep02
"""
import sqlalchemy as sa
from alembic import op

revision = "mon02"
down_revision = "ep02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("monitor_runs") as batch:
        batch.add_column(sa.Column("data", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("monitor_runs") as batch:
        batch.drop_column("data")
