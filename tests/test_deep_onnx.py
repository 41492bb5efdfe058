"""ONNX export and device packages: scikit-learn, PyTorch and Keras versions become ONNX versions
through an export job that checks them against the original; an ONNX version is served by
onnxruntime; an edge package runs in a virtualenv that holds nothing but onnxruntime and numpy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv

import numpy as np
import pandas as pd
import pytest
import requests

from jupyter_mlservice.core.environments.cache import uv_bin

from .conftest import free_port
from .deep_fixtures import Trained, images, invoke, wait_for
from .serving_fixtures import IRIS_COLUMNS, save_iris_model

pytestmark = [pytest.mark.frameworks, pytest.mark.timeout(900)]
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def exported(models: Trained, tmp_path_factory):
    """scikit-learn, PyTorch, Keras (on torch) and TensorFlow (tf.keras) versions exported at once,
    with one export that cannot meet its tolerance; -> {framework: (job, new ModelVersion,
    export.json)} and the failed job."""
    ml = models.ml
    folder = tmp_path_factory.mktemp("iris") / "model"
    save_iris_model(folder)
    ml.models.register("deep-iris", path=str(folder))
    jobs = {
        "sklearn": ml.models.export("deep-iris:1", format="onnx", tolerance=TOLERANCE, wait=False),
        "torch": ml.models.export(f"{models.models['torch']}:1", format="onnx", tolerance=TOLERANCE, wait=False),
        "keras": ml.models.export(f"{models.models['keras']}:1", tolerance=TOLERANCE, wait=False),
        "tf": ml.models.export(f"{models.models['tf']}:1", tolerance=TOLERANCE, wait=False),
    }
    # float32 (ONNX) against float64 (scikit-learn): a difference no conversion avoids
    save_regression_model(folder.parent / "regression")
    ml.models.register("deep-regression", path=str(folder.parent / "regression"))
    too_strict = ml.models.export("deep-regression:1", tolerance=1e-12, name="deep-regression-strict", wait=False)
    out = {}
    for framework, job in jobs.items():
        job = job.wait(timeout=1200)
        assert job.status == "Completed", f"{framework}: {job.error}\n{job.logs()[-3000:]}"
        result = json.loads(job.download("export.json", tmp_path_factory.mktemp(framework)).read_text())
        out[framework] = (job, ml.models.version(f"{result['name']}:{result['version']}"), result)
    return out, too_strict.wait(timeout=1200)


def save_regression_model(path):
    """A LinearRegression on iris (petal width from the rest), saved with MLflow's sklearn flavor."""
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LinearRegression

    x = load_iris(as_frame=True).data
    x.columns = IRIS_COLUMNS
    features, target = x[IRIS_COLUMNS[:3]], x[IRIS_COLUMNS[3]]
    model = LinearRegression().fit(features, target)
    mlflow.sklearn.save_model(model, str(path), signature=infer_signature(features, model.predict(features)),
                              pip_requirements=["scikit-learn"])


def test_each_framework_exports_to_an_onnx_version_that_matches_the_original(exported, models):
    expected_names = {"sklearn": "deep-iris", **{name: models.models[name] for name in ("torch", "keras", "tf")}}
    for framework, (job, mv, result) in exported[0].items():
        # a new version of the same model, registered by the export job (its lineage)
        assert mv.name == expected_names[framework] and mv.version == "2", (framework, mv)
        assert mv.lineage["job_id"] == job.id and job.tags["mlservice.export_of"] == f"{mv.name}:1"
        assert mv.tags["mlservice.format"] == "onnx" and mv.tags["mlservice.exported_from"] == f"{mv.name}:1"
        assert result["max_abs_diff"] <= TOLERANCE and result["samples"] >= 32, (framework, result)
        assert float(mv.tags["mlservice.parity_max_abs_diff"]) <= TOLERANCE
        assert "parity on" in job.logs() and job.metrics()["parity_max_abs_diff"][0] <= TOLERANCE
        assert job.kind == "command" and job.display_name == f"export {mv.name}:1 to onnx"
    # Keras on the torch backend (as it was trained) converts in the job's own process; a
    # TensorFlow model is loaded on the torch backend in a child process
    assert "tensorflow" not in exported[0]["keras"][0].logs().lower()
    assert exported[0]["tf"][2]["flavor"] == "tensorflow"


def test_an_onnx_version_is_served_by_onnxruntime(exported, models):
    ml = models.ml
    for name, model in (("cnn", f"{models.models['torch']}:2"), ("iris", "deep-iris:2")):
        ml.endpoints.create(f"onnx-{name}")
        ml.deployments.create(endpoint=f"onnx-{name}", name=name, model=model, wait=False)
    for name in ("cnn", "iris"):
        ml.deployments.wait(f"onnx-{name}", name, timeout=600)
    ep, key = ml.endpoints.get("onnx-cnn"), ml.endpoints.get_keys("onnx-cnn")["primary"]
    x, y = images(16, seed=7)
    answer = invoke(ep, key, "/invocations", {"inputs": x.tolist()})
    assert answer.status_code == 200, answer.text
    logits = np.asarray(answer.json()["predictions"]["output"])
    assert logits.shape == (16, 2) and (logits.argmax(1) == y).mean() >= 0.9
    body = {"inputs": [{"name": "input", "shape": [2, 1, 8, 8], "datatype": "FP32", "data": x[:2].ravel().tolist()}]}
    oip = invoke(ep, key, "/v2/models/cnn/infer", body)
    assert oip.status_code == 200 and oip.json()["outputs"][0]["shape"] == [2, 2], oip.text
    # the column signature of the scikit-learn original is kept: the same payload works
    ep, key = ml.endpoints.get("onnx-iris"), ml.endpoints.get_keys("onnx-iris")["primary"]
    flowers = {"dataframe_split": {"columns": IRIS_COLUMNS, "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}
    answer = invoke(ep, key, "/invocations", flowers)
    assert answer.status_code == 200, answer.text
    assert pd.DataFrame(answer.json()["predictions"])["label"].tolist() == [0, 2]
    for name in ("cnn", "iris"):
        ml.endpoints.delete(f"onnx-{name}")


def test_export_and_package_mistakes_are_clear_400s(exported, models):
    ml = models.ml
    headers = {"Authorization": f"token {models.server.token}"}
    base = models.server.url + "mlservice/api/models"
    r = requests.post(f"{base}/deep-iris/versions/1/export", json={"format": "tflite"}, headers=headers, timeout=30)
    assert r.status_code == 400 and "format" in r.text
    r = requests.post(f"{base}/deep-iris/versions/2/export", json={}, headers=headers, timeout=30)
    assert r.status_code == 400 and "already an ONNX model" in r.json()["message"]
    r = requests.post(f"{base}/deep-iris/versions/9/export", json={}, headers=headers, timeout=30)
    assert r.status_code == 404
    r = requests.get(f"{base}/deep-iris/versions/1/package", params={"target": "edge"}, headers=headers, timeout=30)
    assert r.status_code == 400 and "export it first" in r.json()["message"]
    r = requests.get(f"{base}/deep-iris/versions/2/package", params={"target": "phone"}, headers=headers, timeout=30)
    assert r.status_code == 400 and "edge" in r.json()["message"]
    # a tolerance the conversion cannot meet fails the job and registers nothing
    job = exported[1]
    assert job.status == "Failed" and "more than the tolerance" in job.logs(), job.logs()[-2000:]
    assert "deep-regression-strict" not in [m["name"] for m in ml.models.list()]


def test_an_edge_package_runs_with_only_onnxruntime_in_a_fresh_virtualenv(exported, models, tmp_path):
    folder = tmp_path / "cnn-edge"
    env = {**os.environ, "MLSERVICE_URL": models.server.url, "MLSERVICE_TOKEN": models.server.token}
    out = subprocess.run([sys.executable, "-m", "jupyter_mlservice.cli", "model", "package", f"{models.models['torch']}:2",
                          "--target", "edge", "--output", str(folder)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "model.json", "model.onnx", "requirements.txt", "score.py"]
    readme = (folder / "README.md").read_text()
    assert f"{models.models['torch']}:2" in readme and "exported from" in readme and "max absolute difference" in readme

    # A clean environment: an empty virtualenv (not even pip), then only what requirements.txt
    # names, installed into it by uv (the service's own installer: seconds from its cache).
    env_dir = tmp_path / "edge-venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = str(env_dir / "bin" / "python")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "MLFLOW", "MLSERVICE"))}
    install = subprocess.run([uv_bin(), "pip", "install", "--quiet", "--python", python, "-r", str(folder / "requirements.txt")],
                             env=clean, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr
    listed = subprocess.run([python, "-c", "import importlib.metadata as m; print('\\n'.join(d.name for d in m.distributions()))"],
                            env=clean, capture_output=True, text=True).stdout
    installed = {name.lower() for name in listed.split()}
    assert {"onnxruntime", "numpy"} <= installed and not installed & {"torch", "mlflow", "tensorflow", "jupyter-mlservice", "pip"}

    x, y = images(6, seed=9)
    (tmp_path / "input.json").write_text(json.dumps({"inputs": x.tolist()}))
    run = subprocess.run([python, "score.py", str(tmp_path / "input.json")], cwd=folder, env=clean, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    logits = np.asarray(json.loads(run.stdout)["predictions"])
    assert (logits.argmax(1) == y).all()

    port = free_port()
    server = subprocess.Popen([python, "score.py", "--serve", str(port)], cwd=folder, env=clean, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        def answered():
            try:
                return requests.post(f"http://127.0.0.1:{port}/invocations", json={"inputs": x[:2].tolist()}, timeout=5)
            except requests.ConnectionError:
                return None

        reply = wait_for(answered, timeout=120, interval=0.2, what="the edge server")
        assert reply.status_code == 200 and np.allclose(reply.json()["predictions"], logits[:2], atol=1e-6)
        bad = requests.post(f"http://127.0.0.1:{port}/invocations", json={"rows": []}, timeout=5)
        assert bad.status_code == 400 and "inputs" in bad.json()["message"]
    finally:
        server.terminate()
        server.wait(10)

