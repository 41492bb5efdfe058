"""The kernel pool leaves no kernel behind: ones it was starting when it stopped, or a dead server's."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psutil

from jupyter_mlservice.core.jobs.kernel_pool import KernelPool, pool_dirs

from .conftest import wait_for


def _starting_kernel(root, owner_pid: int, owner_created: float) -> subprocess.Popen:
    """A stand-in kernel process recorded in starting/ the way the pool records its own."""
    ready, _ = pool_dirs(root, "python3")
    starting = ready.parent / "starting"
    starting.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
    info = {"mlservice_pid": proc.pid, "mlservice_create_time": psutil.Process(proc.pid).create_time(),
            "mlservice_pool_pid": owner_pid, "mlservice_pool_create_time": owner_created}
    (starting / f"k{proc.pid}.json").write_text(json.dumps(info))
    return proc


def test_a_dead_servers_starting_kernel_is_killed_and_a_live_ones_kept(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone_created = psutil.Process(gone.pid).create_time()
    gone.wait()
    orphan = _starting_kernel(tmp_path, gone.pid, gone_created)
    other = _starting_kernel(tmp_path, os.getppid(), psutil.Process(os.getppid()).create_time())  # a live server's
    try:
        pool = KernelPool(tmp_path, size=0)
        pool._reap("python3")
        assert wait_for(lambda: orphan.poll() is not None, timeout=10, what="the orphan killed")
        assert other.poll() is None
    finally:
        for p in (orphan, other):
            p.kill()
            p.wait()


def test_stop_kills_the_kernels_this_pool_was_starting(tmp_path):
    mine = _starting_kernel(tmp_path, os.getpid(), psutil.Process().create_time())
    try:
        KernelPool(tmp_path, size=1).stop()
        assert wait_for(lambda: mine.poll() is not None, timeout=10, what="the kernel killed")
        assert not list((tmp_path / ".").rglob("starting/*.json"))
    finally:
        mine.kill()
        mine.wait()
