"""AZUREML_MODEL_DIR as Azure lays it out: a registered folder keeps its name beneath it, for
real-time deployments and batch jobs alike."""

from __future__ import annotations

import json
import textwrap

import pandas as pd
import pytest
import requests

from jupyter_mlservice.core.endpoints.schemas import DeploymentCreate, EndpointCreate
from jupyter_mlservice.core.jobs.schemas import BatchJobSpec

from .conftest import wait_for, wait_job

SCRIPT = textwrap.dedent(
    """
    import json, os

    def init():
        global weights, flat
        base = os.getenv("AZUREML_MODEL_DIR")
        with open(os.path.join(base, "model/weights.json")) as f:  # Azure's layout: the folder's own name
            weights = json.load(f)
        flat = os.path.exists(os.path.join(base, "weights.json"))  # and the files at the top, as before

    def run(raw_data):
        return {"w": weights["w"], "flat": flat}
    """
)


@pytest.mark.timeout(600)
def test_a_registered_folder_keeps_its_name_under_azureml_model_dir(workspace, in_root):
    folder = in_root / "model"
    folder.mkdir()
    (folder / "weights.json").write_text(json.dumps({"w": [1, 2, 3]}))
    code = in_root / "code"
    code.mkdir()
    (code / "score.py").write_text(SCRIPT)
    workspace.models.register("folder-model", local_path=str(folder))
    workspace.endpoints.create_endpoint(EndpointCreate(name="layout", auth_mode="none"))
    try:
        workspace.endpoints.create_deployment("layout", DeploymentCreate(name="d", model="folder-model:1", code=str(code),
                                                                         scoring_script="score.py"))
        dep = wait_for(lambda: (d := workspace.endpoints.get_deployment("layout", "d")).status not in ("Creating", "Updating") and d,
                       timeout=300, what="deployment")
        assert dep.status == "Healthy", dep.error
        base = workspace.endpoints.get_endpoint("layout").base_uri
        answer = requests.post(f"{base}/score", data="{}", timeout=60).json()
        assert answer == {"w": [1, 2, 3], "flat": True}
    finally:
        workspace.endpoints.delete_endpoint("layout")


BATCH_DRIVER = textwrap.dedent(
    """
    import json, os
    import pandas as pd

    def init():
        global weights
        with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model/weights.json")) as f:  # as on Azure's batch endpoints
            weights = json.load(f)

    def run(mini_batch):
        return pd.DataFrame({"file": [os.path.basename(p) for p in mini_batch], "w": [sum(weights["w"])] * len(mini_batch)})
    """
)


@pytest.mark.timeout(600)
def test_batch_scripts_get_the_same_layout(workspace, in_root):
    folder = in_root / "model"
    folder.mkdir()
    (folder / "weights.json").write_text(json.dumps({"w": [1, 2, 3]}))
    code = in_root / "code"
    code.mkdir()
    (code / "driver.py").write_text(BATCH_DRIVER)
    inputs = in_root / "in"
    inputs.mkdir()
    for name in ("a.csv", "b.csv"):
        (inputs / name).write_text("x\n1\n")
    workspace.models.register("batch-folder-model", local_path=str(folder))
    job = workspace.jobs.submit(BatchJobSpec(model="batch-folder-model:1", input={"path": str(inputs)}, mini_batch_unit="files",
                                             scoring_script="driver.py", code=str(code), output={"path": str(in_root / "out.csv")}))
    done = wait_job(workspace, job.id, timeout=300)
    assert done.status == "Completed", workspace.jobs.logs(job.id).text
    out = pd.read_csv(in_root / "out.csv").sort_values("file")
    assert out["file"].tolist() == ["a.csv", "b.csv"] and out["w"].tolist() == [6, 6]
