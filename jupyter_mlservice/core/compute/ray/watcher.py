"""The watcher of the Ray jobs this server submitted: a reconciler that polls each attempt's
status on its cluster, copies its log into the job's own log file while it runs (Ray drops a
job's logs when its node goes), and keeps stopping jobs canceled while PENDING (upstream stop of
a pending job is unreliable). The backend reads the watcher's memory to answer ``observe``."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ...reconciler import Reconciler
from .client import RayCluster

log = logging.getLogger("jupyter_mlservice.ray")

POLL_S = 0.25
LOG_POLL_S = 1.0
# How long a job canceled while PENDING is stopped again and again.
ZOMBIE_WATCH_S = 600.0
ENDED = ("SUCCEEDED", "FAILED", "STOPPED")


class Watch:
    """What the backend keeps in memory about one submitted attempt."""

    def __init__(self, handle: dict[str, Any]):
        self.handle = handle
        self.sid: str = handle["submission_id"]
        self.submitted = threading.Event()
        self.submit_error: str | None = None
        self.status: str | None = None  # Ray's: PENDING RUNNING SUCCEEDED FAILED STOPPED, or our MISSING
        self.info: dict[str, Any] = {}
        self.cancel_requested = False
        self.log_chars = _read_int(Path(handle["log_state"]))
        self.last_log = 0.0
        self.final_logs = False


class RayWatcher(Reconciler):
    """``locate(handle)`` is the attempt's cluster now (None while unreachable); ``gone(handle)``
    says its cluster will not come back (a managed head that was stopped); ``notify()`` wakes
    the job controller after a status change."""

    interval = POLL_S
    name = "ray-watch"

    def __init__(self, locate: Callable[[dict[str, Any]], RayCluster | None], gone: Callable[[dict[str, Any]], bool],
                 notify: Callable[[], None]):
        super().__init__()
        self.locate = locate
        self.gone = gone
        self.notify = notify
        self._lock = threading.RLock()
        self._watches: dict[str, Watch] = {}
        self._zombies: dict[str, tuple[dict[str, Any], float]] = {}

    # ---- what the backend asks -----------------------------------------------------------------

    def add(self, handle: dict[str, Any]) -> Watch:
        """A new attempt, about to be submitted."""
        watch = Watch(handle)
        with self._lock:
            self._watches[watch.sid] = watch
        self.ensure_running()
        return watch

    def watch(self, handle: dict[str, Any]) -> Watch:
        """The attempt's watch; one launched by an earlier server process is taken up here."""
        sid = handle["submission_id"]
        with self._lock:
            watch = self._watches.get(sid)
            if watch is None:
                watch = self._watches[sid] = Watch(handle)
                watch.submitted.set()
        self.ensure_running()
        return watch

    def forget(self, sid: str | None) -> None:
        with self._lock:
            self._watches.pop(sid, None)

    def watches(self, target: str | None = None) -> list[Watch]:
        with self._lock:
            return [w for w in self._watches.values() if target is None or w.handle.get("target") == target]

    def stop_later(self, handle: dict[str, Any]) -> None:
        """Stop the job on its cluster, again on every tick until it has ended (or ZOMBIE_WATCH_S)."""
        with self._lock:
            self._zombies.setdefault(handle["submission_id"], (handle, time.monotonic()))

    def ensure_running(self) -> None:
        with self._lock:
            if not self.running:
                self.start()

    # ---- the loop ----------------------------------------------------------------------------

    def tick(self) -> None:
        with self._lock:
            watches = [w for w in self._watches.values() if w.submitted.is_set() and not w.submit_error]
            zombies = list(self._zombies.items())
        for watch in watches:
            if watch.status in (*ENDED, "MISSING"):
                continue
            before = watch.status
            try:
                self.refresh(watch)
            except Exception as exc:
                log.debug("cannot refresh %s: %s", watch.sid, exc)
                continue
            if watch.status == "RUNNING" and time.monotonic() - watch.last_log > LOG_POLL_S:
                self.copy_logs(watch)
            if watch.status != before:
                self.notify()
        for sid, (handle, since) in zombies:
            self._stop_zombie(sid, handle, since)

    def refresh(self, watch: Watch) -> None:
        h = watch.handle
        cluster = self.locate(h)
        if cluster is None:
            if self.gone(h):
                watch.status = "MISSING"
            return
        info = cluster.info(watch.sid)
        if info is None:
            watch.status = "MISSING"
            return
        watch.info = info
        watch.status = info.get("status")

    def copy_logs(self, watch: Watch, final: bool = False) -> None:
        """Append what Ray has of the job's log beyond what we already copied."""
        h = watch.handle
        watch.last_log = time.monotonic()
        try:
            cluster = self.locate(h)
            if cluster is None:
                return
            text = cluster.logs(watch.sid)
        except Exception as exc:
            log.debug("cannot read logs of %s: %s", watch.sid, exc)
            return
        if final:
            watch.final_logs = True
        if len(text) <= watch.log_chars:
            return
        new = text[watch.log_chars:]
        with open(h["log_path"], "a", encoding="utf-8", errors="replace") as f:
            f.write(new)
        watch.log_chars = len(text)
        Path(h["log_state"]).write_text(str(watch.log_chars))

    def _stop_zombie(self, sid: str, handle: dict[str, Any], since: float) -> None:
        try:
            cluster = self.locate(handle)
            if cluster is None:
                return
            info = cluster.info(sid)
            if info is None or info.get("status") in ENDED:
                with self._lock:
                    self._zombies.pop(sid, None)
                return
            cluster.stop(sid)
        except Exception as exc:
            log.debug("stop of %s failed: %s", sid, exc)
        if time.monotonic() - since > ZOMBIE_WATCH_S:
            with self._lock:
                self._zombies.pop(sid, None)


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0
