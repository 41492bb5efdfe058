"""Eight jobs logging at once with plain mlflow.log_metric: every value is stored, none fails."""

from __future__ import annotations

from jupyter_mlservice.core.jobs.schemas import CodeJobSpec
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import wait_job

SOURCE = """
import mlflow
mlflow.log_param("worker", worker)
for i in range(1000):
    mlflow.log_metric("value", i * worker, step=i)
mlflow.set_tag("done", "yes")
print("logged 1000")
"""


def test_eight_jobs_log_1000_metrics_each(workspace):
    workspace.targets.create(TargetCreate(name="wide", type="local", settings={"max_concurrency": 8}))
    jobs = [
        workspace.jobs.submit(CodeJobSpec(source=SOURCE, parameters={"worker": w}, target="wide", experiment="concurrent"))
        for w in range(8)
    ]
    for job in jobs:
        done = wait_job(workspace, job.id, timeout=300)
        log = workspace.jobs.logs(job.id).text
        assert done.status == "Completed", log
        assert "database is locked" not in log
    client = workspace.experiments.client
    for w, job in enumerate(jobs):
        history = client.get_metric_history(job.run_id, "value")
        assert len(history) == 1000
        assert sorted(m.step for m in history) == list(range(1000))
        assert {m.value for m in history} == {float(i * w) for i in range(1000)}
        run = client.get_run(job.run_id)
        assert run.data.params["worker"] == str(w) and run.data.tags["done"] == "yes"
        assert run.info.status == "FINISHED"
