"""notebooks/02-schedules-and-batch.ipynb runs end to end under papermill against a live server."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02-schedules-and-batch.ipynb"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_schedules_tutorial_runs_end_to_end(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSERVICE_URL", live_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", live_server.token)
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID"):
        monkeypatch.delenv(key, raising=False)  # the kernel finds MLflow through the server, as a user's would
    work = live_server.root / "schedules-tutorial"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
                               parameters={"prefix": "t", "rows": 12_000})

    ml = live_server.client()
    nightly = ml.schedules.get("t-nightly-scoring")
    assert not nightly.enabled and nightly.cron == "0 2 * * *" and nightly.time_zone == "Europe/Paris"
    assert [r["state"] for r in ml.schedules.runs("t-nightly-scoring")] == ["submitted"]
    assert [s.name for s in ml.schedules.list()] == ["t-nightly-scoring"]
    batch = [j for j in ml.jobs.list(experiment="t-batch")]
    assert len(batch) == 3 and all(j.status == "Completed" and j.kind == "batch" for j in batch)
    reports = ml.jobs.list(schedule="t-daily-report")
    assert len(reports) == 1 and reports[0].status == "Completed"
    assert "report for 20" in reports[0].logs()  # the cell output reaches the job log
    nb = nbformat.read(executed, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Completed 12000 rows" not in text  # the nightly run scores one day's slice, not the table
    assert "mini-batches skipped" in text and "cells" in text
