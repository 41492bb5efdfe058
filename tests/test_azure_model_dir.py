"""AZUREML_MODEL_DIR as Azure lays it out: a registered folder keeps its name beneath it."""

from __future__ import annotations

import json
import textwrap

import pytest
import requests

from jupyter_mlservice.core.endpoints.schemas import DeploymentCreate, EndpointCreate

from .conftest import wait_for

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
def test_a_registered_folder_keeps_its_name_under_azureml_model_dir(workspace, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.json").write_text(json.dumps({"w": [1, 2, 3]}))
    code = tmp_path / "code"
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
        base = workspace.endpoints.get_endpoint("layout").scoring_uri.rsplit("/score", 1)[0]
        answer = requests.post(f"{base}/score", data="{}", timeout=60).json()
        assert answer == {"w": [1, 2, 3], "flat": True}
    finally:
        workspace.endpoints.delete_endpoint("layout")
