"""The workspace store: one SQLAlchemy engine, migrations applied at start."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .errors import NotFound

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


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
            _drop_superseded_stamps(conn, ScriptDirectory.from_config(cfg))
            command.upgrade(cfg, "head")

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

    def get_or_404(self, table: type[T], key: Any, message: str, session: Session | None = None) -> T:
        """The row of ``table`` with this primary key, or NotFound(message).

        With ``session`` the row stays attached to it (to change it in that transaction);
        without, it is read in a transaction of its own and returned detached.
        """
        if session is not None:
            row = session.get(table, key)
            if row is None:
                raise NotFound(message)
            return row
        with self.session() as s:
            row = self.get_or_404(table, key, message, s)
            s.expunge(row)
            return row

    def dispose(self) -> None:
        self.engine.dispose()


def _drop_superseded_stamps(conn, scripts: ScriptDirectory) -> None:
    """Keep only the newest of stamped revisions that now lie on one line.

    The history once had two heads (ep01 beside sched01, later beside sched01's line up to
    mon01), so a database made then is stamped with both. On one line the later stamp says
    all of it; Alembic refuses a stamp that lists a revision beside its own ancestor.
    """
    if not inspect(conn).has_table("alembic_version"):
        return
    stamped = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    if len(stamped) < 2:
        return
    try:
        below = {rev: _ancestors(scripts, rev) for rev in stamped}
    except CommandError:  # a revision this code does not know: let Alembic say so
        return
    for rev in stamped:
        if any(rev in below[other] for other in stamped if other != rev):
            log.info("workspace store: revision %s is implied by a later one; dropping its stamp", rev)
            conn.execute(text("DELETE FROM alembic_version WHERE version_num = :rev"), {"rev": rev})


def _ancestors(scripts: ScriptDirectory, rev: str) -> set[str]:
    seen: set[str] = set()
    todo = [rev]
    while todo:
        script = scripts.get_revision(todo.pop())
        if script is None:
            continue
        downs = script.down_revision
        for down in (downs,) if isinstance(downs, str) else (downs or ()):
            if down not in seen:
                seen.add(down)
                todo.append(down)
    return seen
