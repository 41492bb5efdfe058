"""Which of the server's GPUs each deployment holds.

A deployment asks for ``gpu`` GPUs; the ids it gets are written into its row's spec (``gpus``)
while the allocation lock is held, so two deployments created at once never share one. The
stored specs are the only record: a restarted server sees the same allocation.
"""

from __future__ import annotations

import subprocess
import threading
from contextlib import contextmanager

from sqlalchemy import select

from ..errors import Conflict, InvalidRequest
from ..store import Store
from .tables import DeploymentRow


class GpuAllocator:
    def __init__(self, store: Store, devices: list[str] | None = None):
        self.store = store
        self._devices = devices  # None: ask nvidia-smi once
        self._lock = threading.Lock()

    def devices(self) -> list[str]:
        """The GPU ids deployments may be given: configured (``gpu_devices``), or what nvidia-smi lists."""
        if self._devices is None:
            self._devices = _nvidia_gpus()
        return list(self._devices)

    @contextmanager
    def allocating(self):
        """Hold this while allocating and writing the row, so the next allocation sees it."""
        with self._lock:
            yield

    def allocate(self, endpoint: str, name: str, count: int, previous: list[str]) -> list[str]:
        """``count`` GPU ids no other deployment holds (a deployment keeps the ones it had).
        Call inside ``allocating()``."""
        if not count:
            return []
        devices = self.devices()
        if not devices:
            raise InvalidRequest("this server has no GPUs (nvidia-smi lists none and gpu_devices is not set); deploy with gpu=0")
        held: dict[str, str] = {}
        with self.store.session() as s:
            for row in s.scalars(select(DeploymentRow)):
                if (row.endpoint, row.name) != (endpoint, name) and row.status != "Deleting":
                    for g in (row.spec or {}).get("gpus") or []:
                        held[g] = f"{row.endpoint}/{row.name}"
        keep = [g for g in previous if g in devices and g not in held][:count]
        free = keep + [g for g in devices if g not in held and g not in keep]
        if len(free) < count:
            users = ", ".join(f"{g} ({who})" for g, who in sorted(held.items()))
            raise Conflict(f"the deployment asks for {count} GPU(s) and {len(free)} of this server's {len(devices)} are free "
                           f"(in use: {users}); lower gpu or delete a deployment that holds one")
        return free[:count]


def _nvidia_gpus() -> list[str]:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip().isdigit()] if out.returncode == 0 else []
