"""Environments on Ray targets: the job's environment travels in its Ray runtime_env (the lock) and
the node that runs it builds it once, then runs the job inside. A managed head (same machine)
shares the server's environment cache; an attached cluster builds into its own folder.

The environment is the one of test_environments_e2e (same requirements, so the session's cache
holds it already when both run)."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
import requests

from jupyter_mlservice.core.environments.schemas import EnvironmentCreate
from jupyter_mlservice.core.jobs.schemas import CodeJobSpec, CommandJobSpec, JobStatus
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import seed_workspace, wait_for

pytestmark = pytest.mark.timeout(1500)

SK12 = ["scikit-learn==1.2.2", "numpy<2", "tabulate"]
HEAD = {"mode": "managed", "head": {"cpu": 2}, "object_store_memory": 100_000_000}
PROBE = textwrap.dedent(
    """
    import sys, sklearn, tabulate
    print("in-env", sklearn.__version__, sys.prefix)
    """
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory, mlflow_template, environments_dir):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = tmp_path_factory.mktemp("envray") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, environments_dir=environments_dir))
    ws.start()
    ws.targets.create(TargetCreate(name="rc", type="ray", settings=HEAD))
    head = ws.backends["ray"]._head("rc", None)
    assert head.wait_ready(timeout=900), "the Ray head did not start"
    assert head.status == "ready", head.error
    env = ws.environments.create(EnvironmentCreate(name="sk12", requirements=SK12, build=False))
    ws.environments.build(env.reference)
    yield ws
    ws.stop()
    head.stop()


def run(ws, spec, timeout=600):
    job = ws.jobs.submit(spec)
    return wait_for(lambda: (j := ws.jobs.get(job.id)).status.is_terminal and j, timeout, interval=0.2, what=f"job {job.id}")


def ray_job(ws, job) -> dict:
    head = ws.backends["ray"]._head("rc", None)
    url = f"{head.state.dashboard_url}/api/jobs/{job.backend['submission_id']}"
    r = requests.get(url, headers={"Authorization": f"Bearer {head.token()}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def test_a_job_on_a_managed_head_runs_in_its_environment(ws):
    job = run(ws, CodeJobSpec(source=PROBE, environment="sk12", target="rc"))
    log = ws.jobs.logs(job.id).text
    assert job.status == JobStatus.COMPLETED, log
    env = ws.environments.get("sk12@1")
    assert f"in-env 1.2.2 {ws.environments.cache.folder(env.key) / 'venv'}" in log  # the server's cache: same machine
    submitted = ray_job(ws, job)
    assert "scikit-learn==1.2.2" in submitted["runtime_env"]["env_vars"]["MLSERVICE_ENVIRONMENT_LOCK"].splitlines()
    assert submitted["entrypoint"].startswith(f"{sys.executable} -m jupyter_mlservice.core.environments.enter --shipped {env.key}")


def test_an_attached_cluster_builds_the_environment_from_the_lock_the_job_brings(ws, tmp_path):
    head = ws.backends["ray"]._head("rc", None)
    node_cache = tmp_path / "node-environments"
    ws.targets.create(TargetCreate(name="att", type="ray", settings={
        "mode": "attached", "address": head.state.dashboard_url, "auth_token": head.token(), "python": sys.executable,
        "environments_dir": str(node_cache)}))
    try:
        command = "python -c 'import sys, sklearn, tabulate; print(\"in-env\", sklearn.__version__, sys.prefix)'"
        job = run(ws, CommandJobSpec(command=command, environment="sk12", target="att"))
        log = ws.jobs.logs(job.id).text
        assert job.status == JobStatus.COMPLETED, log
        key = ws.environments.get("sk12@1").key
        assert f"in-env 1.2.2 {node_cache / key / 'venv'}" in log  # built where the job ran, not the server's cache
        assert "shipped with the job: built on this node" in (node_cache / key / "build.log").read_text()
        assert json.loads((node_cache / key / "ready.json").read_text())["python"].startswith(str(node_cache))
        # a second job finds it built
        again = run(ws, CommandJobSpec(command=command, environment="sk12", target="att"))
        assert again.status == JobStatus.COMPLETED and "building environment" not in ws.jobs.logs(again.id).text
    finally:
        ws.targets.delete("att")
