"""A Ray job reading a data asset, on a real managed Ray head: through the shared workspace path
(managed target) and shipped inside the job's code snapshot (the same head attached by address,
as a remote cluster is)."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_mlservice.core.data.schemas import DataCreate
from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.jobs.schemas import CommandJobSpec, JobStatus
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import wait_for
from .test_ray_backend import cluster  # noqa: F401 - a workspace with a managed Ray head

pytestmark = [pytest.mark.timeout(1500), pytest.mark.ray]

READ = "import os, sys, pandas as pd; df = pd.read_csv(sys.argv[1]); print('rows', len(df), 'sum', int(df.a.sum()), 'cwd', os.getcwd())"


@pytest.fixture(scope="module")
def ray_ws(cluster):
    """The Ray tests' workspace with its managed target `rc`, and a data asset to read."""
    ws = cluster["ws"]
    root = ws.root_dir
    (root / "d").mkdir()
    pd.DataFrame({"a": range(40)}).to_csv(root / "d" / "t.csv", index=False)
    (root / "code").mkdir()
    (root / "code" / "read.py").write_text(READ.replace("; ", "\n"))
    ws.data.create(DataCreate(name="rt", path="d/t.csv", profile=False))
    return ws


def run(ws, spec, timeout=600):
    job = ws.jobs.submit(spec)
    return wait_for(lambda: (j := ws.jobs.get(job.id)).status.is_terminal and j, timeout, interval=0.1, what=f"job {job.id}")


def log_of(ws, job_id) -> str:
    return (ws.jobs_dir / job_id / "output.log").read_text()


def test_a_ray_job_reads_a_data_asset_from_the_shared_workspace_path(ray_ws):
    v = ray_ws.data.resolve("rt")
    job = run(ray_ws, CommandJobSpec(command=f'python -c "{READ}" ${{{{inputs.t}}}}', target="rc", inputs={"t": "data:rt"}))
    assert job.status == JobStatus.COMPLETED, log_of(ray_ws, job.id)
    assert "rows 40 sum 780" in log_of(ray_ws, job.id)
    assert [n.id for n in ray_ws.data.lineage("rt@1").jobs] == [job.id]
    assert job.backend["submission_id"].startswith("mls-")  # it ran as a Ray job
    assert v.path.startswith(str(ray_ws.data_dir))


def test_an_attached_cluster_gets_inputs_shipped_with_the_code_snapshot(ray_ws):
    head = ray_ws.backends["ray"]._head("rc", None)
    ray_ws.targets.create(TargetCreate(name="remote", type="ray", settings={
        "mode": "attached", "address": head.state.dashboard_url, "auth_token": head.token()}))
    job = run(ray_ws, CommandJobSpec(command="python read.py ${{inputs.t}}; echo path=$MLSERVICE_INPUT_T", code="code",
                                     target="remote", inputs={"t": "data:rt@1"}))
    log = log_of(ray_ws, job.id)
    assert job.status == JobStatus.COMPLETED, log
    assert "rows 40 sum 780" in log and "path=inputs/t/t.csv" in log
    cwd = log.split("cwd ", 1)[1].split()[0]
    assert not cwd.startswith(str(ray_ws.root_dir))  # Ray unpacked the snapshot in its own folder
    assert (ray_ws.jobs_dir / job.id / "snapshot" / "inputs" / "t" / "t.csv").exists()
    no_code = run(ray_ws, CommandJobSpec(command="true", target="remote", inputs={"t": "data:rt"}))
    assert no_code.status == JobStatus.FAILED and "give the job code=" in no_code.error
    out = run(ray_ws, CommandJobSpec(command="true", code="code", target="remote", outputs={"o": {"register_as": "never"}}))
    assert out.status == JobStatus.FAILED and "outputs cannot come back from it" in out.error


def test_the_profile_job_runs_on_the_ray_target(ray_ws):
    prof = ray_ws.data.start_profile("rt", 1, target="rc")
    job = wait_for(lambda: (j := ray_ws.jobs.get(prof.job_id)).status.is_terminal and j, 600, interval=0.2, what="the profile job")
    assert (job.status, job.target) == (JobStatus.COMPLETED, "rc"), log_of(ray_ws, job.id)
    assert job.backend["submission_id"].startswith("mls-")
    assert wait_for(lambda: ray_ws.data.profile("rt", 1).status == "Ready", 120, what="the profile to be stored")
    assert ray_ws.data.profile("rt", 1).profile["rows"] == 40
    head = ray_ws.backends["ray"]._head("rc", None)
    ray_ws.targets.create(TargetCreate(name="remote-p", type="ray", settings={
        "mode": "attached", "address": head.state.dashboard_url, "auth_token": head.token()}))
    with pytest.raises(InvalidRequest, match="profile target 'remote-p' does not share this server's filesystem"):
        ray_ws.data.start_profile("rt", 1, target="remote-p")


def test_a_pipeline_runs_one_step_locally_and_the_next_on_the_ray_target(ray_ws):
    """Each step names its own target: a local step's output folder reaches a step on the Ray head."""
    from jupyter_mlservice.core.pipelines.schemas import PipelineSubmit

    write = "import sys, pathlib; pathlib.Path(sys.argv[1], 'n.txt').write_text('41')"
    add = "import sys, pathlib, socket; print('got', int(pathlib.Path(sys.argv[1], 'n.txt').read_text()) + 1)"
    pipeline = {"name": "mixed", "jobs": {
        "make": {"command": f'python -c "{write}" ${{{{outputs.out}}}}', "outputs": {"out": {"type": "folder"}}, "target": "local"},
        "add": {"command": f'python -c "{add}" ${{{{inputs.n}}}}', "inputs": {"n": "${{parent.jobs.make.outputs.out}}"}, "target": "rc"},
    }}
    submitted = ray_ws.pipelines.submit(PipelineSubmit.model_validate({"pipeline": pipeline, "experiment": "mixed"}))
    done = wait_for(lambda: (r := ray_ws.pipelines.get(submitted.id)).status in ("Completed", "Failed", "Canceled") and r, 600,
                    interval=0.2, what="the mixed pipeline")
    steps = {s.name: s for s in done.steps}
    assert done.status == "Completed", {n: (s.status, s.job_id) for n, s in steps.items()}
    assert ray_ws.jobs.get(steps["make"].job_id).target == "local" and ray_ws.jobs.get(steps["add"].job_id).target == "rc"
    assert "got 42" in log_of(ray_ws, steps["add"].job_id)
