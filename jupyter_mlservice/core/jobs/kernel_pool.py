"""Pre-started kernels for notebook jobs: each is used by one job and then discarded.

The pool lives in files under ``<workspace>/kernels/<kernel_name>/`` so that it needs no server
to be used and survives restarts:

- ``ready/<id>.json``: the connection file of an idle, started kernel (plus its pid);
- a notebook runner claims one with an atomic rename into ``claimed/``, writes its own pid to
  ``claimed/<id>.owner``, executes, and shuts the kernel down when it ends;
- the pool (a service of the server) tops ``ready/`` up, and kills claimed kernels whose runner
  died without doing so (a job killed with SIGKILL).

Kernels run in their own session, so a server restart neither kills them nor the jobs using them.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..reconciler import Reconciler
from .kernel_claims import CONNECTION_KEYS, pool_dirs, process_alive, release

log = logging.getLogger("jupyter_mlservice.kernels")

class KernelPool(Reconciler):
    """Keeps `size` started kernels ready per kernel name; reaps the kernels of dead jobs."""

    name = "mlservice-kernel-pool"
    interval = 0.5

    def __init__(self, root: Path, size: int = 1, kernel_names: tuple[str, ...] = ("python3",), cwd: Path | None = None):
        super().__init__()
        self.root = root
        self.size = size
        self.kernel_names = kernel_names
        self.cwd = cwd or root
        # Kernels cost memory and CPU: the pool fills once notebooks are in use (a notebook job
        # or a notebook schedule), not in every workspace.
        self._wanted = threading.Event()

    def start(self) -> None:
        if self.size > 0:
            super().start()

    def on_stop(self) -> None:
        """Idle kernels go; kernels claimed by running jobs stay with their jobs."""
        for name in self.kernel_names:
            ready, _ = pool_dirs(self.root, name)
            self._reap_starting(ready.parent / "starting", only_mine=True)
            for path in list(ready.glob("*.json")) if ready.is_dir() else []:
                try:
                    info = json.loads(path.read_text())
                    os.rename(path, path.with_suffix(".stopping"))
                except (OSError, ValueError):
                    continue
                release(path.with_suffix(".stopping"), info)

    def demand(self) -> None:
        """Notebooks are in use here: keep kernels ready from now on."""
        if not self._wanted.is_set():
            self._wanted.set()
            self.wake()

    def job_changed(self, row) -> None:
        if row.kind == "notebook":
            self.demand()

    def tick(self) -> None:
        for name in self.kernel_names:
            try:
                self._reap(name)
                if self._wanted.is_set():
                    self._top_up(name)
            except Exception:  # one kernel name's trouble does not keep the others from their kernels
                log.exception("kernel pool %s", name)
            if self.stopping:
                return

    def _reap_starting(self, starting: Path, only_mine: bool) -> None:
        """Kill kernels left in ``starting/`` by this process (stopping) or by one that is gone."""
        for path in list(starting.glob("*.json")) if starting.is_dir() else []:
            try:
                info = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            owner = info.get("mlservice_pool_pid")
            if owner is None or "mlservice_pid" not in info:
                continue
            mine = owner == os.getpid()
            if (only_mine and mine) or (not only_mine and not process_alive(owner, info.get("mlservice_pool_create_time"))):
                release(path, info)

    def _reap(self, name: str) -> None:
        ready, claimed = pool_dirs(self.root, name)
        self._reap_starting(ready.parent / "starting", only_mine=False)
        for path in list(ready.glob("*.json")) if ready.is_dir() else []:
            try:
                info = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if not process_alive(info.get("mlservice_pid", -1), info.get("mlservice_create_time")):
                release(path, info)
        for path in list(claimed.glob("*.json")) if claimed.is_dir() else []:
            try:
                owner = int(path.with_suffix(".owner").read_text())
                info = json.loads(path.read_text())
            except (OSError, ValueError):
                if time.time() - path.stat().st_mtime > 60:  # a claim that never got its owner
                    path.unlink(missing_ok=True)
                continue
            if not process_alive(owner, None):
                log.info("killing kernel %s: the job that used it is gone", path.stem)
                release(path, info)

    def _top_up(self, name: str) -> None:
        ready, _ = pool_dirs(self.root, name)
        ready.mkdir(parents=True, exist_ok=True)
        while len(list(ready.glob("*.json"))) < self.size and not self.stopping:
            self._start_one(name, ready)

    def _start_one(self, name: str, ready: Path) -> None:
        from jupyter_client.connect import write_connection_file
        from jupyter_client.kernelspec import KernelSpecManager

        import psutil

        spec = KernelSpecManager().get_kernel_spec(name)
        kid = secrets.token_hex(6)
        staging = ready.parent / "starting"
        staging.mkdir(parents=True, exist_ok=True)
        conn_file = staging / f"{kid}.json"
        write_connection_file(str(conn_file), kernel_name=name)
        argv = [a.replace("{connection_file}", str(conn_file)) for a in spec.argv]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        env = {**os.environ, **(spec.env or {})}
        proc = subprocess.Popen(argv, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        info = json.loads(conn_file.read_text())
        info.update(mlservice_pid=proc.pid, mlservice_create_time=psutil.Process(proc.pid).create_time(), kernel_name=name,
                    mlservice_pool_pid=os.getpid(), mlservice_pool_create_time=psutil.Process().create_time())
        conn_file.write_text(json.dumps(info))
        # Reap it in the background (we are its parent until we exit) so it never lingers as a zombie.
        threading.Thread(target=proc.wait, daemon=True).start()
        if not self._wait_ready(info):
            release(conn_file, info)
            log.warning("a pooled %s kernel did not start; retrying later", name)
            self.sleep(5)
            return
        os.rename(conn_file, ready / conn_file.name)

    def _wait_ready(self, info: dict[str, Any], timeout: float = 120) -> bool:
        from jupyter_client.blocking import BlockingKernelClient

        kc = BlockingKernelClient()
        kc.load_connection_info({k: info[k] for k in CONNECTION_KEYS if k in info})
        kc.start_channels(hb=False)
        deadline = time.monotonic() + timeout
        try:
            while not self.stopping:  # a stopping pool stops waiting (on_stop kills the kernel)
                try:
                    kc.wait_for_ready(timeout=min(5.0, max(0.1, deadline - time.monotonic())))
                    return True
                except RuntimeError:
                    if time.monotonic() >= deadline:
                        return False
            return False
        finally:
            kc.stop_channels()
