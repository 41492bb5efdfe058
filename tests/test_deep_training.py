"""PyTorch, TensorFlow (tf.keras: Keras 3 on the TensorFlow backend) and Keras 3 on the torch
backend through the whole life cycle on a live server:
a training job whose epochs show up in the job's metrics while it runs, the model logged and
registered, deployed with no code (the MLflow flavor) and with a scoring script, called with
MLflow JSON and OIP v2 tensors, and batch-scored over a folder of images and over Parquet."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
import requests

from .deep_fixtures import BATCH_IMAGES, FEATURES, SCORE_TORCH, Trained, images, invoke, tabular, write_png_folder

pytestmark = [pytest.mark.frameworks, pytest.mark.timeout(900)]

# "torch", "keras" and "tf" served with no code (the MLflow flavor); "script": the CNN behind a scoring script
DEPLOYMENTS = ("torch", "keras", "tf", "script")
BATCHING = {"max_batch_size": 16, "max_delay_ms": 20}  # the "torch" deployment's


def test_a_training_job_shows_each_epoch_while_it_runs(models: Trained):
    # The torch job waits after its first epoch until the gate file exists: its first point was
    # readable through the job's metrics (what the run widget polls) while the job was Running.
    assert len(models.live_points) == 1 and models.live_status == "Running"
    history = models.jobs["torch"].metric_history("accuracy")
    assert [p["step"] for p in history] == [0, 1]
    assert "epoch 1:" in models.jobs["torch"].logs()


def test_every_framework_logs_epochs_and_a_model_that_registers(models: Trained):
    ml = models.ml
    for name, job in models.jobs.items():
        metrics = job.metrics()
        assert len(metrics["loss"]) == 2, (name, metrics)  # one point per epoch
        assert metrics["accuracy"][-1] > 0.8, (name, metrics)
        mv = ml.models.version(f"{models.models[name]}:1")
        assert mv.lineage["job_id"] == job.id
    # autolog recorded what it trained with; the Keras job ran on the backend it was given
    assert models.jobs["keras"].params["epochs"] == "2" and models.jobs["tf"].params["epochs"] == "2"
    tags = {r["run_id"]: r["tags"] for r in ml.experiments.runs("deep")}
    assert tags[models.jobs["keras"].run_id]["keras_backend"] == "torch"


@pytest.fixture(scope="module")
def endpoint(models: Trained, tmp_path_factory):
    """Each framework's model deployed with no code (the CNN with dynamic batching), plus the CNN
    behind a scoring script: one endpoint each (their workers load in parallel, each importing
    only its framework). The server's Python serves them all (env_manager="local"): these tests
    are about the frameworks, not about the environments a model's pins would build."""
    ml = models.ml
    code = models.server.root / "deep-score"  # inside the server root, as every path must be
    code.mkdir(exist_ok=True)
    (code / "score.py").write_text(SCORE_TORCH)
    settings = {"torch": {"batching": BATCHING}, "script": {"code": code, "scoring_script": "score.py",
                                                            "environment_variables": {"OMP_NUM_THREADS": "1"}}}
    for deployment in DEPLOYMENTS:
        framework = "torch" if deployment == "script" else deployment
        ml.endpoints.create(f"deep-{deployment}")
        ml.deployments.create(endpoint=f"deep-{deployment}", name=deployment, model=f"{models.models[framework]}:1",
                              env_manager="local", wait=False, **settings.get(deployment, {}))
    for name in DEPLOYMENTS:
        ml.deployments.wait(f"deep-{name}", name, timeout=900)
    yield Endpoints(ml, models.server.root)
    with ThreadPoolExecutor(4) as pool:  # each deletion drains its workers: seconds
        list(pool.map(lambda name: ml.endpoints.delete(f"deep-{name}"), DEPLOYMENTS))


class Endpoints:
    """``call(deployment, path, body)`` on the endpoint that serves that deployment."""

    def __init__(self, ml, root):
        self.ml = ml
        self.root = root
        self.keys = {}

    def endpoint_and_key(self, deployment: str):
        name = f"deep-{deployment}"
        if name not in self.keys:
            self.keys[name] = (self.ml.endpoints.get(name), self.ml.endpoints.get_keys(name)["primary"])
        return self.keys[name]

    def call(self, deployment: str, path: str, body):
        ep, key = self.endpoint_and_key(deployment)
        return invoke(ep, key, path, body, deployment=deployment)

    def batches(self, deployment: str) -> tuple[float, float]:
        """(forward passes, requests answered in them) so far, from the endpoint's /metrics."""
        ep, key = self.endpoint_and_key(deployment)
        answer = requests.get(f"{ep.base_uri}/metrics", headers={"Authorization": f"Bearer {key}"}, timeout=30)
        text = answer.text
        assert answer.status_code == 200 and f'deployment="{deployment}"' in text, text[-2000:]
        counts = [re.search(rf'{name}\{{[^}}]*deployment="{deployment}"\}} (\S+)', text) for name in
                  ("mlservice_batches_total", "mlservice_batched_requests_total")]
        return tuple(float(m.group(1)) if m else 0.0 for m in counts)

    def libraries(self, deployment: str) -> str:
        """The shared libraries the deployment's worker processes have loaded (/proc/PID/maps)."""
        state = next(self.root.glob(f"**/endpoints/deep-{deployment}/state.json"))
        workers = psutil.Process(json.loads(state.read_text())["pid"]).children(recursive=True)
        return "".join(Path(f"/proc/{w.pid}/maps").read_text() for w in workers)


def test_each_flavor_serves_mlflow_json_with_no_code(endpoint):
    x, y = images(20, seed=1)
    answer = endpoint.call("torch", "/invocations", {"inputs": x.tolist()})
    assert answer.status_code == 200, answer.text
    predictions = pd.DataFrame(answer.json()["predictions"]).to_numpy()
    assert predictions.shape == (20, 2) and (predictions.argmax(1) == y).mean() >= 0.9
    t, labels = tabular(20, seed=1)
    for deployment in ("keras", "tf"):
        answer = endpoint.call(deployment, "/invocations", {"inputs": t.tolist()})
        assert answer.status_code == 200, (deployment, answer.text)
        probabilities = pd.DataFrame(answer.json()["predictions"]).to_numpy()
        assert probabilities.shape == (20, 2) and (probabilities.argmax(1) == labels).mean() >= 0.8, deployment
        assert answer.headers["mlservice-deployment"] == deployment
    # a wrong shape is the caller's mistake: a 4xx that says so, and the endpoint stays up
    bad = endpoint.call("tf", "/invocations", {"inputs": [[1.0, 2.0]]})
    assert 400 <= bad.status_code < 500, bad.text
    # the Keras model runs on the backend it was trained on: its worker never loaded TensorFlow
    assert "libtorch" in endpoint.libraries("keras") and "tensorflow" not in endpoint.libraries("keras")


def test_each_flavor_serves_oip_v2_tensors(endpoint):
    x, y = images(4, seed=2)
    body = {"id": "r1", "inputs": [{"name": "images", "shape": list(x.shape), "datatype": "FP32", "data": x.ravel().tolist()}]}
    answer = endpoint.call("torch", "/v2/models/torch/infer", body)
    assert answer.status_code == 200, answer.text
    reply = answer.json()
    assert reply["id"] == "r1" and reply["model_name"] == "torch" and reply["model_version"] == "1"
    out = reply["outputs"][0]
    assert out["shape"] == [4, 2] and out["datatype"] == "FP32"
    logits = pd.Series(out["data"]).to_numpy().reshape(4, 2)
    assert (logits.argmax(1) == y).all()
    t, labels = tabular(6, seed=2)
    for deployment in ("keras", "tf"):
        body = {"inputs": [{"name": "x", "shape": list(t.shape), "datatype": "FP32", "data": t.ravel().tolist()}]}
        answer = endpoint.call(deployment, f"/v2/models/{deployment}/infer", body)
        assert answer.status_code == 200, (deployment, answer.text)
        assert answer.json()["outputs"][0]["shape"] == [6, 2]


def test_a_scoring_script_serves_the_torch_model(endpoint):
    x, y = images(5, seed=3)
    answer = endpoint.call("script", "/score", {"images": x.tolist()})
    assert answer.status_code == 200, answer.text
    assert answer.json()["classes"] == [int(v) for v in y]
    # OMP_NUM_THREADS of a deployment reaches its worker process and torch's own setting
    assert answer.json()["OMP_NUM_THREADS"] == "1" and answer.json()["torch_threads"] == 1, answer.text
    # a deployment without batching scores each request on its own: no batch counters
    assert endpoint.batches("script") == (0.0, 0.0)


def test_the_batched_deployment_shares_forward_passes_and_answers_each_caller(endpoint):
    """The CNN's deployment batches (BATCHING): a request sent alone is a forward pass of its own;
    16 callers at once share forward passes, and each gets exactly its own rows back."""
    x, _ = images(48, seed=11)

    def call(i: int, oip: bool = False):
        rows = x[i:i + 1 + i % 2]  # one or two images per request
        if oip:
            body = {"id": str(i), "inputs": [{"name": "x", "shape": list(rows.shape), "datatype": "FP32", "data": rows.ravel().tolist()}]}
            r = endpoint.call("torch", "/v2/models/torch/infer", body)
            assert r.status_code == 200 and r.json()["id"] == str(i), r.text
            out = r.json()["outputs"][0]
            return np.asarray(out["data"]).reshape(out["shape"])
        r = endpoint.call("torch", "/invocations", {"inputs": rows.tolist()})
        assert r.status_code == 200 and r.headers["mlservice-deployment"] == "torch", r.text
        return np.asarray(r.json()["predictions"])

    start = endpoint.batches("torch")
    alone = [call(i) for i in range(48)]  # one at a time: the answers to compare with
    middle = endpoint.batches("torch")
    assert middle[0] - start[0] == middle[1] - start[1] == 48  # one forward pass per request
    with ThreadPoolExecutor(16) as pool:
        together = list(pool.map(call, range(48)))
        together_oip = list(pool.map(lambda i: call(i, oip=True), range(48)))
    end = endpoint.batches("torch")
    assert end[1] - middle[1] == 96 and end[0] - middle[0] < 96  # several requests per forward pass
    for i in range(48):
        assert together[i].shape == alone[i].shape and np.allclose(together[i], alone[i], atol=1e-5), i
        assert np.allclose(together_oip[i], alone[i], atol=1e-5), i
    # a shape the signature refuses is not batched: MLflow's own path answers 4xx
    bad = endpoint.call("torch", "/invocations", {"inputs": [[1.0, 2.0]]})
    assert 400 <= bad.status_code < 500, bad.text


def test_batch_scores_a_folder_of_images_and_parquet(models: Trained, tmp_path):
    ml = models.ml
    root = models.server.root
    labels = write_png_folder(root / "pngs", 24)
    (root / "batch-code").mkdir(exist_ok=True)
    (root / "batch-code" / "score_images.py").write_text(BATCH_IMAGES)
    t, y = tabular(500, seed=4)
    frame = pd.DataFrame(t, columns=FEATURES)
    frame.insert(0, "id", range(len(frame)))
    (root / "tabular").mkdir(exist_ok=True)
    frame.to_parquet(root / "tabular" / "part-0.parquet")

    by_image = ml.batch.submit(model=f"{models.models['torch']}:1", input={"path": "pngs"}, output={"path": "out/images.parquet"},
                               mini_batch_unit="files", mini_batch_size=10, scoring_script="score_images.py", code=root / "batch-code",
                               experiment="deep")
    by_row = ml.batch.submit(model=f"{models.models['keras']}:1", input={"path": "tabular"}, output={"path": "out/tabular.parquet"},
                             key_columns=["id"], mini_batch_size=200, experiment="deep")
    by_image = by_image.wait(timeout=900)
    assert by_image.status == "Completed", by_image.logs()[-3000:]
    scored = pd.read_parquet(root / "out" / "images.parquet").sort_values("file")
    assert list(scored["file"]) == [f"img{i:03d}.png" for i in range(24)]
    assert (scored["label"].to_numpy() == labels).mean() >= 0.9
    assert by_image.progress()["mini_batches_done"] == 3

    by_row = by_row.wait(timeout=900)
    assert by_row.status == "Completed", by_row.logs()[-3000:]
    out = pd.read_parquet(root / "out" / "tabular.parquet").sort_values("id")
    assert len(out) == 500 and list(out["id"]) == list(range(500))
    probabilities = out.drop(columns="id").to_numpy()
    assert probabilities.shape == (500, 2) and (probabilities.argmax(1) == y).mean() >= 0.8
