"""The SDK and the CLI against a real `mlservice serve` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from jupyter_mlservice import MLService
from jupyter_mlservice.core.errors import Conflict, InvalidRequest, NotFound
from jupyter_mlservice.sdk import ServerNotFound


def cli(server, *args, check=True, env=None):
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter_mlservice.cli", *args],
        capture_output=True, text=True, timeout=300, cwd=server.root,
        env={**os.environ, "MLSERVICE_URL": server.url, "MLSERVICE_TOKEN": server.token, **(env or {})},
    )
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="module")
def project(shared_server):
    root = shared_server.root
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "train.py").write_text(
        "import sys, mlflow\n"
        "alpha = float(sys.argv[sys.argv.index('--alpha') + 1])\n"
        "mlflow.log_param('alpha', alpha)\n"
        "for i in range(5):\n    mlflow.log_metric('loss', alpha / (i + 1), step=i)\n"
        "print('trained with', alpha)\n"
    )
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("alpha = 0.1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import mlflow\nmlflow.log_metric('alpha_seen', alpha)\nprint('nb alpha', alpha)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "train.ipynb")
    return root


def test_sdk_contract(shared_server, project, monkeypatch):
    monkeypatch.chdir(project)
    ml = shared_server.client()
    assert "local" in [t["name"] for t in ml.targets.list()]
    small = ml.targets.create(name="small", type="local", max_concurrency=1)
    assert small["capacity"] == 1
    job = ml.jobs.submit(command="python train.py --alpha 0.5", code="src/", target="small", experiment="diabetes")
    job.wait(timeout=600)
    assert job.status == "Completed", job.logs()
    assert "trained with 0.5" in job.logs()
    assert job.metrics()["loss"] == [0.5, 0.25, 0.5 / 3, 0.125, 0.1]
    assert job.params == {"alpha": "0.5"}
    assert job.run_id and job.experiment == "diabetes"
    nb_job = ml.jobs.submit(notebook="train.ipynb", parameters={"alpha": 0.5})
    assert nb_job.wait(timeout=600).status == "Completed", nb_job.logs()
    assert nb_job.metrics()["alpha_seen"] == [0.5]
    assert "train.ipynb" in [a["path"] for a in nb_job.artifacts()]
    assert ml.jobs.get(job.id).status == "Completed"
    listed = ml.jobs.list(status="Completed", experiment="diabetes")
    assert [j.id for j in listed] == [job.id]
    long = ml.jobs.submit(command="sleep 60", target="small")
    long.cancel()
    assert long.wait(timeout=60).status == "Canceled"
    runs = ml.experiments.runs("diabetes", order_by="metrics.loss ASC")
    assert runs[0]["run_id"] == job.run_id
    ml.targets.delete("small")


def test_sdk_errors_are_clear(shared_server):
    ml = shared_server.client()
    with pytest.raises(NotFound):
        ml.jobs.get("job-000000000000")
    with pytest.raises(InvalidRequest, match="exactly one"):
        ml.jobs.submit()
    with pytest.raises(InvalidRequest, match="timeout_s"):
        ml.jobs.submit(command="true", timeout_s=-5)
    with pytest.raises(Conflict):
        ml.targets.create(name="local", type="local")
    bad = MLService(url=shared_server.url, token="wrong")
    with pytest.raises(Exception, match="not authorized"):
        bad.targets.list()


def test_sdk_discovers_the_server(shared_server, monkeypatch, tmp_path):
    monkeypatch.setenv("MLSERVICE_URL", shared_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", shared_server.token)
    assert MLService().targets.get("local")["name"] == "local"
    # from the runtime files of the server whose root holds the working folder
    monkeypatch.delenv("MLSERVICE_URL")
    monkeypatch.delenv("MLSERVICE_TOKEN")
    monkeypatch.chdir(shared_server.root)
    env_runtime = subprocess.run([sys.executable, "-c", "from jupyter_core.paths import jupyter_runtime_dir; print(jupyter_runtime_dir())"], capture_output=True, text=True).stdout.strip()
    assert env_runtime
    assert MLService().targets.get("local")["name"] == "local"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "empty-runtime"))
    with pytest.raises(ServerNotFound, match="mlservice serve"):
        MLService()


def test_cli(shared_server, project):
    out = cli(shared_server, "target", "create", "cli-small", "--type", "local", "--max-concurrency", "1")
    assert "created target cli-small" in out.stdout
    listed = json.loads(cli(shared_server, "target", "list", "--json").stdout)
    assert "cli-small" in [t["name"] for t in listed]
    assert "cli-small" in cli(shared_server, "target", "list").stdout
    job_id = cli(shared_server, "job", "submit", "--target", "cli-small", "--experiment", "E", "--code", "src", "--", "python", "train.py", "--alpha", "0.25").stdout.strip()
    assert job_id.startswith("job-")
    followed = cli(shared_server, "job", "logs", job_id, "--follow").stdout
    assert "trained with 0.25" in followed
    shown = json.loads(cli(shared_server, "job", "show", job_id, "--json").stdout)
    assert shown["status"] == "Completed" and shown["experiment"] == "E"
    assert job_id in cli(shared_server, "job", "list", "--experiment", "E").stdout
    rows = json.loads(cli(shared_server, "job", "list", "--status", "Completed", "--json").stdout)
    assert job_id in [r["id"] for r in rows]
    nb = cli(shared_server, "job", "submit", "--notebook", "train.ipynb", "-p", "alpha", "0.75", "--wait").stdout
    assert "Completed" in nb and "nb alpha 0.75" in nb
    slow = cli(shared_server, "job", "submit", "--target", "cli-small", "--", "sleep 30").stdout.strip()
    assert "Cancel" in cli(shared_server, "job", "cancel", slow).stdout
    cli(shared_server, "target", "delete", "cli-small", check=False)


def test_cli_errors_are_one_line_and_nonzero(shared_server):
    bad = cli(shared_server, "job", "show", "job-nope", check=False)
    assert bad.returncode == 1 and bad.stderr.strip().startswith("mlservice: error:") and len(bad.stderr.strip().splitlines()) == 1
    bad = cli(shared_server, "job", "submit", "--timeout", "-1", "--", "true", check=False)
    assert bad.returncode == 1 and "timeout_s" in bad.stderr
    bad = cli(shared_server, "job", "submit", check=False)
    assert bad.returncode == 1 and "--notebook" in bad.stderr
    bad = cli(shared_server, "target", "list", env={"MLSERVICE_URL": "http://127.0.0.1:9/"}, check=False)
    assert bad.returncode == 1 and "cannot reach" in bad.stderr
