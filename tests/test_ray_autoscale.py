"""Autoscaling, for real: a managed ray target whose worker nodes are local processes started by
Ray's autoscaler (its fake multi-node provider), with one GPU per worker node. Three jobs that
each ask for one GPU grow the cluster to max_nodes, the third waits, runs, and the cluster
shrinks back after idle_timeout_s. The fake GPU shows as CUDA_VISIBLE_DEVICES in the job."""

from __future__ import annotations

import time

import pytest

from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.jobs.schemas import CommandJobSpec, JobStatus
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import seed_workspace, wait_for

pytestmark = pytest.mark.timeout(1500)

SETTINGS = {
    "mode": "managed",
    "head": {"cpu": 1},
    "node": {"cpu": 1, "gpu": 1},
    "min_nodes": 0,
    "max_nodes": 2,
    "idle_timeout_s": 15,
    "object_store_memory": 80_000_000,
}


@pytest.fixture(scope="module")
def autoscaling(tmp_path_factory, mlflow_template):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = tmp_path_factory.mktemp("ray-as") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1))
    ws.start()
    ws.targets.create(TargetCreate(name="gpus", type="ray", settings=SETTINGS))
    head = ws.backends["ray"]._head("gpus", None)
    assert head.wait_ready(timeout=900) and head.status == "ready", head.error
    yield ws
    ws.stop()
    head = ws.backends["ray"]._heads.get("gpus")
    if head is not None and head.state is not None:
        head.stop()


def workers(ws) -> list[dict]:
    return [n for n in ws.targets.get("gpus").status["nodes"] if not n["is_head"] and n["state"] == "ALIVE"]


def test_a_job_bigger_than_any_node_type_fails_at_once(autoscaling):
    with pytest.raises(InvalidRequest, match=r"gpu=2 .*a worker node: cpu=1, gpu=1"):
        autoscaling.jobs.submit(CommandJobSpec(command="true", target="gpus", resources={"gpu": 2}))


def test_gpu_jobs_grow_the_cluster_queue_and_scale_back_down(autoscaling):
    ws = autoscaling
    assert workers(ws) == []  # min_nodes 0: only the head
    # each job holds its GPU until the test has seen two running and the third queued (or 10 min
    # passed): how fast worker nodes start must not decide whether the queue is ever seen
    release = ws.root_dir / "release-gpu-jobs"
    hold = f"for i in $(seq 3000); do [ -e {release} ] && break; sleep 0.2; done"
    jobs = [
        ws.jobs.submit(CommandJobSpec(command=f"echo job{i} CVD=$CUDA_VISIBLE_DEVICES; {hold}", target="gpus",
                                      resources={"cpu": 1, "gpu": 1}))
        for i in range(3)
    ]
    seen_two, seen_queued = False, False
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        statuses = [ws.jobs.get(j.id).status for j in jobs]
        status = ws.targets.get("gpus").status
        alive = [n for n in status["nodes"] if not n["is_head"] and n["state"] == "ALIVE"]
        assert len(alive) <= 2  # never past max_nodes
        seen_two = seen_two or len(alive) == 2
        if statuses.count(JobStatus.RUNNING) == 2 and JobStatus.PREPARING in statuses:
            seen_queued = seen_queued or len(status["queued_jobs"]) == 1
        if seen_queued or any(s.is_terminal for s in statuses):
            release.touch()
        if all(s.is_terminal for s in statuses):
            break
        time.sleep(0.5)
    done = [ws.jobs.get(j.id) for j in jobs]
    assert [j.status for j in done] == [JobStatus.COMPLETED] * 3, [(j.status, j.error) for j in done]
    assert seen_two, "the cluster never grew to max_nodes"
    assert seen_queued, "the third job never waited for a GPU"
    for i, j in enumerate(done):
        text = (ws.jobs_dir / j.id / "output.log").read_text()
        assert f"job{i} CVD=0" in text, text[-1500:]
    for n in [n for n in ws.targets.get("gpus").status["nodes"] if not n["is_head"]][:1]:
        assert n["resources"].get("GPU") == 1
    # idle nodes go away after idle_timeout_s
    wait_for(lambda: workers(ws) == [], 240, interval=2, what="scale down to the head only")
