"""A real endpoint (supervisor + worker processes, real HTTP on 127.0.0.1) with four deployments:
two MLflow models splitting traffic 90/10, an Azure-style script and a script whose init() fails.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import requests

from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointProcess

from .conftest import wait_for
from .serving_fixtures import (
    AZURE_SCRIPT,
    BROKEN_SCRIPT,
    IRIS_COLUMNS,
    RAW_SCRIPT,
    ROWS,
    save_iris_model,
    write_script,
)

SPLIT = {"dataframe_split": {"columns": IRIS_COLUMNS, "data": ROWS}}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("serving")
    blue_model = save_iris_model(root / "blue-model", c=1.0)
    save_iris_model(root / "green-model", c=0.01)
    config = EndpointConfig(
        name="iris",
        deployments=[
            DeploymentConfig(name="blue", model_path=str(root / "blue-model"), model_version="1"),
            DeploymentConfig(name="green", model_path=str(root / "green-model"), model_version="2"),
            DeploymentConfig(
                name="script",
                model_path=str(root / "blue-model"),
                code_dir=str(write_script(root / "code", AZURE_SCRIPT)),
                scoring_script="score.py",
                environment_variables={"GREETING": "hello-from-script"},
                return_script_errors=True,
            ),
            DeploymentConfig(
                name="raw",
                model_path=str(root / "blue-model"),
                code_dir=str(write_script(root / "raw-code", RAW_SCRIPT)),
                scoring_script="score.py",
            ),
            DeploymentConfig(
                name="broken",
                model_path=str(root / "blue-model"),
                scoring_script=str(write_script(root / "broken-code", BROKEN_SCRIPT) / "score.py"),
            ),
        ],
        traffic={"blue": 90, "green": 10},
        max_request_bytes=64 * 1024,
    )
    endpoint = EndpointProcess.start(config, root / "state")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {endpoint.config.primary_key}"
    yield endpoint, session, blue_model
    session.close()
    endpoint.stop()


def test_every_mlflow_payload_format_scores(world):
    endpoint, session, model = world
    import pandas as pd

    expected = model.predict(pd.DataFrame(ROWS, columns=IRIS_COLUMNS)).tolist()
    payloads = [
        SPLIT,
        {"dataframe_records": [dict(zip(IRIS_COLUMNS, r)) for r in ROWS]},
        {"instances": [dict(zip(IRIS_COLUMNS, r)) for r in ROWS]},
        {"inputs": {c: [r[i] for r in ROWS] for i, c in enumerate(IRIS_COLUMNS)}},
        {"dataframe_split": {"columns": IRIS_COLUMNS, "data": [[str(v) for v in r] for r in ROWS]}},  # MLflow path
    ]
    for payload in payloads:
        r = session.post(f"{endpoint.base_url}/invocations", json=payload, headers={"mlservice-deployment": "blue"})
        assert r.status_code == 200, r.text
        assert r.json() == {"predictions": expected}
        assert r.headers["mlservice-deployment"] == "blue"
    csv = ",".join(IRIS_COLUMNS) + "\n" + "\n".join(",".join(map(str, r)) for r in ROWS) + "\n"
    r = session.post(
        f"{endpoint.base_url}/score", data=csv, headers={"Content-Type": "text/csv", "mlservice-deployment": "blue"}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": expected}


def test_bad_input_gets_a_4xx_with_a_message(world):
    endpoint, session, _ = world
    url = f"{endpoint.base_url}/invocations"
    target = {"mlservice-deployment": "blue"}
    cases = [
        (session.post(url, data=b"{not json", headers={**target, "Content-Type": "application/json"}), 400),
        (session.post(url, json={"dataframe_split": {"columns": IRIS_COLUMNS[:3], "data": [[1, 2, 3]]}},
                      headers=target), 400),  # fmt: skip
        (session.post(url, json={"dataframe_split": {"columns": IRIS_COLUMNS, "data": [["a", "b", "c", "d"]]}},
                      headers=target), 400),  # fmt: skip
        (session.post(url, json={"rows": ROWS}, headers=target), 400),
        (session.post(url, data=b"x" * 70_000, headers={**target, "Content-Type": "application/json"}), 413),
        (session.post(url, data=b"<xml/>", headers={**target, "Content-Type": "application/xml"}), 415),
        (session.post(url, json=SPLIT, headers={"mlservice-deployment": "purple"}), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.json()["message"]
    assert session.post(url, json=SPLIT).status_code == 200  # still up


def test_key_auth(world):
    endpoint, session, _ = world
    url = f"{endpoint.base_url}/score"
    assert requests.post(url, json=SPLIT).status_code == 401
    assert requests.post(url, json=SPLIT, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert requests.get(f"{endpoint.base_url}/metrics").status_code == 401
    assert requests.get(f"{endpoint.base_url}/v2/models/iris").status_code == 401
    secondary = {"Authorization": f"Bearer {endpoint.config.secondary_key}"}
    assert requests.post(url, json=SPLIT, headers=secondary).status_code == 200
    # Probes stay open: orchestrators call them without keys.
    assert requests.get(f"{endpoint.base_url}/").text == "Healthy"
    assert requests.get(f"{endpoint.base_url}/v2/health/live").status_code == 200


def test_azure_script_with_inference_schema(world):
    endpoint, session, model = world
    url = f"{endpoint.base_url}/score"
    to_script = {"mlservice-deployment": "script"}
    r = session.post(url, json={"data": ROWS}, headers=to_script)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": model.predict(np.array(ROWS)).tolist()}

    swagger = session.get(f"{endpoint.base_url}/swagger.json", headers=to_script).json()
    assert swagger["swagger"] == "2.0"
    data_schema = swagger["definitions"]["ServiceInput"]["properties"]["data"]
    assert data_schema["type"] == "array" and data_schema["items"]["type"] == "array"
    assert "predictions" in swagger["definitions"]["ServiceOutput"]["properties"]
    assert session.get(f"{endpoint.base_url}/swagger.json?version=3", headers=to_script).json()["openapi"]

    assert session.post(url, json={"wrong": 1}, headers=to_script).status_code == 400
    r = session.post(url, data="nope", headers={**to_script, "Content-Type": "text/plain"})
    assert r.status_code == 415

    # Environment variables reach init() and run(); what run() prints lands in the deployment's log.
    log = endpoint.log_path("script").read_text()
    assert "init done; GREETING=hello-from-script" in log
    assert "GREETING=hello-from-script" in log.split("init done")[-1]


def test_script_that_raises_gets_500_and_the_endpoint_stays_up(world):
    endpoint, session, _ = world
    url = f"{endpoint.base_url}/score"
    to_script = {"mlservice-deployment": "script"}
    r = session.post(url, json={"data": ROWS, "explode": True}, headers=to_script)
    assert r.status_code == 500
    assert "exploding on purpose" in r.json()["message"]
    assert "exploding on purpose" in endpoint.log_path("script").read_text()  # traceback in the log
    assert session.post(url, json={"data": ROWS}, headers=to_script).status_code == 200


def test_undecorated_run_gets_the_raw_body_as_a_string(world):
    endpoint, session, _ = world
    r = session.post(f"{endpoint.base_url}/score", json={"a": [1, 2]}, headers={"mlservice-deployment": "raw"})
    assert r.json() == {"echo": {"a": [1, 2]}, "type": "str"}


def test_a_deployment_that_fails_to_load_reports_why(world):
    endpoint, session, _ = world
    status = endpoint.status()
    assert status.deployments["broken"].state == "Failed"
    assert "cannot find the weights file" in status.deployments["broken"].reason
    assert status.deployments["blue"].state == "Healthy"
    r = session.post(f"{endpoint.base_url}/score", json={}, headers={"mlservice-deployment": "broken"})
    assert r.status_code == 503 and "cannot find the weights file" in r.json()["message"]
    assert "cannot find the weights file" in endpoint.log_path("broken").read_text()


def test_open_inference_protocol_v2(world):
    endpoint, session, model = world
    base = endpoint.base_url
    assert requests.get(f"{base}/v2/health/live").json() == {"live": True}
    assert requests.get(f"{base}/v2/health/ready").status_code == 200
    meta = session.get(f"{base}/v2/models/blue").json()
    assert meta["name"] == "blue" and meta["platform"] == "mlflow" and meta["versions"] == ["1"]
    assert [i["name"] for i in meta["inputs"]] == IRIS_COLUMNS
    assert {i["datatype"] for i in meta["inputs"]} == {"FP64"}
    body = {
        "id": "req-1",
        "inputs": [
            {"name": c, "shape": [len(ROWS)], "datatype": "FP64", "data": [r[i] for r in ROWS]}
            for i, c in enumerate(IRIS_COLUMNS)
        ],
    }
    r = session.post(f"{base}/v2/models/blue/infer", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["id"] == "req-1" and out["model_name"] == "blue" and out["model_version"] == "1"
    import pandas as pd

    assert out["outputs"][0]["data"] == model.predict(pd.DataFrame(ROWS, columns=IRIS_COLUMNS)).tolist()
    assert out["outputs"][0]["shape"] == [len(ROWS)]
    # The endpoint name routes by traffic, like /score.
    assert session.post(f"{base}/v2/models/iris/infer", json=body).status_code == 200
    assert session.post(f"{base}/v2/models/blue/infer", json={"inputs": "x"}).status_code == 400
    assert session.get(f"{base}/v2/models/nope").status_code == 404


def test_traffic_split_and_header_targeting(world):
    endpoint, session, _ = world
    url = f"{endpoint.base_url}/score"
    seen = Counter(session.post(url, json=SPLIT).headers["mlservice-deployment"] for _ in range(300))
    assert set(seen) == {"blue", "green"}
    assert 8 <= seen["green"] <= 70, seen  # 10% of 300 = 30
    targeted = {session.post(url, json=SPLIT, headers={"mlservice-deployment": "green"}).headers[
        "mlservice-deployment"] for _ in range(20)}  # fmt: skip
    assert targeted == {"green"}


def test_prometheus_metrics(world):
    endpoint, session, _ = world
    for _ in range(3):
        session.post(f"{endpoint.base_url}/score", json=SPLIT, headers={"mlservice-deployment": "green"})
    session.post(f"{endpoint.base_url}/score", json={"data": ROWS, "explode": True},
                 headers={"mlservice-deployment": "script"})  # fmt: skip
    text = session.get(f"{endpoint.base_url}/metrics").text
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert int(lines['mlservice_requests_total{endpoint="iris",deployment="green",code="200"}']) >= 3
    assert int(lines['mlservice_requests_total{endpoint="iris",deployment="script",code="500"}']) >= 1
    assert int(lines['mlservice_request_errors_total{endpoint="iris",deployment="script"}']) >= 1
    assert int(lines['mlservice_request_duration_seconds_bucket{endpoint="iris",deployment="green",le="+Inf"}']) >= 3
    assert 'mlservice_request_duration_seconds_sum{endpoint="iris",deployment="green"}' in lines
    assert "# TYPE mlservice_request_duration_seconds histogram" in text


def test_attach_finds_the_running_endpoint(world):
    endpoint, _, _ = world
    again = EndpointProcess.attach(endpoint.state_dir)
    assert again is not None and (again.pid, again.port) == (endpoint.pid, endpoint.port)
    assert again.config.primary_key == endpoint.config.primary_key
    assert json.loads((endpoint.state_dir / "state.json").read_text())["port"] == endpoint.port
    assert wait_for(lambda: again.status().state == "Running", what="status")
