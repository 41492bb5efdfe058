"""notebooks/07-mlops.ipynb runs end to end under papermill against a live server: new data ->
trigger -> retrain pipeline -> gate -> trigger -> rollout completes; a broken candidate rolls back."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "07-mlops.ipynb"


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_mlops_tutorial_runs_end_to_end(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSERVICE_URL", live_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", live_server.token)
    work = live_server.root / "mlops"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
                               parameters={"experiment": "tutorial-mlops", "delete_at_end": False})
    nb = nbformat.read(executed, as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "error"]

    ml = live_server.client()
    promoted, broken = sorted(ml.rollouts.list(endpoint="iris-mlops"), key=lambda r: r.data["created_at"])
    assert promoted.state == "Completed" and promoted.created_by == "trigger:promote" and promoted.model == "iris-mlops:2"
    assert broken.state == "RolledBack" and broken.reason.startswith("mirror:")
    assert ml.models.version("iris-mlops@champion").version == "2"
    assert ml.models.version("iris-mlops:2").tags["gate"] == "passed"
    assert ml.endpoints.get("iris-mlops").traffic == {"v2": 100}
    [retrain] = ml.triggers.firings("retrain")
    assert retrain["cause"]["ref"] == "data:iris-mlops-train@2" and ml.pipelines.get(retrain["job_id"]).status == "Completed"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "answers the application got: {200:" in text and "Error" not in text.split("answers the application got:")[1].split("\n")[0]
