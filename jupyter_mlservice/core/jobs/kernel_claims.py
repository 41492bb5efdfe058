"""The files of the kernel pool, shared by the pool and the notebook runner (which imports this
file on its own, without the package: keep it to the standard library and psutil).

``ready/<id>.json`` is an idle kernel's connection file; a runner claims one with an atomic
rename into ``claimed/`` and writes its pid to ``claimed/<id>.owner``.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

CONNECTION_KEYS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port", "ip", "key", "transport", "signature_scheme", "kernel_name")


def pool_dirs(root: Path, kernel_name: str) -> tuple[Path, Path]:
    base = root / kernel_name
    return base / "ready", base / "claimed"


def process_alive(pid: int, create_time: float | None) -> bool:
    import psutil

    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        return create_time is None or abs(p.create_time() - create_time) < 0.01
    except psutil.NoSuchProcess:
        return False


def kill_kernel(info: dict[str, Any]) -> None:
    pid = info.get("mlservice_pid")
    if pid and process_alive(pid, info.get("mlservice_create_time")):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def claim(root: Path, kernel_name: str) -> tuple[Path, dict[str, Any]] | None:
    """Take a ready kernel for this process; None when the pool has none."""
    ready, claimed = pool_dirs(root, kernel_name)
    try:
        candidates = sorted(ready.glob("*.json"))
    except OSError:
        return None
    claimed.mkdir(parents=True, exist_ok=True)
    for path in candidates:
        dest = claimed / path.name
        try:
            os.rename(path, dest)  # atomic: exactly one runner gets it
        except OSError:
            continue
        dest.with_suffix(".owner").write_text(str(os.getpid()))
        try:
            info = json.loads(dest.read_text())
        except (OSError, ValueError):
            continue
        if process_alive(info.get("mlservice_pid", -1), info.get("mlservice_create_time")):
            return dest, info
        release(dest, info)
    return None


def release(path: Path, info: dict[str, Any]) -> None:
    kill_kernel(info)
    for p in (path, path.with_suffix(".owner")):
        try:
            p.unlink()
        except OSError:
            pass
