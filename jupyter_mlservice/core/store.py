"""The workspace store: one SQLAlchemy engine, migrations applied at start."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def sqlite_files(url: str) -> list[Path]:
    """The database file of a SQLite URL and its WAL/shared-memory companions ([] otherwise)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return []
    db = Path(parsed.database)
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


class Store:
    """Owns the engine and hands out sessions. Thread-safe; every write is its own transaction."""

    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict = {"future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on error.

        SQLite waits up to 30 s for a busy database (``busy_timeout``) instead of failing.
        """
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def insert_new(self, row) -> bool:
        """Insert a row whose primary key must be new: False when it exists, also when a
        concurrent insert of the same key commits first (two creates: one wins, one gets 409)."""
        from sqlalchemy.exc import IntegrityError

        try:
            with self.session() as s:
                key = type(row).__mapper__.primary_key_from_instance(row)
                if s.get(type(row), tuple(key) if len(key) > 1 else key[0]) is not None:
                    return False
                s.add(row)
        except IntegrityError:
            return False
        return True

    def restrict(self) -> None:
        """A SQLite store's files readable by the server user only (0600): they hold what users
        asked for, including names and settings no one else should read."""
        for path in sqlite_files(self.url):
            if path.exists():
                os.chmod(path, 0o600)

    def dispose(self) -> None:
        self.engine.dispose()
