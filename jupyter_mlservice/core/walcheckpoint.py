"""Checkpoint the workspace's SQLite write-ahead logs regularly.

SQLite copies its WAL back into the database on its own only at a commit that finds the log past
1000 pages and no reader in the way; a workspace that is mostly read, or a reader that keeps a
transaction open, lets the log grow for as long as the server runs (one run found 4.66 MB, about
8 minutes of state, never checkpointed). This controller runs ``PRAGMA wal_checkpoint(TRUNCATE)``
on the workspace store and the MLflow database every ``interval`` seconds with a short busy
timeout (writers are never held up for long), and warns when a reader has blocked checkpoints
for longer than ``warn_after`` seconds. A last checkpoint runs when the server stops.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from .reconciler import Reconciler

log = logging.getLogger("jupyter_mlservice.wal")

BUSY_TIMEOUT_S = 0.2


class WalCheckpointer(Reconciler):
    name = "mlservice-wal-checkpoint"
    interval = 60.0

    def __init__(self, databases: list[Path], interval: float | None = None, warn_after: float = 300.0):
        super().__init__(interval=interval)
        self.databases = [Path(p) for p in databases]
        self.warn_after = warn_after
        self.blocked_since: dict[Path, float] = {}
        self.last: dict[Path, tuple[int, int, int]] = {}  # (busy, frames in the log, frames checkpointed)

    def tick(self) -> None:
        for db in self.databases:
            if db.exists():
                self.checkpoint(db)

    def on_stop(self) -> None:
        self.tick()

    def checkpoint(self, db: Path) -> bool:
        """One TRUNCATE checkpoint; True when the log was emptied."""
        conn = sqlite3.connect(db, timeout=BUSY_TIMEOUT_S)
        try:
            busy, frames, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError as exc:  # locked past the busy timeout
            busy, frames, done = 1, -1, -1
            log.debug("checkpoint of %s: %s", db, exc)
        finally:
            conn.close()
        self.last[db] = (busy, frames, done)
        if not busy:
            self.blocked_since.pop(db, None)
            return True
        since = self.blocked_since.setdefault(db, time.monotonic())
        if time.monotonic() - since >= self.warn_after:
            wal = db.with_name(db.name + "-wal")
            size = wal.stat().st_size if wal.exists() else 0
            log.warning("%s: its write-ahead log (%.1f MB) could not be checkpointed for %.0f s: a reader keeps a "
                        "transaction open", db.name, size / 1e6, time.monotonic() - since)
            self.blocked_since[db] = time.monotonic()  # warn again after another warn_after
        return False
