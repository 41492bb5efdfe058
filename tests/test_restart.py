"""Restart safety: stop the server while jobs run and wait, start it again, nothing is lost."""

from __future__ import annotations

import os
import signal

import psutil
import pytest
import requests

from .conftest import LiveServer, wait_for


def _setup(server, tmp_path):
    ml = server.client()
    ml.targets.create(name="one", type="local", max_concurrency=1)
    gate = tmp_path / "gate"
    # runs until the test opens the gate, so it is surely running across the restart
    running = ml.jobs.submit(
        command=f"echo started; while [ ! -f {gate} ]; do sleep 0.1; done; echo finished", target="one"
    )
    queued = ml.jobs.submit(command="echo second-ran", target="one")
    wait_for(lambda: ml.jobs.get(running.id).status == "Running", what="first job running")
    assert ml.jobs.get(queued.id).status == "Queued"
    pid = ml.jobs.get(running.id).backend["pid"]
    return running, queued, gate, pid


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_running_job_is_reattached_and_queued_job_runs_after_restart(server_root, tmp_path, sig):
    server = LiveServer(server_root).start()
    try:
        running, queued, gate, pid = _setup(server, tmp_path)
        server.stop(sig)
        assert psutil.pid_exists(pid), "the job must outlive the server"
        server = LiveServer(server_root, port=server.port).start()
        ml = server.client()
        gate.touch()
        first = ml.jobs.get(running.id).wait(timeout=60)
        assert first.status == "Completed", first.error
        second = ml.jobs.get(queued.id).wait(timeout=60)
        assert second.status == "Completed", second.error
        log = first.logs()
        assert "started" in log and "finished" in log and "re-attached" in log
        assert "second-ran" in second.logs()
        assert first.ended_at <= second.started_at
    finally:
        server.stop()


def test_job_that_died_with_the_server_is_failed_naming_the_restart(server_root, tmp_path):
    server = LiveServer(server_root).start()
    try:
        running, queued, gate, pid = _setup(server, tmp_path)
        server.stop(signal.SIGKILL)
        os.killpg(pid, signal.SIGKILL)  # the machine "lost" the job too
        wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, what="job gone")
        server = LiveServer(server_root, port=server.port).start()
        ml = server.client()
        first = ml.jobs.get(running.id).wait(timeout=60)
        assert first.status == "Failed"
        assert "restarted" in first.error
        assert "started" in first.logs()  # the log written before the crash is kept
        assert ml.jobs.get(queued.id).wait(timeout=60).status == "Completed"
    finally:
        server.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_serve_exits_cleanly_with_its_kernels(server_root, sig):
    server = LiveServer(server_root).start()
    resp = requests.post(server.url + "api/kernels", json={"name": "python3"}, headers={"Authorization": f"token {server.token}"}, timeout=30)
    resp.raise_for_status()
    kernels = wait_for(lambda: psutil.Process(server.proc.pid).children(recursive=True), what="kernel process")
    assert server.stop(sig) == 0
    wait_for(lambda: not any(k.is_running() and k.status() != psutil.STATUS_ZOMBIE for k in kernels), 20, what="kernels to exit")
