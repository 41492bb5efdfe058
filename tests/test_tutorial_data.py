"""notebooks/04-data-assets.ipynb runs end to end under papermill against a live server."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04-data-assets.ipynb"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_data_assets_tutorial_runs_end_to_end(live_server, tmp_path, monkeypatch):
    # What a kernel started by the server inherits; the notebook configures nothing else.
    monkeypatch.setenv("MLSERVICE_URL", live_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", live_server.token)
    work = live_server.root / "data-tutorial"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
        parameters={"asset": "iris-t", "experiment": "data-tutorial-test"},
    )

    ml = live_server.client()
    assert [v.version for v in ml.data.versions("iris-t")] == [2, 1]
    assert ml.data.get("iris-t@prod").version == 1
    assert ml.data.profile("iris-t@1")["profile"]["rows"] == 150
    features = ml.data.get("iris-t-features")
    jobs = {j.display_name: j for j in ml.jobs.list(experiment="data-tutorial-test")}
    assert features.job_id == jobs["train-on-data"].id and jobs["count-rows"].status == "Completed"
    lineage = ml.data.lineage("iris-t@1")
    assert [n["id"] for n in lineage["models"]] == ["iris-t-model:1"]
    assert ml.models.version("iris-t-model:1").lineage["data"][0]["ref"] == "data:iris-t@1"
    assert ml.data.get("iris-t-sales").row_count == 28

    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("rows in the prod version: 150" in o.get("text", "") for o in outputs)
