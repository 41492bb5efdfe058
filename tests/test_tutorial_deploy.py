"""notebooks/03-deploy-quickstart.ipynb runs end to end under papermill against a live server:
train as a job, register, deploy, call with `requests`, retrain, canary, shift all traffic."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest
import requests

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03-deploy-quickstart.ipynb"
FLOWERS = {
    "dataframe_split": {
        "columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
        "data": [[5.1, 3.5, 1.4, 0.2]],
    }
}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_deploy_quickstart_runs_end_to_end(live_server, tmp_path, monkeypatch):
    # What a kernel started by the server inherits; the notebook configures nothing else.
    monkeypatch.setenv("MLSERVICE_URL", live_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", live_server.token)
    work = live_server.root / "deploy-quickstart"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
        parameters={
            "target_name": "tutorial-cpu",
            "experiment": "deploy-quickstart-test",
            "model_name": "iris-tutorial",
            "endpoint_name": "iris-tutorial",
            "delete_at_end": False,
        },
    )

    ml = live_server.client()
    # Two versions, each with lineage back to the job that trained it; the alias moved to v2.
    versions = {v.version: v for v in ml.models.versions("iris-tutorial")}
    assert set(versions) == {"1", "2"}
    jobs = {j.display_name: j for j in ml.jobs.list(experiment="deploy-quickstart-test")}
    assert set(jobs) == {"iris-C0.02", "iris-C5"} and all(j.status == "Completed" for j in jobs.values())
    assert ml.models.version("iris-tutorial:1").lineage["job_id"] == jobs["iris-C0.02"].id
    assert ml.models.version("iris-tutorial:2").lineage["params"] == {"C": "5.0"}
    assert ml.models.version("iris-tutorial@champion").version == "2"

    # The endpoint serves version 2 only, with all traffic, to callers with a key.
    endpoint = ml.endpoints.get("iris-tutorial")
    assert endpoint.traffic == {"green": 100} and endpoint.deployments == ["green"]
    green = ml.deployments.get(endpoint="iris-tutorial", name="green")
    assert green.status == "Healthy" and green.model_version == "2"
    key = ml.endpoints.get_keys("iris-tutorial")["primary"]
    answer = requests.post(f"{endpoint.base_uri}/invocations", json=FLOWERS, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert answer.status_code == 200 and answer.json()["predictions"] == [0]
    assert answer.headers["mlservice-deployment"] == "green"

    # What the notebook printed along the way: 401 without a key, the canary reached both.
    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    texts = [o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs]
    assert "401" in texts
    canary = next(t for t in texts if t.startswith("Counter("))
    assert "'blue'" in canary and "'green'" in canary
    assert any("{'green': 100}" in t and "Counter({'green': 20})" in t for t in texts)

    ml.endpoints.delete("iris-tutorial")
