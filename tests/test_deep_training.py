"""PyTorch, TensorFlow and Keras 3 (both backends) through the whole life cycle on a live server:
a training job whose epochs show up in the job's metrics while it runs, the model logged and
registered, deployed with no code (the MLflow flavor) and with a scoring script, called with
MLflow JSON and OIP v2 tensors, and batch-scored over a folder of images and over Parquet."""

from __future__ import annotations

import pandas as pd
import pytest

from .deep_fixtures import FEATURES, SCORE_TORCH, Trained, images, invoke, tabular, wait_for, write_png_folder

pytestmark = [pytest.mark.frameworks, pytest.mark.timeout(1800)]

DEPLOYMENTS = {"torch": "torch", "keras-tf": "keras-tf", "keras-torch": "keras-torch", "tf": "tf"}


def test_a_training_job_shows_each_epoch_while_it_runs(trained):
    job = trained.jobs["torch"]
    # The job waits after its first epoch until the gate file exists: the first point must be
    # readable through the job's metrics (what the run widget polls) while the job is Running.
    first = wait_for(lambda: job.metrics().get("loss"), timeout=900, interval=0.5, what="the first epoch's loss")
    assert len(first) == 1 and job.refresh().status == "Running"
    trained.gate.touch()
    job = job.wait(timeout=600)
    assert job.status == "Completed", job.logs()[-2000:]
    history = job.metric_history("accuracy")
    assert [p["step"] for p in history] == [0, 1]


def test_every_framework_logs_epochs_and_a_model_that_registers(models: Trained):
    ml = models.ml
    for name, job in models.jobs.items():
        metrics = job.metrics()
        assert len(metrics["loss"]) == 2, (name, metrics)  # one point per epoch
        assert metrics["accuracy"][-1] > 0.8, (name, metrics)
        mv = ml.models.version(models.models[name])
        assert mv.lineage["job_id"] == job.id
    # autolog recorded what it trained with; the Keras job ran on the backend it was given
    assert models.jobs["keras-torch"].params["epochs"] == "2"
    tags = {r["run_id"]: r["tags"] for r in ml.experiments.runs("deep")}
    assert tags[models.jobs["keras-torch"].run_id]["keras_backend"] == "torch"
    assert tags[models.jobs["keras-tf"].run_id]["keras_backend"] == "tensorflow"
    assert "epoch 1:" in models.jobs["torch"].logs()


@pytest.fixture(scope="module")
def endpoint(models: Trained, tmp_path_factory):
    """Each framework's model deployed with no code, plus the CNN behind a scoring script: one
    endpoint each (their workers load in parallel, each importing only its framework)."""
    ml = models.ml
    code = models.server.root / "deep-score"  # inside the server root, as every path must be
    code.mkdir(exist_ok=True)
    (code / "score.py").write_text(SCORE_TORCH)
    for deployment, framework in DEPLOYMENTS.items():
        ml.endpoints.create(f"deep-{deployment}")
        ml.deployments.create(endpoint=f"deep-{deployment}", name=deployment, model=f"{models.models[framework]}:1", wait=False)
    ml.endpoints.create("deep-script")
    ml.deployments.create(endpoint="deep-script", name="script", model=f"{models.models['torch']}:1", code=code,
                          scoring_script="score.py", wait=False)
    for name in [*DEPLOYMENTS, "script"]:
        ml.deployments.wait(f"deep-{name}", name, timeout=900)
    yield Endpoints(ml)
    for name in [*DEPLOYMENTS, "script"]:
        ml.endpoints.delete(f"deep-{name}")


class Endpoints:
    """``call(deployment, path, body)`` on the endpoint that serves that deployment."""

    def __init__(self, ml):
        self.ml = ml
        self.keys = {}

    def call(self, deployment: str, path: str, body):
        name = f"deep-{deployment}"
        if name not in self.keys:
            self.keys[name] = (self.ml.endpoints.get(name), self.ml.endpoints.get_keys(name)["primary"])
        ep, key = self.keys[name]
        return invoke(ep, key, path, body, deployment=deployment)


def test_each_flavor_serves_mlflow_json_with_no_code(endpoint):
    x, y = images(20, seed=1)
    answer = endpoint.call("torch", "/invocations", {"inputs": x.tolist()})
    assert answer.status_code == 200, answer.text
    predictions = pd.DataFrame(answer.json()["predictions"]).to_numpy()
    assert predictions.shape == (20, 2) and (predictions.argmax(1) == y).mean() >= 0.9
    t, labels = tabular(20, seed=1)
    for deployment in ("keras-tf", "keras-torch", "tf"):
        answer = endpoint.call(deployment, "/invocations", {"inputs": t.tolist()})
        assert answer.status_code == 200, (deployment, answer.text)
        probabilities = pd.DataFrame(answer.json()["predictions"]).to_numpy()
        assert probabilities.shape == (20, 2) and (probabilities.argmax(1) == labels).mean() >= 0.8, deployment
        assert answer.headers["mlservice-deployment"] == deployment
    # a wrong shape is the caller's mistake: a 4xx that says so, and the endpoint stays up
    bad = endpoint.call("keras-tf", "/invocations", {"inputs": [[1.0, 2.0]]})
    assert 400 <= bad.status_code < 500, bad.text


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
    for deployment in ("keras-tf", "keras-torch", "tf"):
        body = {"inputs": [{"name": "x", "shape": list(t.shape), "datatype": "FP32", "data": t.ravel().tolist()}]}
        answer = endpoint.call(deployment, f"/v2/models/{deployment}/infer", body)
        assert answer.status_code == 200, (deployment, answer.text)
        assert answer.json()["outputs"][0]["shape"] == [6, 2]


def test_a_scoring_script_serves_the_torch_model(endpoint):
    x, y = images(5, seed=3)
    answer = endpoint.call("script", "/score", {"images": x.tolist()})
    assert answer.status_code == 200, answer.text
    assert answer.json()["classes"] == [int(v) for v in y]


def test_batch_scores_a_folder_of_images_and_parquet(models: Trained, tmp_path):
    ml = models.ml
    root = models.server.root
    labels = write_png_folder(root / "pngs", 24)
    (root / "batch-code").mkdir(exist_ok=True)
    from .deep_fixtures import BATCH_IMAGES

    (root / "batch-code" / "score_images.py").write_text(BATCH_IMAGES)
    t, y = tabular(500, seed=4)
    frame = pd.DataFrame(t, columns=FEATURES)
    frame.insert(0, "id", range(len(frame)))
    (root / "tabular").mkdir(exist_ok=True)
    frame.to_parquet(root / "tabular" / "part-0.parquet")

    by_image = ml.batch.submit(model=f"{models.models['torch']}:1", input={"path": "pngs"}, output={"path": "out/images.parquet"},
                               mini_batch_unit="files", mini_batch_size=10, scoring_script="score_images.py", code=root / "batch-code",
                               experiment="deep")
    by_row = ml.batch.submit(model=f"{models.models['keras-tf']}:1", input={"path": "tabular"}, output={"path": "out/tabular.parquet"},
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
