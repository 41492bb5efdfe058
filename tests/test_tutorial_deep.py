"""notebooks/09-deep-learning.ipynb runs end to end under papermill against a live server: a PyTorch
CNN trained as a job, registered, served with dynamic batching (JSON and OIP v2), exported to ONNX
and packaged for a device."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "09-deep-learning.ipynb"


@pytest.mark.frameworks
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_deep_learning_tutorial_runs_end_to_end(deep_server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSERVICE_URL", deep_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", deep_server.token)
    work = deep_server.root / "deep-tutorial"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
        parameters={"experiment": "deep-tutorial-test", "model_name": "bars-tutorial", "endpoint_name": "bars-tutorial"},
    )
    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert re.search(r"Completed loss per epoch: \[\S+, \S+\]", text), text
    truth = re.search(r"MLflow JSON: (\[.*?\]) truth: (\[.*?\])", text)
    assert truth and truth.group(1) == truth.group(2), text
    assert f"OIP v2: {truth.group(1)}" in text
    right, answered, passes = re.search(r"(\d+) of 64 right; ([\d.]+) requests answered by ([\d.]+) forward passes", text).groups()
    assert int(right) == 64 and float(passes) < float(answered), text
    assert "bars-tutorial:2 largest difference from PyTorch:" in text
    assert "['README.md', 'model.json', 'model.onnx', 'requirements.txt', 'score.py']" in text
    assert f"edge package: {json.loads(truth.group(1))[:4]}" in text, text
    ml = deep_server.client()
    assert ml.models.version("bars-tutorial:2").tags["mlservice.format"] == "onnx"
    assert "bars-tutorial" not in [e.name for e in ml.endpoints.list()]  # deleted at the end
