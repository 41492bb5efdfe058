"""The workspace store's Alembic history is one line, and databases made by older histories upgrade."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from jupyter_mlservice.core.store import MIGRATIONS, Store
from jupyter_mlservice.core.tables import Base, load_all


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _stamps(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    engine.dispose()
    return sorted(rows)


def _old_database(url: str, applied: str, stamps: list[str]) -> None:
    """Tables as the old code left them (migrations up to ``applied``), stamped as it stamped them."""
    command.upgrade(_config(url), applied)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        for rev in stamps:
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": rev})
    engine.dispose()


def test_the_history_is_one_line():
    scripts = ScriptDirectory.from_config(_config("sqlite://"))
    assert len(scripts.get_heads()) == 1, f"several heads: {scripts.get_heads()}; chain the newest onto the other"
    for script in scripts.walk_revisions():
        assert not isinstance(script.down_revision, tuple), f"{script.revision} merges {script.down_revision}"


@pytest.mark.parametrize(
    "applied,stamps",
    [
        ("mon01", ["ep01", "mon01"]),  # made on main before this history was one line (ep01 beside sched01 .. mon01)
        ("data01", ["data01", "ep01"]),  # the same, before monitoring landed
        ("env01", ["env01", "ep01"]),  # ... before data assets landed
        ("sweeps01", ["ep01", "sweeps01"]),  # ... before environments landed
        ("ep01", ["ep01", "sched01"]),  # made while schedules and endpoints were two heads
        ("sched01", ["sched01"]),  # made before endpoints existed
        ("0001", ["0001"]),  # made before schedules existed
    ],
    ids=["main-two-heads", "main-before-monitoring", "main-before-data", "main-before-environments", "two-old-heads", "schedules-only", "first-revision"],
)
def test_an_existing_workspace_db_upgrades_to_the_head(tmp_path, applied, stamps):
    url = f"sqlite:///{tmp_path / 'workspace.db'}"
    _old_database(url, applied, stamps)
    store = Store(url)
    store.migrate()
    store.migrate()  # and again: nothing to do
    head = ScriptDirectory.from_config(_config(url)).get_heads()
    assert _stamps(url) == head
    load_all()
    found = inspect(store.engine)
    for table in Base.metadata.sorted_tables:
        assert found.has_table(table.name), f"table {table.name} missing after the upgrade"
        assert {c.name for c in table.columns} <= {c["name"] for c in found.get_columns(table.name)}, table.name
    store.dispose()
