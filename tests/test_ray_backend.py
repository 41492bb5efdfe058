"""The `ray` compute target against a real managed Ray head (one per module: starting one takes
10-60 s, longer on a busy machine). Jobs of every kind, resources, multi-instance runs, logs,
cancel (running and pending), the pending timeout, attached mode with a token, restart
re-attach, and the head's processes ended by PID."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psutil
import pytest
import requests

from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.jobs.schemas import CodeJobSpec, CommandJobSpec, JobStatus, NotebookJobSpec
from jupyter_mlservice.core.targets.schemas import TargetCreate, TargetUpdate

from .conftest import seed_workspace, wait_for

pytestmark = pytest.mark.timeout(1200)

HEAD = {"mode": "managed", "head": {"cpu": 2}, "object_store_memory": 100_000_000}


def _workspace(root: Path):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1))
    ws.start()
    return ws


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, mlflow_template):
    """A workspace with a managed ray target `rc`; `holder["ws"]` may be replaced by a restart."""
    root = tmp_path_factory.mktemp("ray") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    holder = {"ws": _workspace(root), "root": root}
    ws = holder["ws"]
    ws.targets.create(TargetCreate(name="rc", type="ray", settings=HEAD))
    head = ws.backends["ray"]._head("rc", None)
    assert head.wait_ready(timeout=900), "the Ray head did not start"
    assert head.status == "ready", head.error
    holder["pid"] = head.state.pid
    holder["tree"] = [p.pid for p in psutil.Process(head.state.pid).children(recursive=True)]
    yield holder
    holder["ws"].stop()
    head = holder["ws"].backends["ray"]._heads.get("rc")
    if head is not None and head.state is not None:  # a failed test left jobs running: stop it anyway
        head.stop()


def run(ws, spec, timeout=240):
    job = ws.jobs.submit(spec)
    return wait_for(lambda: (j := ws.jobs.get(job.id)).status.is_terminal and j, timeout, interval=0.1, what=f"job {job.id}")


def log_of(ws, job_id) -> str:
    return (ws.jobs_dir / job_id / "output.log").read_text()


def lines(ws, job_id) -> list[str]:
    return log_of(ws, job_id).splitlines()


def ray_job(ws, job) -> dict:
    backend = ws.backends["ray"]
    head = backend._head(job.target, None)
    token = head.token()
    r = requests.get(f"{head.state.dashboard_url}/api/jobs/{job.backend['submission_id']}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    return r.json()


# ---- settings, no cluster needed -----------------------------------------------------------


def test_settings_say_what_to_change(workspace):
    with pytest.raises(InvalidRequest, match="attached mode needs address"):
        workspace.targets.create(TargetCreate(name="a", type="ray", settings={"mode": "attached"}))
    with pytest.raises(InvalidRequest, match="max_nodes > 0 needs node"):
        workspace.targets.create(TargetCreate(name="a", type="ray", settings={"max_nodes": 2}))
    with pytest.raises(InvalidRequest, match="min_nodes must not exceed max_nodes"):
        workspace.targets.create(TargetCreate(name="a", type="ray", settings={"min_nodes": 2, "node": {"cpu": 1}}))
    with pytest.raises(InvalidRequest, match="settings.bogus"):
        workspace.targets.create(TargetCreate(name="a", type="ray", settings={"bogus": 1}))


def test_attached_token_is_stored_apart_and_never_shown(workspace):
    t = workspace.targets.create(TargetCreate(name="kuberay", type="ray", settings={
        "mode": "attached", "address": "http://127.0.0.1:9", "auth_token": "s3cret-token-value"}))
    assert t.settings["auth_token"].startswith("secret:")
    assert "s3cret-token-value" not in json.dumps(t.model_dump(mode="json"))
    assert t.status["state"] == "unreachable" and "did not answer" in t.status["error"]
    # an update that does not touch the token keeps it
    t = workspace.targets.update("kuberay", TargetUpdate(settings={"pending_timeout_s": 5}))
    assert t.settings["auth_token"].startswith("secret:")
    ref = t.settings["auth_token"].split(":", 1)[1]
    secret = workspace.workspace_dir / "ray" / "secrets" / f"{ref}.token"
    assert secret.read_text() == "s3cret-token-value" and (secret.stat().st_mode & 0o777) == 0o600
    workspace.targets.delete("kuberay")
    assert not secret.exists()


def test_a_job_bigger_than_every_node_is_refused_at_submit(workspace):
    # A managed target's node types are known: refusing beats a job that waits forever.
    backend = workspace.backends["ray"]
    settings = backend.validate_settings({"head": {"cpu": 1}, "max_nodes": 2, "node": {"cpu": 1, "gpu": 1}})
    spec = CommandJobSpec(command="true", resources={"gpu": 2}).model_dump(mode="json")
    with pytest.raises(InvalidRequest, match=r"asks for cpu=1, gpu=2 .*a worker node: cpu=1, gpu=1"):
        backend.check_job(settings, spec)
    backend.check_job(settings, CommandJobSpec(command="true", resources={"gpu": 1}).model_dump(mode="json"))


def test_resources_become_entrypoint_requests(workspace, tmp_path):
    from jupyter_mlservice.core.compute import LaunchSpec

    backend = workspace.backends["ray"]
    settings = backend.validate_settings({"mode": "attached", "address": "http://127.0.0.1:9", "tracking_uri": "http://mlflow:5000"})
    job_dir = tmp_path / "job"
    (job_dir / "snapshot").mkdir(parents=True)
    spec = LaunchSpec(job_id="job-1", attempt=2, argv=[sys.executable, "-c", "print(1)"], cwd=job_dir / "snapshot",
                      env={"PATH": "/server/bin", "A": "1"}, log_path=job_dir / "output.log", job_dir=job_dir,
                      resources={"cpu": 2, "gpu": 1, "memory": 64 * 2**20, "custom": {"tpu": 1}})
    handle = {"submission_id": "mls-job-1-2", "managed": False}
    req = backend._job_request(settings, spec, handle)
    assert req["submission_id"] == "mls-job-1-2"
    assert (req["entrypoint_num_cpus"], req["entrypoint_num_gpus"], req["entrypoint_memory"]) == (2, 1, 64 * 2**20)
    assert req["entrypoint_resources"] == {"tpu": 1}
    assert req["entrypoint"] == "python -c 'print(1)'"  # the nodes' python, not this server's path
    env = req["runtime_env"]["env_vars"]
    assert "PATH" not in env and env["A"] == "1" and env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    assert req["runtime_env"]["working_dir"] == str(job_dir / "snapshot")
    spec.instance_count = 3
    req = backend._job_request(settings, spec, handle)
    assert req["entrypoint"].startswith("python -m jupyter_mlservice.core.compute.ray.multinode --instances 3")
    assert req["entrypoint_num_cpus"] == 0


def test_local_target_still_refuses_gpus_and_instances(workspace):
    with pytest.raises(InvalidRequest, match="no GPUs"):
        workspace.jobs.submit(CommandJobSpec(command="true", resources={"gpu": 1}))
    with pytest.raises(InvalidRequest, match="instance_count"):
        workspace.jobs.submit(CommandJobSpec(command="true", instance_count=2))


# ---- on the cluster --------------------------------------------------------------------------


def test_command_job_runs_with_its_snapshot_and_streams_logs(cluster, tmp_path):
    ws = cluster["ws"]
    code = cluster["root"] / "proj"
    code.mkdir()
    (code / "data.txt").write_text("from-the-snapshot")
    job = ws.jobs.submit(CommandJobSpec(
        command="cat data.txt; echo; echo first; sleep 4; echo second", code="proj", target="rc",
        resources={"cpu": 1, "memory": "64Mi"}))
    # the first line reaches our log store while the job still runs
    wait_for(lambda: "first" in log_of(ws, job.id), 120, interval=0.2, what="streamed log")
    assert ws.jobs.get(job.id).status in (JobStatus.RUNNING, JobStatus.FINALIZING, JobStatus.COMPLETED)
    assert "second" not in lines(ws, job.id) or ws.jobs.get(job.id).status != JobStatus.RUNNING
    job = wait_for(lambda: (j := ws.jobs.get(job.id)).status.is_terminal and j, 120, what="job end")
    assert job.status == JobStatus.COMPLETED, job.error
    out = lines(ws, job.id)
    assert "from-the-snapshot" in out and out.index("first") < out.index("second")
    assert job.backend["submission_id"] == f"mls-{job.id}-1"
    info = ray_job(ws, job)
    assert info["status"] == "SUCCEEDED"
    assert info["metadata"]["mlservice_job"] == job.id
    assert info["runtime_env"]["working_dir"].startswith("gcs://")  # the snapshot was shipped


def test_code_job_logs_to_mlflow_and_fails_with_its_exit_code(cluster):
    ws = cluster["ws"]
    job = run(ws, CodeJobSpec(source="import mlflow\nmlflow.log_metric('loss', lr * 2)\nprint('done')", parameters={"lr": 0.25}, target="rc"))
    assert job.status == JobStatus.COMPLETED, job.error
    assert ws.jobs.metrics(job.id).metrics["loss"][0].value == 0.5
    job = run(ws, CodeJobSpec(source="import sys; sys.exit(3)", target="rc"))
    assert job.status == JobStatus.FAILED and job.exit_code == 3, (job.error, job.exit_code)


def test_notebook_job_runs_on_the_cluster(cluster):
    import nbformat

    ws = cluster["ws"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell("print('n is', n * 10)")]
    nbformat.write(nb, cluster["root"] / "nb.ipynb")
    job = run(ws, NotebookJobSpec(notebook="nb.ipynb", parameters={"n": 4}, target="rc"), timeout=300)
    assert job.status == JobStatus.COMPLETED, (job.error, log_of(ws, job.id)[-2000:])
    out = nbformat.read(ws.jobs_dir / job.id / "outputs" / "nb.ipynb", as_version=4)
    assert "n is 40" in json.dumps(out.cells[-1]["outputs"])


def test_instance_count_runs_ranks_across_the_cluster(cluster):
    ws = cluster["ws"]
    job = run(ws, CommandJobSpec(command='echo "rank=$RANK of $WORLD_SIZE master=$MASTER_ADDR"', target="rc", instance_count=2, resources={"cpu": 1}))
    assert job.status == JobStatus.COMPLETED, (job.error, log_of(ws, job.id)[-2000:])
    text = log_of(ws, job.id)
    assert "rank=0 of 2 master=127.0.0.1" in text and "rank=1 of 2" in text


def test_cancel_a_running_and_a_pending_job(cluster):
    ws = cluster["ws"]
    blocker = ws.jobs.submit(CommandJobSpec(command="echo started; sleep 120", target="rc", resources={"cpu": 2}))
    wait_for(lambda: ws.jobs.get(blocker.id).status == JobStatus.RUNNING and "started" in log_of(ws, blocker.id), 120, what="blocker running")
    pending = ws.jobs.submit(CommandJobSpec(command="echo should-not-run", target="rc", resources={"cpu": 1}))
    wait_for(lambda: ws.jobs.get(pending.id).backend.get("submission_id"), 30, what="pending submitted")
    watcher = ws.backends["ray"].watcher
    assert watcher.wait_ticks(3, timeout=60, wake=False), "the Ray watcher stopped polling"
    assert ws.jobs.get(pending.id).status == JobStatus.PREPARING  # waiting on the cluster
    status = ws.targets.get("rc").status
    assert pending.id in [q["job_id"] for q in status["queued_jobs"]]
    assert blocker.id in [r["job_id"] for r in status["running_jobs"]]
    # Ray's load report trails the job's start by a report period: wait for it, not for a tick
    def head_node():
        return next(n for n in ws.targets.get("rc").status["nodes"] if n["is_head"])

    head = wait_for(lambda: (h := head_node())["utilisation"].get("CPU") == 1.0 and h, 60, interval=0.5, what="the head's CPU shown in use")
    assert head["resources"]["CPU"] == 2 and head["used"]["CPU"] == 2

    ws.jobs.cancel(pending.id)
    job = wait_for(lambda: (j := ws.jobs.get(pending.id)).status.is_terminal and j, 30, what="pending canceled")
    assert job.status == JobStatus.CANCELED
    ws.jobs.cancel(blocker.id)
    job = wait_for(lambda: (j := ws.jobs.get(blocker.id)).status.is_terminal and j, 60, what="running canceled")
    assert job.status == JobStatus.CANCELED
    assert wait_for(lambda: ray_job(ws, job)["status"] == "STOPPED", 30, what="ray job stopped")
    # the pending one never runs, even if Ray would have started it after the stop: Ray ends it
    # unrun, and nothing of it reaches the log once the watcher has looked again
    assert wait_for(lambda: ray_job(ws, ws.jobs.get(pending.id))["status"] in ("STOPPED", "FAILED"), 60, what="pending stopped")
    assert watcher.wait_ticks(2, timeout=60), "the Ray watcher stopped polling"
    assert "should-not-run" not in lines(ws, pending.id)


def test_a_sweep_runs_its_trials_on_the_ray_target(cluster):
    from jupyter_mlservice.core.sweeps.schemas import SweepCreate

    ws = cluster["ws"]
    command = "python -c \"import mlflow, sys; mlflow.log_metric('score', float(sys.argv[1]), step=0)\" ${{search_space.x}}"
    s = ws.sweeps.submit(SweepCreate(
        trial={"kind": "command", "command": command}, search_space={"x": {"type": "choice", "values": [1, 2]}}, sampling="grid",
        objective={"metric": "score"}, target="rc", experiment="ray-sweep",
    ))
    wait_for(lambda: ws.jobs.get(s.id).status.is_terminal, 600, interval=0.2, what="the sweep on ray")
    done = ws.sweeps.get(s.id)
    assert done.job.status == "Completed", done.job.error
    trials = ws.jobs.list(parent=s.id).items
    assert len(trials) == 2 and all(t.target == "rc" and t.backend.get("submission_id") for t in trials)
    assert done.best_trial.params == {"x": 2} and done.best_trial.value == 2


def test_attached_mode_with_token_and_pending_timeout(cluster):
    ws = cluster["ws"]
    head = ws.backends["ray"]._head("rc", None)
    ws.targets.create(TargetCreate(name="att", type="ray", settings={
        "mode": "attached", "address": head.state.dashboard_url, "auth_token": head.token()}))
    status = ws.targets.get("att").status
    assert status["state"] == "ready" and status["nodes"][0]["resources"]["CPU"] == 2
    job = run(ws, CommandJobSpec(command="echo attached-ok", target="att"))
    assert job.status == JobStatus.COMPLETED, job.error
    assert "attached-ok" in log_of(ws, job.id)
    # a request no node offers stays PENDING upstream: our own timeout fails it with a reason
    ws.targets.update("att", TargetUpdate(settings={"pending_timeout_s": 3}))
    job = run(ws, CommandJobSpec(command="true", target="att", resources={"custom": {"no-such-thing": 1}}), timeout=60)
    assert job.status == JobStatus.FAILED and "pending_timeout_s" in job.error
    # a wrong token is a clear error, not a hang
    ws.targets.update("att", TargetUpdate(settings={"auth_token": "wrong", "pending_timeout_s": 600}))
    job = run(ws, CommandJobSpec(command="true", target="att"), timeout=60)
    assert job.status == JobStatus.FAILED and "auth_token" in job.error
    ws.targets.delete("att")


def test_token_never_appears_in_jobs_logs_or_targets(cluster):
    ws = cluster["ws"]
    token = ws.backends["ray"]._head("rc", None).token()
    for job in ws.jobs.list(limit=100).items:
        assert token not in json.dumps(job.model_dump(mode="json"))
        assert token not in log_of(ws, job.id)
    assert token not in json.dumps(ws.targets.get("rc").model_dump(mode="json"))
    head_dir = ws.workspace_dir / "ray" / "rc"
    assert token not in (head_dir / "head.log").read_text() and token not in (head_dir / "head.json").read_text()
    assert (head_dir / "auth_token").stat().st_mode & 0o777 == 0o600


def test_listens_on_loopback_only(cluster):
    pid = cluster["pid"]
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    addrs = set()
    for p in procs:
        try:
            addrs |= {c.laddr.ip for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
        except psutil.Error:
            pass
    assert addrs and addrs <= {"127.0.0.1", "::ffff:127.0.0.1"}, addrs


def test_restart_reattaches_to_the_head_and_a_running_job(cluster):
    ws = cluster["ws"]
    job = ws.jobs.submit(CommandJobSpec(command="echo before; sleep 6; echo after-restart", target="rc"))
    wait_for(lambda: "before" in log_of(ws, job.id), 120, interval=0.2, what="job running")
    ws.stop()  # a job runs on the head: the head stays up for the next server
    assert psutil.pid_exists(cluster["pid"])
    ws2 = cluster["ws"] = _workspace(cluster["root"])
    job = wait_for(lambda: (j := ws2.jobs.get(job.id)).status.is_terminal and j, 120, what="re-attached job end")
    assert job.status == JobStatus.COMPLETED, job.error
    out = lines(ws2, job.id)
    assert "after-restart" in out and out.count("before") == 1  # copied once, across the restart
    assert "mlservice: re-attached to this job after a server restart" in out
    assert ws2.backends["ray"]._head("rc", None).state.pid == cluster["pid"]  # no second head


def test_deleting_the_target_stops_the_head_by_pid(cluster):
    ws = cluster["ws"]
    tree = [cluster["pid"], *cluster["tree"]]
    ws.targets.delete("rc")
    gone = lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in tree)  # noqa: E731
    wait_for(gone, 60, what="head processes gone")
    assert not (ws.workspace_dir / "ray" / "rc" / "head.json").exists()
