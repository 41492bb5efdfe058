"""notebooks/01-jobs-quickstart.ipynb runs end to end under papermill against a live server."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01-jobs-quickstart.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_jobs_quickstart_runs_end_to_end(live_server, tmp_path, monkeypatch):
    # What a kernel started by the server inherits; the notebook configures nothing else.
    monkeypatch.setenv("MLSERVICE_URL", live_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", live_server.token)
    work = live_server.root / "quickstart"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
        parameters={"target_name": "tutorial-cpu", "experiment": "quickstart-test"},
    )

    ml = live_server.client()
    assert ml.targets.get("tutorial-cpu")["settings"]["max_concurrency"] == 2
    jobs = {j.display_name: j for j in ml.jobs.list(experiment="quickstart-test")}
    assert set(jobs) == {"ridge-script", "ridge-notebook", "ridge-cell"}
    assert {j.kind for j in jobs.values()} == {"command", "notebook", "code"}
    assert all(j.status == "Completed" and j.target == "tutorial-cpu" for j in jobs.values())
    script = jobs["ridge-script"]
    assert script.params["alpha"] == "0.5"  # logged by mlflow.autolog()
    assert 40 < script.metrics()["test_rmse"][-1] < 80
    assert jobs["ridge-notebook"].params["alpha"] == "0.1"  # the papermill parameter reached the notebook
    assert len(jobs["ridge-cell"].metrics()["test_rmse"]) == 4

    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert sum(WIDGET_MIME in o.get("data", {}) for o in outputs) >= 3  # show(), %%mlrun, `best`
    tables = [o["data"]["text/html"] for o in outputs if o.get("data", {}).get("text/html", "").startswith("<table class='jp-mlservice-table'>")]
    assert any(script.id in t for t in tables)
