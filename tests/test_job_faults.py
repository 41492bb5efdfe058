"""A compute target that misbehaves (tests/fault_backend.py): every error state ends somewhere true.

A launch that raises, an observe that raises or hangs, a process that vanishes, a cancel that
raises or is never carried out: the job ends with a status and an error that say what happened,
nothing is lost, and the controller goes on with the others. No sleeps: conditions and ticks.
"""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from jupyter_mlservice.core.jobs.schemas import CommandJobSpec, JobStatus
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import seed_workspace, wait_for, wait_job
from .fault_backend import FaultyBackend
from .test_handlers import call, wait_status


@pytest.fixture
def faulty(tmp_path, mlflow_template):
    """A workspace with a `flaky` target of type faulty; yields (workspace, backend)."""
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, kernel_pool_size=0, backend_classes={"faulty": FaultyBackend}))
    ws.start()
    ws.targets.create(TargetCreate(name="flaky", type="faulty", settings={"max_concurrency": 4}))
    backend = ws.backends["faulty"]
    yield ws, backend
    backend.heal()
    ws.stop()


def _gated(tmp_path, name: str = "gate") -> tuple[CommandJobSpec, object]:
    """A job that runs until the test creates the gate file."""
    gate = tmp_path / name
    return CommandJobSpec(command=f"echo started; while [ ! -f {gate} ]; do sleep 0.05; done; echo done", target="flaky"), gate


def _running(ws, job_id: str):
    return wait_for(lambda: (j := ws.jobs.get(job_id)).status == JobStatus.RUNNING and j, what=f"{job_id} running")


def test_a_launch_that_raises_fails_the_job_with_the_reason(faulty):
    ws, backend = faulty
    backend.fail("launch", "no capacity left on the cluster")
    job = wait_job(ws, ws.jobs.submit(CommandJobSpec(command="echo never", target="flaky")).id)
    assert job.status == "Failed"
    assert "could not start the job: no capacity left on the cluster" in job.error
    assert ws.experiments.client.get_run(job.run_id).info.status == "FAILED"
    # the controller goes on: the next job runs
    backend.heal()
    assert wait_job(ws, ws.jobs.submit(CommandJobSpec(command="echo fine", target="flaky")).id).status == "Completed"


def test_a_launch_that_raises_once_is_retried(faulty):
    ws, backend = faulty
    backend.fail("launch", "node booting", times=1)
    job = wait_job(ws, ws.jobs.submit(CommandJobSpec(command="echo second-try", target="flaky", max_retries=1)).id)
    assert job.status == "Completed", job.error
    assert job.attempt == 2 and "node booting" in job.attempts[0].error
    assert backend.calls["launch"] == 2


def test_observe_errors_are_waited_out_and_the_job_still_ends_right(faulty, tmp_path):
    ws, backend = faulty
    spec, gate = _gated(tmp_path)
    job = _running(ws, ws.jobs.submit(spec).id)
    backend.fail("observe", "dashboard unreachable")
    gate.touch()  # the job ends while nobody can see it
    seen = backend.calls["observe"]
    assert ws.controller.wait_ticks(5)
    assert backend.calls["observe"] > seen
    assert ws.jobs.get(job.id).status == "Running"  # not guessed: still what was last observed
    backend.heal()
    done = wait_job(ws, job.id)
    assert done.status == "Completed" and "done" in ws.jobs.logs(job.id).text


def test_a_process_that_vanishes_fails_the_job_naming_why(faulty):
    ws, backend = faulty
    job = _running(ws, ws.jobs.submit(CommandJobSpec(command="echo started; sleep 300", target="flaky")).id)
    pid = job.backend["pid"]
    backend.lose(job.id, "the node running it went away")
    done = wait_job(ws, job.id)
    assert done.status == "Failed" and "the node running it went away" in done.error
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert "started" in ws.jobs.logs(job.id).text  # its log is kept


def test_a_cancel_that_raises_is_sent_again_until_it_works(faulty):
    ws, backend = faulty
    ws.controller.cancel_resend_s = 0.1
    job = _running(ws, ws.jobs.submit(CommandJobSpec(command="sleep 300", target="flaky")).id)
    backend.fail("cancel", "api timeout", times=2)
    ws.jobs.cancel(job.id)
    done = wait_job(ws, job.id)
    assert done.status == "Canceled" and done.error == "canceled by the user"
    assert backend.calls["cancel"] >= 3


def test_a_cancel_that_never_confirms_ends_the_job_saying_so(faulty):
    ws, backend = faulty
    ws.controller.cancel_resend_s, ws.controller.cancel_timeout_s = 0.1, 1.0
    job = _running(ws, ws.jobs.submit(CommandJobSpec(command="sleep 300", target="flaky")).id)
    backend.ignore("cancel")
    assert ws.jobs.cancel(job.id).status == "CancelRequested"
    try:
        done = wait_job(ws, job.id)
        assert done.status == "Canceled"
        assert "did not confirm the cancel within 1 s; its process may still run" in done.error
        assert backend.calls["cancel"] >= 2  # sent again while waiting
        assert "did not confirm the cancel" in ws.jobs.logs(job.id).text
    finally:
        os.killpg(job.backend["pid"], signal.SIGKILL)  # it really does still run


def test_a_stuck_controller_carries_out_the_cancels_recorded_meanwhile(faulty):
    ws, backend = faulty
    job = _running(ws, ws.jobs.submit(CommandJobSpec(command="sleep 300", target="flaky")).id)
    gate = backend.hang("observe")  # the controller's next look at the job blocks
    wait_for(lambda: backend.calls["observe"] and not gate.is_set() and ws.controller.ticks, what="the controller stuck")
    assert ws.jobs.cancel(job.id).status == "CancelRequested"  # the row changes at once
    gate.set()
    assert wait_job(ws, job.id).status == "Canceled"


# ---- the same backend plugged in through the server's config ----------------------------------


@pytest.fixture
def jp_server_config(jp_server_config):
    return {
        **jp_server_config,
        "MLServiceApp": {**jp_server_config["MLServiceApp"], "kernel_pool_size": 0,
                         "backend_classes": {"faulty": "tests.fault_backend.FaultyBackend"}},
    }


async def test_backend_classes_and_kernel_pool_size_are_config(jp_fetch, jp_serverapp):
    workspace = jp_serverapp.web_app.settings["mlservice_workspace"]
    assert workspace.kernel_pool.size == 0 and not workspace.kernel_pool.running
    assert "faulty" in (await call(jp_fetch, "GET", "/info"))["backends"]
    await call(jp_fetch, "POST", "/targets", {"name": "flaky", "type": "faulty"})
    workspace.backends["faulty"].fail("launch", "quota exceeded")
    job = await call(jp_fetch, "POST", "/jobs", {"kind": "command", "command": "true", "target": "flaky"})
    done = await wait_status(jp_fetch, job["id"])
    assert done["status"] == "Failed" and "quota exceeded" in done["error"]
