"""Endpoints and deployments through the service, SDK and REST on a real server."""

from __future__ import annotations

import os
import signal
import threading

import pytest
import requests

from jupyter_mlservice.core.errors import Conflict, InvalidRequest, NotFound
from jupyter_mlservice.sdk.endpoints import DeploymentFailed

from .conftest import LiveServer, wait_for
from .test_registry import TRAIN

ROWS = {"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}

SCORE = '''
import os
import mlflow.pyfunc
from inference_schema.schema_decorators import input_schema, output_schema
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType

def init():
    global model
    model = mlflow.pyfunc.load_model(os.environ["AZUREML_MODEL_DIR"])

@input_schema("data", StandardPythonParameterType([[5.1, 3.5, 1.4, 0.2]]))
@output_schema(StandardPythonParameterType([0]))
def run(data):
    import pandas as pd
    frame = pd.DataFrame(data, columns=["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"])
    return [int(x) for x in model.predict(frame)]
'''


@pytest.fixture(scope="module")
def models(shared_server):
    ml = shared_server.client()
    for c in (0.5, 1.0):
        job = ml.jobs.submit(source=TRAIN, parameters={"C": c}, experiment="iris-ep").wait(timeout=600)
        assert job.status == "Completed", job.logs()
        ml.models.register(name="iris-ep", job=job, path="model")
    ml.models.set_alias("iris-ep", "champion", 2)
    code = shared_server.root / "score_dir"
    code.mkdir(exist_ok=True)
    (code / "score.py").write_text(SCORE)
    return ml


def post(ep, path, key, payload, deployment=None, timeout=30):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if deployment:
        headers["mlservice-deployment"] = deployment
    return requests.post(ep.base_uri + path, json=payload, headers=headers, timeout=timeout)


@pytest.mark.timeout(1200)
def test_deploy_score_keys_traffic_and_zero_downtime(shared_server, models):
    ml = models
    ep = ml.endpoints.create(name="iris", auth_mode="key")
    assert ep.base_uri.startswith("http://127.0.0.1:") and ep.scoring_uri == ep.base_uri + "/score"  # as Azure reports it
    blue = ml.deployments.create(endpoint="iris", name="blue", model="iris-ep:1", replicas=2)
    assert blue.status == "Healthy" and blue.model_version == "1"
    assert ml.endpoints.get("iris").traffic == {"blue": 100}
    keys = ml.endpoints.get_keys("iris")
    resp = post(ep, "/invocations", keys["primary"], ROWS)
    assert resp.status_code == 200 and resp.json()["predictions"] == [0, 2]
    assert post(ep, "/invocations", keys["secondary"], ROWS).status_code == 200
    # the scoring URI itself takes the same payload: an Azure client posts there as it is
    at_scoring_uri = requests.post(ep.scoring_uri, json=ROWS, headers={"Authorization": f"Bearer {keys['primary']}"}, timeout=60)
    assert at_scoring_uri.status_code == 200 and at_scoring_uri.json()["predictions"] == [0, 2]
    assert post(ep, "/invocations", None, ROWS).status_code == 401
    assert post(ep, "/invocations", "wrong", ROWS).status_code == 401
    assert ml.endpoints.invoke("iris", ROWS)["predictions"] == [0, 2]

    # keys can be regenerated; the old one stops working
    new = ml.endpoints.regenerate_key("iris", "primary")
    assert new["primary"] != keys["primary"] and new["secondary"] == keys["secondary"]
    assert wait_for(lambda: post(ep, "/invocations", keys["primary"], ROWS).status_code == 401, 30, what="old key refused")
    key = new["primary"]

    # an Azure-style scoring script on the same endpoint, model by alias
    green = ml.deployments.create(endpoint="iris", name="green", model="iris-ep@champion", code=str(shared_server.root / "score_dir"), scoring_script="score.py")
    assert green.status == "Healthy" and green.model_version == "2"
    scored = post(ep, "/score", key, {"data": [[5.1, 3.5, 1.4, 0.2]]}, deployment="green")
    assert scored.status_code == 200 and scored.json() == [0]
    swagger = requests.get(ep.base_uri + "/swagger.json", headers={"Authorization": f"Bearer {key}", "mlservice-deployment": "green"}, timeout=10)
    assert swagger.status_code == 200 and "paths" in swagger.json()
    assert ml.endpoints.get("iris").traffic == {"blue": 100}  # a new deployment gets no traffic by itself

    with pytest.raises(InvalidRequest, match="add up to 100"):
        ml.endpoints.set_traffic("iris", {"blue": 50, "green": 20})
    with pytest.raises(InvalidRequest, match="no deployment named"):
        ml.endpoints.set_traffic("iris", {"purple": 100})
    with pytest.raises(Conflict, match="traffic"):
        ml.deployments.delete(endpoint="iris", name="blue")

    # zero downtime: a client sends all along while traffic moves and blue goes away
    statuses, stop = [], threading.Event()

    def client():
        with requests.Session() as s:
            while not stop.is_set():
                r = s.post(ep.base_uri + "/invocations", json=ROWS, headers={"Authorization": f"Bearer {key}"}, timeout=30)
                statuses.append(r.status_code)
                stop.wait(0.05)  # a steady client, not a busy loop that starves the deployments it waits on

    t = threading.Thread(target=client)
    t.start()
    try:
        ml.deployments.create(endpoint="iris", name="teal", model="iris-ep:2")
        ml.endpoints.set_traffic("iris", {"blue": 90, "teal": 10})
        ml.endpoints.set_traffic("iris", {"blue": 0, "teal": 100})
        ml.deployments.delete(endpoint="iris", name="blue")
        after = len(statuses)
        wait_for(lambda: len(statuses) >= after + 20, 60, what="requests answered after blue went away")
    finally:
        stop.set()
        t.join()
    assert statuses and set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert [d.name for d in ml.deployments.list("iris")] == ["green", "teal"]

    # mirror traffic: copies go to green, answers still come from teal
    ml.endpoints.set_mirror("iris", {"green": 50})
    for _ in range(20):
        assert post(ep, "/invocations", key, ROWS).headers.get("mlservice-deployment") == "teal"

    # a deployment that cannot load fails with a reason, and the endpoint keeps serving
    (shared_server.root / "bad_dir").mkdir(exist_ok=True)
    (shared_server.root / "bad_dir" / "score.py").write_text("def init():\n    raise RuntimeError('cannot load weights')\n\ndef run(d):\n    return d\n")
    with pytest.raises(DeploymentFailed, match="cannot load weights"):
        ml.deployments.create(endpoint="iris", name="broken", model="iris-ep:1", code=str(shared_server.root / "bad_dir"), scoring_script="score.py")
    assert ml.deployments.get(endpoint="iris", name="broken").status == "Failed"
    assert post(ep, "/invocations", key, ROWS).status_code == 200
    with pytest.raises(Conflict, match="not served"):
        ml.endpoints.set_traffic("iris", {"broken": 100})
    ml.deployments.delete(endpoint="iris", name="broken")

    # figures and logs
    figures = ml.endpoints.metrics("iris")
    assert figures["teal"]["requests"] > 0 and "p99_ms" in figures["teal"]
    assert isinstance(ml.deployments.logs(endpoint="iris", name="green"), str)

    with pytest.raises(NotFound):
        ml.deployments.get(endpoint="iris", name="nope")
    with pytest.raises(NotFound):
        ml.deployments.create(endpoint="iris", name="x", model="no-such-model:1")
    with pytest.raises(InvalidRequest, match="scoring_script"):
        ml.deployments.create(endpoint="iris", name="x", model="iris-ep:1", code=str(shared_server.root / "score_dir"))
    with pytest.raises(Conflict):
        ml.endpoints.create(name="iris")
    ml.endpoints.delete("iris")
    assert wait_for(lambda: _refused(ep), 30, what="endpoint stopped")


def _refused(ep) -> bool:
    """Not serving (yet): refused, or the socket is bound but no worker answers."""
    try:
        requests.get(ep.base_uri + "/", timeout=2)
    except requests.RequestException:
        return True
    return False


def test_auth_none_endpoint(shared_server, models):
    ml = models
    ep = ml.endpoints.create(name="open", auth_mode="none")
    ml.deployments.create(endpoint="open", name="only", model="iris-ep:1")
    assert requests.post(ep.base_uri + "/invocations", json=ROWS, timeout=30).json()["predictions"] == [0, 2]
    assert ml.endpoints.get_keys("open") == {"primary": None, "secondary": None}
    ml.endpoints.delete("open")


@pytest.mark.timeout(900)
def test_endpoints_come_back_after_restart_and_heal(server_root):
    server = LiveServer(server_root).start()
    try:
        ml = server.client()
        job = ml.jobs.submit(source=TRAIN, parameters={"C": 1.0}).wait(timeout=600)
        ml.models.register(name="iris-r", job=job)
        ep = ml.endpoints.create(name="durable")
        ml.deployments.create(endpoint="durable", name="blue", model="iris-r:1")
        key = ml.endpoints.get_keys("durable")["primary"]
        assert post(ep, "/invocations", key, ROWS).status_code == 200
        server.stop(signal.SIGKILL)
        assert post(ep, "/invocations", key, ROWS).status_code == 200  # serving does not depend on the server
        # the endpoint dies too while the server is down
        pid = int(__import__("json").loads((server_root / ".mlservice/endpoints/durable/state.json").read_text())["pid"])
        os.killpg(pid, signal.SIGKILL)
        wait_for(lambda: _refused(ep), 20, what="endpoint down")
        server = LiveServer(server_root, port=server.port).start()
        ml = server.client()
        assert wait_for(lambda: not _refused(ep) and post(ep, "/invocations", key, ROWS).status_code == 200, 120, what="endpoint back")
        assert ml.endpoints.get("durable").base_uri == ep.base_uri
        assert ml.endpoints.get_keys("durable")["primary"] == key
        # self-healing while the server runs
        pid = int(__import__("json").loads((server_root / ".mlservice/endpoints/durable/state.json").read_text())["pid"])
        os.killpg(pid, signal.SIGKILL)
        assert wait_for(lambda: not _refused(ep) and post(ep, "/invocations", key, ROWS).status_code == 200, 120, what="endpoint healed")
        ml.endpoints.delete("durable")
    finally:
        server.stop()


@pytest.mark.timeout(900)
def test_endpoint_cli(shared_server, models):
    from .test_sdk_cli import cli

    assert "created endpoint cli-ep at http://127.0.0.1:" in cli(shared_server, "endpoint", "create", "cli-ep").stdout
    out = cli(shared_server, "deployment", "create", "cli-ep", "blue", "--model", "iris-ep:1").stdout
    assert "cli-ep/blue: Healthy" in out
    answer = cli(shared_server, "endpoint", "invoke", "cli-ep", "--data", __import__("json").dumps(ROWS)).stdout
    assert '"predictions"' in answer
    shown = cli(shared_server, "endpoint", "show", "cli-ep").stdout
    assert "blue" in shown and "Healthy" in shown
    assert "primary" in cli(shared_server, "endpoint", "keys", "cli-ep").stdout
    bad = cli(shared_server, "endpoint", "traffic", "cli-ep", "blue=50", check=False)
    assert bad.returncode == 1 and "add up to 100" in bad.stderr
    assert '{"blue": 100}' in cli(shared_server, "endpoint", "traffic", "cli-ep", "blue=100").stdout
    # --all-traffic: the command returns once the new deployment is Healthy and holds all traffic
    out = cli(shared_server, "deployment", "create", "cli-ep", "green", "--model", "iris-ep:2", "--all-traffic").stdout
    assert "cli-ep/green: Healthy" in out
    listed = __import__("json").loads(cli(shared_server, "endpoint", "list", "--json").stdout)
    assert next(e for e in listed if e["name"] == "cli-ep")["traffic"] == {"green": 100}
    cli(shared_server, "endpoint", "delete", "cli-ep")
