"""Batch jobs the way Azure ML's batch endpoints run them: an MLflow model scored over files
(mini-batches counted in files, no script), Azure's append_row output, and a file-based driver
script that gets Azure's environment variables."""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pandas as pd
import pytest

from jupyter_mlservice.core.jobs.schemas import BatchJobSpec

from .batch_fixtures import expected, make_frame, register_model
from .conftest import wait_job

pytestmark = pytest.mark.timeout(600)

DRIVER = textwrap.dedent(
    """
    import os
    import pandas as pd

    def init():
        global out_dir
        out_dir = os.environ["AZUREML_BI_OUTPUT_PATH"]
        assert os.path.isdir(os.environ["AZUREML_MODEL_DIR"])

    def run(mini_batch):
        results = []
        for path in mini_batch:
            rows = len(pd.read_csv(path))
            name = os.path.basename(path)
            with open(os.path.join(out_dir, name + ".count"), "w") as f:  # files beside the output, as on Azure
                f.write(str(rows))
            results.append(f"{name} {rows}")
        return results
    """
)


@pytest.fixture
def files(workspace):
    folder = workspace.root_dir / "incoming"
    folder.mkdir()
    frames = [make_frame(n, seed=n) for n in (5, 7, 3)]
    for i, frame in enumerate(frames):
        frame.drop(columns=["id"]).to_csv(folder / f"part-{i}.csv", index=False)
    return folder, frames


def test_an_mlflow_model_scores_files_into_azures_append_row_file(workspace, files):
    folder, frames = files
    cfg = workspace.config
    register_model(cfg.tracking_uri, cfg.registry_uri)
    job = workspace.jobs.submit(BatchJobSpec(model="lin@champion", input={"path": str(folder)}, mini_batch_unit="files",
                                             mini_batch_size=2, output={"path": "scored/predictions.csv"}, output_format="azure"))
    done = wait_job(workspace, job.id, timeout=300)
    assert done.status == "Completed", workspace.jobs.logs(job.id).text
    out = workspace.root_dir / "scored" / "predictions.csv"
    first = out.read_text().splitlines()[0]
    assert not first.startswith("row"), "Azure's file has no header"
    # what a notebook written for Azure's batch endpoints does with it
    score = pd.read_csv(out, names=["row", "prediction", "file"])
    assert len(score) == sum(len(f) for f in frames)
    for i, frame in enumerate(frames):
        mine = score[score["file"] == f"part-{i}.csv"].sort_values("row")
        assert mine["row"].tolist() == list(range(len(frame)))
        np.testing.assert_allclose(mine["prediction"], expected(frame), atol=1e-6)


def test_a_file_driver_script_gets_azures_batch_environment(workspace, files):
    folder, frames = files
    code = workspace.root_dir / "driver"
    code.mkdir()
    (code / "driver.py").write_text(DRIVER)
    cfg = workspace.config
    register_model(cfg.tracking_uri, cfg.registry_uri)
    job = workspace.jobs.submit(BatchJobSpec(model="lin@champion", scoring_script="driver.py", code=str(code),
                                             input={"path": str(folder)}, mini_batch_unit="files", mini_batch_size=1,
                                             output={"path": "driven/results.csv"}, output_format="azure"))
    done = wait_job(workspace, job.id, timeout=300)
    assert done.status == "Completed", workspace.jobs.logs(job.id).text
    lines = sorted((workspace.root_dir / "driven" / "results.csv").read_text().split())
    assert len(lines) == 6 and "part-0.csv" in lines and str(len(frames[1])) in lines
    counts = {p.name: int(p.read_text()) for p in (workspace.root_dir / "driven").glob("*.count")}
    assert counts == {f"part-{i}.csv.count": len(f) for i, f in enumerate(frames)}


def test_azure_output_needs_a_csv_file():
    with pytest.raises(ValueError, match="output.path ending in .csv"):
        BatchJobSpec(model="m:1", input={"path": "x/"}, output={"path": "o.parquet"}, output_format="azure")
