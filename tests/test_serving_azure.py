"""Azure's inference-server conventions on a real endpoint: its deployment header, request ids,
the `input_data` payload, pandas-schema rejections as 400, and error answers that keep the
script's message (and server paths) to the log unless the deployment asks otherwise."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
import requests

from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointProcess
from jupyter_mlservice.core.serving.scorers import ScriptScorer
from jupyter_mlservice.core.serving.scorers.swagger import SwaggerVersionError, swagger_document

from .serving_fixtures import IRIS_COLUMNS, ROWS, save_iris_model, write_script

PANDAS_SCRIPT = textwrap.dedent(
    """
    import os
    import pandas as pd
    from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
    from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
    from inference_schema.schema_decorators import input_schema, output_schema

    def init():
        pass

    @input_schema("data", PandasParameterType(pd.DataFrame({"age": [30], "city": ["Paris"]}), enforce_column_type=True))
    @output_schema(StandardPythonParameterType({"rows": 1}))
    def run(data):
        if (data["age"] < 0).any():
            open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "no-such-file.bin"))
        return {"rows": len(data)}
    """
)


RAW_HTTP_SCRIPT = textwrap.dedent(
    """
    from azureml.contrib.services.aml_request import AMLRequest, rawhttp
    from azureml.contrib.services.aml_response import AMLResponse


    def init():
        pass


    @rawhttp
    def run(request):
        if request.method == "GET":
            return AMLResponse({"path": request.full_path, "hint": request.args.get("hint")}, 200, json_str=True)
        if "image" in request.files:
            image = request.files["image"]
            data = image.read()
            answer = {"filename": image.filename, "bytes": len(data), "magic": data[:4].hex(), "label": request.form.get("label")}
            return AMLResponse(answer, 201, {"X-Model-Version": "raw-7"}, json_str=True)
        return AMLResponse(request.get_data(False)[::-1], 200, {"Content-Type": "application/octet-stream"})
    """
)
# A list of mixed types: inference-schema can write it in OpenAPI 3 only (swagger 2 has no multi-type arrays).
MIXED_TYPES_SCRIPT = textwrap.dedent(
    """
    from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
    from inference_schema.schema_decorators import input_schema

    def init():
        pass

    @input_schema("data", StandardPythonParameterType([1, "a"]))
    def run(data):
        return data
    """
)
PNG = bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("azure")
    save_iris_model(root / "model")
    code = write_script(root / "code", PANDAS_SCRIPT)
    raw = write_script(root / "raw", RAW_HTTP_SCRIPT)
    (raw / "swagger3.1.json").write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "shipped"}, "paths": {}}))
    config = EndpointConfig(name="azure", auth_mode="none", deployments=[
        DeploymentConfig(name="mlflow", model_path=str(root / "model")),
        DeploymentConfig(name="quiet", model_path=str(root / "model"), code_dir=str(code), scoring_script="score.py"),
        DeploymentConfig(name="talkative", model_path=str(root / "model"), code_dir=str(code), scoring_script="score.py",
                         return_script_errors=True),
        DeploymentConfig(name="raw", model_path=str(root / "model"), code_dir=str(raw), scoring_script="score.py"),
    ], traffic={"mlflow": 100})
    ep = EndpointProcess.start(config, root / "state")
    yield ep
    ep.stop()


def test_the_azure_deployment_header_targets_a_deployment_and_names_who_answered(endpoint):
    r = requests.post(f"{endpoint.base_url}/score", json={"data": [{"age": 3, "city": "Oslo"}]},
                      headers={"azureml-model-deployment": "quiet"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"rows": 1}
    assert r.headers["azureml-model-deployment"] == "quiet" and r.headers["mlservice-deployment"] == "quiet"


def test_every_answer_carries_a_request_id(endpoint):
    mine = requests.post(f"{endpoint.base_url}/invocations", json={"inputs": ROWS}, headers={"x-request-id": "abc-123"}, timeout=30)
    assert mine.headers["x-request-id"] == "abc-123"
    first = requests.get(f"{endpoint.base_url}/", timeout=30).headers["x-request-id"]
    second = requests.get(f"{endpoint.base_url}/", timeout=30).headers["x-request-id"]
    assert first and second and first != second


def test_mlflow_models_take_azures_input_data_payload(endpoint):
    payload = {"input_data": {"columns": IRIS_COLUMNS, "index": [0, 1, 2], "data": ROWS}}
    r = requests.post(f"{endpoint.base_url}/score", json=payload, timeout=30)
    assert r.status_code == 200, r.text
    assert len(r.json()["predictions"]) == 3
    r = requests.post(f"{endpoint.base_url}/invocations", json={"input_data": {"columns": IRIS_COLUMNS, "data": ROWS[:1]}}, timeout=30)
    assert r.status_code == 200 and len(r.json()["predictions"]) == 1


def test_input_failing_a_pandas_schema_is_a_400(endpoint):
    r = requests.post(f"{endpoint.base_url}/score", json={"data": [{"age": "old", "city": "Oslo"}]},
                      headers={"azureml-model-deployment": "quiet"}, timeout=30)
    assert r.status_code == 400, r.text
    assert "input does not match the script's input schema" in r.json()["message"]


def test_a_scripts_error_message_is_logged_and_returned_only_when_enabled(endpoint):
    bad = {"data": [{"age": -1, "city": "Oslo"}]}
    quiet = requests.post(f"{endpoint.base_url}/score", json=bad, headers={"azureml-model-deployment": "quiet"}, timeout=30)
    assert quiet.status_code == 500
    assert quiet.json()["message"].startswith("run() raised FileNotFoundError;") and "no-such-file" not in quiet.text
    assert "no-such-file.bin" in endpoint.log_path("quiet").read_text()  # logged either way
    loud = requests.post(f"{endpoint.base_url}/score", json=bad, headers={"azureml-model-deployment": "talkative"}, timeout=30)
    assert loud.status_code == 500
    message = loud.json()["message"]
    assert "No such file or directory: 'no-such-file.bin'" in message
    assert str(endpoint.state_dir.parent) not in message and "/model/" not in message  # no server path in answers


def test_raw_http_scripts_get_multipart_uploads_and_set_status_and_headers(endpoint):
    r = requests.post(f"{endpoint.base_url}/score", files={"image": ("cat.png", PNG, "image/png")}, data={"label": "cat"},
                      headers={"azureml-model-deployment": "raw"}, timeout=30)
    assert r.status_code == 201, r.text
    assert r.json() == {"filename": "cat.png", "bytes": len(PNG), "magic": "89504e47", "label": "cat"}
    assert r.headers["X-Model-Version"] == "raw-7" and r.headers["content-type"] == "application/json"


def test_raw_http_scripts_take_binary_bodies_and_answer_bytes(endpoint):
    body = bytes([0, 255, 128, 7, 200])
    r = requests.post(f"{endpoint.base_url}/score", data=body, headers={"azureml-model-deployment": "raw",
                                                                         "Content-Type": "application/octet-stream"}, timeout=30)
    assert r.status_code == 200 and r.content == body[::-1]
    assert r.headers["content-type"] == "application/octet-stream"


def test_get_score_reaches_a_raw_http_script_only(endpoint):
    r = requests.get(f"{endpoint.base_url}/score?hint=post-an-image", headers={"azureml-model-deployment": "raw"}, timeout=30)
    assert r.status_code == 200 and r.json() == {"path": "/score?hint=post-an-image", "hint": "post-an-image"}
    r = requests.get(f"{endpoint.base_url}/score", headers={"azureml-model-deployment": "quiet"}, timeout=30)
    assert r.status_code == 405 and "@rawhttp" in r.json()["message"]


def test_swagger_in_every_version_azure_serves(endpoint):
    def swagger(query="", deployment="quiet"):
        return requests.get(f"{endpoint.base_url}/swagger.json{query}", headers={"azureml-model-deployment": deployment},
                            timeout=30)

    two = swagger().json()  # no version: 2
    assert two["swagger"] == "2.0" and "age" in json.dumps(two["definitions"]["ServiceInput"])
    assert swagger("?version=2").json() == two and swagger("?version=2.0").json() == two
    three = swagger("?version=3").json()
    assert three["openapi"] == "3.0.1" and swagger("?version=3.0").json() == three
    three_one = swagger("?version=3.1").json()
    assert three_one["openapi"] == "3.1.0" and three_one["components"] == three["components"]
    unknown = swagger("?version=4")
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "Swagger version [4] is not valid. Supported versions: [2, 3, 3.1]."
    # a file shipped next to the script wins for its version (swagger3.1.json); the others are generated
    assert swagger("?version=3.1", "raw").json()["info"] == {"title": "shipped"}
    assert swagger("?version=3", "raw").json()["openapi"] == "3.0.1"
    # an MLflow model's document comes from its signature
    mlflow_doc = swagger("?version=3.1", "mlflow").json()
    assert mlflow_doc["openapi"] == "3.1.0" and "dataframe_split" in json.dumps(mlflow_doc["components"]["schemas"]["ServiceInput"])


def test_a_schema_that_swagger_2_cannot_express_is_served_in_openapi_3_only(tmp_path):
    code = write_script(tmp_path / "code", MIXED_TYPES_SCRIPT)
    scorer = ScriptScorer(DeploymentConfig(name="mixed", model_path=str(tmp_path), code_dir=str(code), scoring_script="score.py"))
    with pytest.raises(SwaggerVersionError) as refused:
        swagger_document("ep", scorer, "2")
    assert str(refused.value) == ("Swagger version [2] is not supported for the scoring script. "
                                  "Supported swagger versions: [3, 3.1].")
    assert swagger_document("ep", scorer, "3.1")["openapi"] == "3.1.0"


def test_a_script_runs_where_inference_schema_is_not_installed(tmp_path, monkeypatch):
    """An environment that inference-schema does not fit in (its wrapt pin against a modern
    TensorFlow stack) still runs scripts without its decorators: the worker does not import it."""
    for name in [m for m in sys.modules if m.split(".")[0] == "inference_schema"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "inference_schema", None)  # `import inference_schema` raises ImportError
    code = write_script(tmp_path / "code", "def init():\n    pass\n\ndef run(raw_data):\n    return {'echo': raw_data}\n")
    scorer = ScriptScorer(DeploymentConfig(name="plain", model_path=str(tmp_path), code_dir=str(code), scoring_script="score.py"))
    reply = scorer.score(b'{"data": [1]}', "application/json", [])
    assert reply.status == 200 and json.loads(reply.body) == {"echo": '{"data": [1]}'}
    assert swagger_document("ep", scorer, "2")["swagger"] == "2.0" and swagger_document("ep", scorer, "3.1")["openapi"] == "3.1.0"
    assert "inference_schema.schema_util" not in sys.modules


def test_tritonclient_with_its_defaults_scores_over_binary_tensors(endpoint):
    """KServe/Triton's standard HTTP client, defaults untouched: binary inputs, binary outputs."""
    import numpy as np
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=f"{endpoint.host}:{endpoint.port}")
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("mlflow")
    meta = client.get_model_metadata("mlflow")
    assert [(i["name"], i["datatype"]) for i in meta["inputs"]] == [(c, "FP64") for c in IRIS_COLUMNS]
    rows = np.array(ROWS)
    inputs = []
    for i, column in enumerate(IRIS_COLUMNS):
        tensor = httpclient.InferInput(column, [len(rows)], "FP64")
        tensor.set_data_from_numpy(rows[:, i].copy())  # binary_data=True by default
        inputs.append(tensor)
    result = client.infer("mlflow", inputs)
    binary = result.as_numpy("predict")
    assert binary.shape == (3,) and binary.tolist() == [0, 2, 1]
    as_json = client.infer("mlflow", inputs, outputs=[httpclient.InferRequestedOutput("predict", binary_data=False)])
    assert as_json.as_numpy("predict").tolist() == binary.tolist()
    client.close()


def test_bytes_tensors_round_trip_through_the_binary_extension():
    import struct

    from jupyter_mlservice.core.serving import oip_binary

    words = ["héllo", "", "world"]
    raw = b"".join(struct.pack("<I", len(w.encode())) + w.encode() for w in words)
    header = b'{"inputs": [{"name": "text", "datatype": "BYTES", "shape": [3], "parameters": {"binary_data_size": %d}}]}' % len(raw)
    request = oip_binary.decode_request(header + raw, len(header))
    assert request["inputs"][0]["data"] == words
    reply = b'{"model_name": "m", "outputs": [{"name": "out", "datatype": "BYTES", "shape": [3], "data": ["a", "bb", ""]}]}'
    body, length = oip_binary.encode_reply(reply, True, None)
    assert body[length:] == b"".join(struct.pack("<I", len(w)) + w for w in (b"a", b"bb", b""))
