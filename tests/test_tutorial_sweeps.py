"""notebooks/08-sweeps-and-automl.ipynb runs end to end under papermill against a live server."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "08-sweeps-and-automl.ipynb"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_sweeps_and_automl_tutorial_runs_end_to_end(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSERVICE_URL", live_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", live_server.token)
    work = live_server.root / "sweeps"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
        parameters={"experiment": "tutorial-sweeps", "max_trials": 4, "automl_budget_s": 5},
    )
    nb = nbformat.read(executed, as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "error"]

    ml = live_server.client()
    sweep = ml.sweeps.list()[0]
    assert sweep.status == "Completed" and sum(sweep.counts.values()) == 4
    assert all(t.state in ("completed", "pruned") for t in sweep.trials())
    assert ml.models.versions("iris-sgd")[0].run_id == sweep.best_trial.job.run_id
    run = ml.automl.list()[0]
    assert run.status == "Completed" and run.leaderboard[0]["score"] > 0.9
    assert ml.models.versions("cancer")
