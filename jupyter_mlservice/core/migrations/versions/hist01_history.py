"""endpoint_history and model_alias_history

Revision ID: hist01
Revises: pipe01
"""
import sqlalchemy as sa
from alembic import op

revision = "hist01"
down_revision = "pipe01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoint_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("time", sa.DateTime, nullable=False),
        sa.Column("traffic", sa.JSON, nullable=False),
        sa.Column("mirror_traffic", sa.JSON, nullable=False),
        sa.Column("models", sa.JSON, nullable=False),
    )
    op.create_index("ix_endpoint_history_time", "endpoint_history", ["endpoint", "time"])
    op.create_table(
        "model_alias_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("version", sa.String(16), nullable=True),
        sa.Column("time", sa.DateTime, nullable=False),
    )
    op.create_index("ix_model_alias_history", "model_alias_history", ["name", "alias", "time"])


def downgrade() -> None:
    op.drop_index("ix_model_alias_history", table_name="model_alias_history")
    op.drop_table("model_alias_history")
    op.drop_index("ix_endpoint_history_time", table_name="endpoint_history")
    op.drop_table("endpoint_history")
