"""Local compute: a bounded pool of process groups on the server host."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from typing import Any

import psutil
from pydantic import BaseModel, ConfigDict, Field

from .base import ComputeBackend, LaunchSpec, Observation, register_backend

# The job runs under a tiny shell that records its exit code in a file, so a server started
# later (after a crash) still learns how a job it did not start ended.
_WRAPPER = (
    '"$@"; rc=$?; printf %s "$rc" > "$MLSERVICE_EXIT_FILE.tmp"; '
    'mv -f "$MLSERVICE_EXIT_FILE.tmp" "$MLSERVICE_EXIT_FILE"; exit "$rc"'
)
KILL_GRACE_S = 5.0


class LocalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=1024,
        description="Jobs running at once; the rest wait in the queue (FIFO).",
    )


@register_backend
class LocalBackend(ComputeBackend):
    type = "local"
    Settings = LocalSettings

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._children: dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def capacity(self, settings: dict[str, Any]) -> int | None:
        return int(settings.get("max_concurrency") or os.cpu_count() or 1)

    def check_job(self, settings: dict[str, Any], spec: dict[str, Any]) -> None:
        from ..errors import InvalidRequest

        resources = spec.get("resources") or {}
        if resources.get("gpu"):
            raise InvalidRequest("local targets have no GPUs; submit to a ray target with GPU nodes")
        if (spec.get("instance_count") or 1) > 1:
            raise InvalidRequest("local targets run one process per job; use a ray target for instance_count > 1")

    def launch(self, target: str, settings: dict[str, Any], spec: LaunchSpec) -> dict[str, Any]:
        exit_file = spec.job_dir / f"exit-code-{spec.attempt}"
        exit_file.unlink(missing_ok=True)
        env = {**os.environ, **spec.env, "MLSERVICE_EXIT_FILE": str(exit_file)}
        with open(spec.log_path, "ab", buffering=0) as log:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", _WRAPPER, "mlservice-job", *spec.argv],
                cwd=spec.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: cancel kills all of it
            )
        try:
            started = psutil.Process(proc.pid).create_time()
        except psutil.NoSuchProcess:
            started = None
        with self._lock:
            self._children[proc.pid] = proc
        threading.Thread(target=self._reap, args=(proc,), daemon=True, name=f"reap-{proc.pid}").start()
        return {"pid": proc.pid, "create_time": started, "exit_file": str(exit_file)}

    def _reap(self, proc: subprocess.Popen) -> None:
        proc.wait()
        self.notify()

    def observe(self, handle: dict[str, Any]) -> Observation:
        pid = handle["pid"]
        exit_file = handle["exit_file"]
        with self._lock:
            child = self._children.get(pid)
        if child is not None:
            rc = child.poll()
            if rc is None:
                return Observation("running")
            return Observation("exited", exit_code=_read_exit(exit_file, default=rc))
        # Not our child: launched by an earlier server process.
        code = _read_exit(exit_file)
        if code is not None:
            return Observation("exited", exit_code=code)
        if _alive(pid, handle.get("create_time")):
            return Observation("running")
        return Observation("lost", reason="the job's process is gone and left no exit code")

    def cancel(self, handle: dict[str, Any]) -> None:
        pid = handle["pid"]
        if not _alive(pid, handle.get("create_time")):
            return
        _signal_group(pid, signal.SIGTERM)
        threading.Thread(target=self._kill_later, args=(handle,), daemon=True).start()

    def _kill_later(self, handle: dict[str, Any]) -> None:
        deadline = time.monotonic() + KILL_GRACE_S
        while time.monotonic() < deadline:
            if not _group_alive(handle["pid"]):
                return
            time.sleep(0.1)
        _signal_group(handle["pid"], signal.SIGKILL)

    def release(self, handle: dict[str, Any]) -> None:
        with self._lock:
            self._children.pop(handle.get("pid"), None)


def _read_exit(path: str, default: int | None = None) -> int | None:
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (FileNotFoundError, ValueError):
        return default


def _alive(pid: int, create_time: float | None) -> bool:
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        # A recycled pid belongs to some other process.
        return create_time is None or abs(proc.create_time() - create_time) < 0.01
    except psutil.NoSuchProcess:
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies still count for killpg; look for a live member.
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return False


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
