"""One base for the background controllers that compare desired state with what runs.

A controller is a daemon thread that calls ``tick()`` every ``interval`` seconds, or at once when
something calls ``wake()``. A tick that raises is logged and the loop goes on: the next tick
retries from the rows, which hold the truth. ``stop()`` returns once the thread has ended, so a
restart test can stop one workspace and start another on the same store without two loops
racing.

Subclasses implement ``tick`` and may override ``next_wait`` (a scheduler sleeps until the next
fire time), ``on_start`` (recover what a previous process left) and ``on_stop``.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("jupyter_mlservice.reconciler")


class Reconciler:
    #: seconds between ticks when nothing wakes the loop
    interval: float = 1.0
    #: thread name, also used in log lines
    name: str = "mlservice-reconciler"
    #: how long stop() waits for a tick in progress to finish
    stop_timeout: float = 30.0

    def __init__(self, interval: float | None = None, name: str | None = None):
        if interval is not None:
            self.interval = interval
        if name is not None:
            self.name = name
        self._stop_event = threading.Event()
        self._wake_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._ticks = 0
        self._ticked = threading.Condition()

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Run ``on_start`` in the caller's thread, then the loop on a daemon thread."""
        if self.running:
            return
        self._stop_event.clear()
        self.on_start()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the loop to end, wait for it, then run ``on_stop``. Idempotent."""
        self._stop_event.set()
        self._wake_event.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.stop_timeout if timeout is None else timeout)
            if thread.is_alive():
                log.warning("%s did not stop within %.0f s", self.name, self.stop_timeout if timeout is None else timeout)
        self.on_stop()

    def wake(self) -> None:
        """Tick as soon as possible (coalesced: many wakes before a tick give one tick)."""
        self._wake_event.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once stop() was called: long ticks check it to bail out early."""
        return self._stop_event.is_set()

    def sleep(self, seconds: float) -> bool:
        """Wait inside a tick; returns True (at once) when the controller is stopping."""
        return self._stop_event.wait(seconds)

    # ---- hooks -------------------------------------------------------------------------------

    def on_start(self) -> None:
        """Recover what a previous server process left (runs before the first tick)."""

    def on_stop(self) -> None:
        """Release what the loop holds (runs after the thread ended)."""

    def next_wait(self) -> float:
        """Seconds to sleep before the next tick unless woken."""
        return self.interval

    def tick(self) -> None:
        """One pass: compare the store with the world and act. Must be safe to repeat."""
        raise NotImplementedError

    # ---- the loop ----------------------------------------------------------------------------

    def run_once(self) -> bool:
        """One tick with the loop's error handling; False when it raised."""
        try:
            self.tick()
            ok = True
        except Exception:
            log.exception("%s: tick failed; the next tick retries", self.name)
            ok = False
        with self._ticked:
            self._ticks += 1
            self._ticked.notify_all()
        return ok

    def _run(self) -> None:
        while not self._stop_event.is_set():
            try:
                wait = max(0.0, float(self.next_wait()))
            except Exception:
                log.exception("%s: next_wait failed", self.name)
                wait = self.interval
            self._wake_event.wait(wait)
            self._wake_event.clear()
            if self._stop_event.is_set():
                break
            self.run_once()

    # ---- for tests ---------------------------------------------------------------------------

    @property
    def ticks(self) -> int:
        return self._ticks

    def wait_ticks(self, count: int = 1, timeout: float = 30.0, wake: bool = True) -> bool:
        """Wait until ``count`` more ticks have finished (a condition, not a sleep); by default
        wake the loop so they come at once."""
        deadline = time.monotonic() + timeout
        with self._ticked:
            target = self._ticks + count
            while self._ticks < target:
                if wake:
                    self.wake()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ticked.wait(min(left, 0.05))
        return True
