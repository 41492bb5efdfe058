"""A compute backend that fails on command, for driving the job controller into its error states.

It runs real processes (it is the local backend underneath) and, when a test says so, makes
``launch``, ``observe`` or ``cancel`` raise, hang until released, or ignore the call; or "loses" a
job's process the way a crashed node does (killed, and reported lost). Type name ``faulty``:

    ws = Workspace(WorkspaceConfig(root, backend_classes={"faulty": FaultyBackend}))
    faults = ws.backends["faulty"]
    faults.fail("launch", "no capacity left")   # the next launches raise
    gate = faults.hang("observe")               # observe blocks...
    gate.set()                                  # ...until the test lets it go
    faults.lose(job_id)                         # the job's process dies, reported "lost"
    faults.heal()                               # back to normal

With the server extension: ``MLServiceApp.backend_classes = {"faulty": "tests.fault_backend.FaultyBackend"}``.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from typing import Any

from jupyter_mlservice.core.compute import LaunchSpec, Observation
from jupyter_mlservice.core.compute.local import LocalBackend

CALLS = ("launch", "observe", "cancel")


class InjectedFault(RuntimeError):
    pass


class FaultyBackend(LocalBackend):
    type = "faulty"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # call -> (kind, arg, times left or None): ("raise", message), ("hang", Event), ("ignore", None)
        self._faults: dict[str, tuple[str, Any, int | None]] = {}
        self._lost: dict[str, str] = {}  # job id -> reason
        self._launched: dict[int, dict[str, Any]] = {}  # pid -> handle
        self.calls: Counter[str] = Counter()
        self.guard = threading.Lock()

    # ---- what a test commands ------------------------------------------------------------------

    def fail(self, call: str, message: str = "injected failure", times: int | None = None) -> None:
        """``call`` raises from now on (the next ``times`` calls only, when given)."""
        self._set(call, ("raise", message, times))

    def hang(self, call: str) -> threading.Event:
        """``call`` blocks from now on, until the returned event is set (then it works again)."""
        gate = threading.Event()
        self._set(call, ("hang", gate, None))
        return gate

    def ignore(self, call: str) -> None:
        """``call`` returns without doing anything (e.g. a cancel that is never carried out)."""
        self._set(call, ("ignore", None, None))

    def lose(self, job_id: str, reason: str = "the node running it went away") -> None:
        """Kill the job's processes and report them lost, as a crashed machine would."""
        with self.guard:
            self._lost[job_id] = reason
            handles = [h for h in self._launched.values() if h.get("job_id") == job_id]
        for handle in handles:
            try:
                os.killpg(handle["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass

    def heal(self) -> None:
        with self.guard:
            gates = [arg for kind, arg, _ in self._faults.values() if kind == "hang"]
            self._faults.clear()
            self._lost.clear()
        for gate in gates:
            gate.set()

    def _set(self, call: str, fault: tuple[str, Any, int | None]) -> None:
        if call not in CALLS:
            raise ValueError(f"call must be one of {CALLS}")
        with self.guard:
            self._faults[call] = fault

    def _inject(self, call: str) -> bool:
        """Apply the fault set for ``call``; True when the call should do nothing."""
        with self.guard:
            self.calls[call] += 1
            kind, arg, times = self._faults.get(call, (None, None, None))
            if times is not None:
                self._faults[call] = (kind, arg, times - 1)
                if times <= 1:
                    del self._faults[call]
        if kind == "raise":
            raise InjectedFault(arg)
        if kind == "hang":
            arg.wait()
            with self.guard:
                if self._faults.get(call, (None, None, None))[1] is arg:
                    del self._faults[call]
        return kind == "ignore"

    # ---- the backend ---------------------------------------------------------------------------

    def launch(self, target: str, settings: dict[str, Any], spec: LaunchSpec) -> dict[str, Any]:
        self._inject("launch")
        handle = {**super().launch(target, settings, spec), "job_id": spec.job_id}
        with self.guard:
            self._launched[handle["pid"]] = handle
        return handle

    def observe(self, handle: dict[str, Any]) -> Observation:
        self._inject("observe")
        with self.guard:
            reason = self._lost.get(handle.get("job_id", ""))
        if reason is not None:
            return Observation("lost", reason=reason)
        return super().observe(handle)

    def cancel(self, handle: dict[str, Any]) -> None:
        if not self._inject("cancel"):
            super().cancel(handle)
