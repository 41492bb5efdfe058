"""deployments: all_traffic (route all traffic once Healthy, as stored desired state)

Revision ID: ep02
Revises: mon01

Last in the line on purpose: databases made before the history became one line carry every
revision but this one, so they only need this one (tests/test_store_migrations.py).
"""
import sqlalchemy as sa
from alembic import op

revision = "ep02"
down_revision = "mon01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("all_traffic", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("all_traffic")
