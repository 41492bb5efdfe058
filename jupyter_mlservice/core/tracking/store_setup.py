"""The MLflow SQLite database: created once at workspace start, in WAL mode, with a busy timeout.

SQLite serializes writers. In its default rollback-journal mode a writer also blocks readers and a
reader can make a writer give up at once ("database is locked"). WAL mode lets readers and one
writer work side by side and is stored in the file, so switching it on once at workspace start is
enough; every connection MLflow opens afterwards also waits (busy timeout) instead of failing.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:`` URI, or None for another URI or an in-memory database."""
    if not uri.startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def enable_wal(path: Path, timeout: float = BUSY_TIMEOUT_MS / 1000) -> str:
    """Switch a SQLite file to WAL (persistent). Returns the journal mode now in force."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=timeout)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() != "wal":
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        return mode.lower()
    finally:
        conn.close()


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # NORMAL is durable across application crashes in WAL mode (only an OS crash can lose
        # the last commits) and saves an fsync per transaction.
        if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            cur.execute("PRAGMA synchronous=NORMAL")
    finally:
        cur.close()


def ensure_wal(uri: str) -> None:
    """Best effort, for a database nobody prepared: switch it to WAL unless it is busy."""
    path = sqlite_path(uri)
    if path is None or not path.exists():
        return
    try:
        enable_wal(path, timeout=1.0)
    except sqlite3.Error as exc:
        log.debug("could not switch %s to WAL: %s", path, exc)


def tune_sqlite_engine(engine: Engine) -> None:
    """Give every connection of an MLflow SQLite engine a busy timeout. Idempotent.

    MLflow creates and caches its own engine per database URI; a ``connect`` listener is the
    public SQLAlchemy hook for per-connection settings. Connections the store opened while it was
    being built are dropped so that all later ones carry the settings.
    """
    if engine.dialect.name != "sqlite" or getattr(engine, "_mlservice_tuned", False):
        return
    from sqlalchemy import event

    event.listen(engine, "connect", _on_connect)
    engine._mlservice_tuned = True  # type: ignore[attr-defined]
    engine.dispose()


def prepare_sqlite_tracking_db(uri: str, artifact_root: str | Path) -> SqlAlchemyStore | None:
    """Create (or open) the MLflow tracking/registry database at ``uri`` and return its store.

    Called once at workspace start. Switches the file to WAL before MLflow's schema migrations
    run, creates the tables, and makes sure the Default experiment stores its artifacts under
    ``artifact_root`` (MLflow records the location when it first creates that experiment).
    Any other URI (an MLflow server, PostgreSQL) is owned by whoever runs it: returns None.
    """
    path = sqlite_path(uri)
    if path is None:
        return None
    if not path.is_absolute():
        raise ValueError(
            f"the MLflow database path must be absolute (jobs run in other folders): {uri!r}"
        )
    enable_wal(path)
    if "://" not in str(artifact_root):
        Path(artifact_root).mkdir(parents=True, exist_ok=True)
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, str(artifact_root))
    tune_sqlite_engine(store.engine)
    # Move the migrations out of the WAL file into the database file, so that a plain file copy
    # of a freshly prepared database (test templates) is complete.
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return store
