"""notebooks/05-pipeline.ipynb runs end to end under papermill against a live server."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05-pipeline.ipynb"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_pipeline_tutorial_runs_end_to_end(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSERVICE_URL", live_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", live_server.token)
    work = live_server.root / "pipelines"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
                               parameters={"experiment": "tutorial-pipeline"})
    nb = nbformat.read(executed, as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "error"]

    ml = live_server.client()
    first, again, stronger = sorted(ml.pipelines.list(), key=lambda r: r.data["created_at"])
    assert first.status == again.status == stronger.status == "Completed"
    assert [s.status for s in again.steps] == ["reused"] * 4
    assert [s.status for s in stronger.steps] == ["reused", "completed", "completed", "completed"]
    assert "parameters.C" in stronger.step("train").why
    assert [v.version for v in ml.models.versions("iris-pipeline")] == ["2", "1"]
    assert "200" in "".join(o.get("text", "") for o in nb.cells[-2].outputs)
