"""The controller base: ticks on its interval and on wake, survives its own errors, stops cleanly."""

import threading

from jupyter_mlservice.core.reconciler import Reconciler


class Counting(Reconciler):
    interval = 60.0  # only wakes make it tick in these tests

    def __init__(self, fail_first: int = 0):
        super().__init__(name="test-reconciler")
        self.calls = 0
        self.fail_first = fail_first
        self.started = self.stopped = False
        self.thread_names: set[str] = set()

    def on_start(self):
        self.started = True

    def on_stop(self):
        self.stopped = True

    def tick(self):
        self.calls += 1
        self.thread_names.add(threading.current_thread().name)
        if self.calls <= self.fail_first:
            raise RuntimeError("boom")


def test_wake_makes_it_tick_on_its_own_thread():
    r = Counting()
    r.start()
    try:
        assert r.started and r.running
        assert r.wait_ticks(2, timeout=10)
        assert r.calls >= 2
        assert r.thread_names == {"test-reconciler"}
    finally:
        r.stop()
    assert r.stopped and not r.running


def test_a_failing_tick_is_logged_and_the_loop_goes_on(caplog):
    r = Counting(fail_first=2)
    r.start()
    try:
        assert r.wait_ticks(3, timeout=10)
        assert r.calls >= 3
    finally:
        r.stop()
    assert "tick failed" in caplog.text


def test_stop_waits_for_the_thread_and_a_stopping_loop_ticks_no_more():
    r = Counting()
    r.start()
    r.wait_ticks(1, timeout=10)
    r.stop()
    calls = r.calls
    r.wake()
    assert r.sleep(0) is True  # stopping: sleep answers at once
    assert r.calls == calls
    r.stop()  # idempotent


def test_interval_ticks_without_wakes():
    class Fast(Counting):
        interval = 0.01

    r = Fast()
    r.start()
    try:
        deadline_ok = r.wait_ticks(3, timeout=10, wake=False)
        assert deadline_ok
    finally:
        r.stop()
