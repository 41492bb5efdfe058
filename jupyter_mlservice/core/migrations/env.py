"""Alembic environment: the connection comes from Store.migrate()."""

from alembic import context

from jupyter_mlservice.core.tables import Base, load_all

load_all()

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # alembic CLI use: build one from the URL
    from sqlalchemy import create_engine

    connection = create_engine(config.get_main_option("sqlalchemy.url")).connect()

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
