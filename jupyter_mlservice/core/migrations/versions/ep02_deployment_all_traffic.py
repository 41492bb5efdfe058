"""deployments: all_traffic (route all traffic once Healthy, as stored desired state)

Revision ID: ep02
Revises: ep01
"""
import sqlalchemy as sa
from alembic import op

revision = "ep02"
down_revision = "ep01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("all_traffic", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("all_traffic")
