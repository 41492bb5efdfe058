"""Shared by the deep learning tests (`-m frameworks`): training scripts for each framework, tiny
synthetic data, and one server per test session on which every framework is trained once.

Data are made here, never downloaded: 8x8 grey images of a horizontal (class 0) or vertical
(class 1) bar in noise for the CNN, and 8 numeric features whose first two decide the class for
the MLPs. A couple of hundred samples and two epochs are plenty to tell the classes apart.

The frameworks: PyTorch (its own flavor), Keras 3 on the torch backend (`mlflow.keras`) and
TensorFlow's tf.keras (`mlflow.tensorflow`; Keras 3 on the TensorFlow backend). TensorFlow is
imported by its training job and its deployment only: the suite's costliest import.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import LiveServer, seed_workspace, wait_for

FEATURES = [f"f{i}" for i in range(8)]
# MLflow infers a model's pip requirements by loading it in a subprocess (importing TensorFlow
# again, minutes on a busy machine); the jobs here say what they need instead.
JOB_ENV = {"MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "OMP_NUM_THREADS": "1"}


def images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.3, size=(n, 1, 8, 8)).astype("float32")
    y = rng.integers(0, 2, size=n)
    for i, label in enumerate(y):
        if label:
            x[i, 0, :, 3:5] += 1.0
        else:
            x[i, 0, 3:5, :] += 1.0
    return x, y


def tabular(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES))).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int64")


DATA = textwrap.dedent(
    '''
    import numpy as np

    def images(n, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.normal(0, 0.3, size=(n, 1, 8, 8)).astype("float32")
        y = rng.integers(0, 2, size=n)
        for i, label in enumerate(y):
            if label:
                x[i, 0, :, 3:5] += 1.0
            else:
                x[i, 0, 3:5, :] += 1.0
        return x, y

    def tabular(n, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n, 8)).astype("float32")
        return x, (x[:, 0] + x[:, 1] > 0).astype("int64")
    '''
)

# PyTorch has no autologging outside Lightning: the flavor's own calls, one metric point per epoch.
# With GATE set, the job waits after its first epoch until that file exists (tests watch the
# metrics of a job that is still running).
TRAIN_TORCH = textwrap.dedent(
    '''
    import os, sys, time
    import mlflow, mlflow.pytorch, torch
    from mlflow.models import infer_signature
    from torch import nn
    from data import images

    torch.manual_seed(0)
    x, y = images(200)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with mlflow.start_run():
        mlflow.log_params({"epochs": epochs, "lr": 0.05, "framework": "pytorch"})
        for epoch in range(epochs):
            model.train()
            for i in range(0, len(X), 25):
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(X[i:i + 25]), Y[i:i + 25])
                loss.backward()
                opt.step()
            with torch.no_grad():
                accuracy = (model(X).argmax(1) == Y).float().mean().item()
            mlflow.log_metrics({"loss": loss.item(), "accuracy": accuracy}, step=epoch)
            print(f"epoch {epoch}: loss {loss.item():.4f} accuracy {accuracy:.3f}", flush=True)
            gate = os.environ.get("GATE")
            if gate and epoch == 0:
                deadline = time.time() + 600
                while not os.path.exists(gate) and time.time() < deadline:
                    time.sleep(0.1)
        model.eval()
        signature = infer_signature(x[:2], model(X[:2]).detach().numpy())
        mlflow.pytorch.log_model(model, name="model", signature=signature, input_example=x[:2],
                                 pip_requirements=["torch"])
    '''
)

# Keras 3 on the backend KERAS_BACKEND names: mlflow.keras.autolog() logs every epoch's metrics and
# the model with the keras flavor, which records the backend (so it is served on torch again).
TRAIN_KERAS = textwrap.dedent(
    '''
    import mlflow, mlflow.keras, keras
    from data import tabular

    mlflow.keras.autolog()
    keras.utils.set_random_seed(0)
    x, y = tabular(200)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    with mlflow.start_run():
        mlflow.set_tag("keras_backend", keras.backend.backend())
        model.fit(x, y, epochs=2, batch_size=32, verbose=2)
    '''
)

# TensorFlow's own API (tf.keras) with the TensorFlow autologger.
TRAIN_TF = textwrap.dedent(
    '''
    import mlflow, mlflow.tensorflow
    import tensorflow as tf
    from data import tabular

    mlflow.tensorflow.autolog()
    tf.keras.utils.set_random_seed(0)
    x, y = tabular(200)
    model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Dense(16, activation="relu"),
                                 tf.keras.layers.Dense(2, activation="softmax")])
    model.compile(tf.keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    with mlflow.start_run():
        model.fit(x, y, epochs=2, batch_size=32, verbose=2)
    '''
)

# An Azure ML scoring script for the CNN: init() loads the MLflow model from AZUREML_MODEL_DIR
# with the PyTorch flavor, run() takes {"images": [...]} and answers classes and probabilities,
# and the thread settings its worker runs with (OMP_NUM_THREADS and torch's own).
SCORE_TORCH = textwrap.dedent(
    '''
    import json, os
    import numpy as np
    import mlflow.pytorch
    import torch

    def init():
        global model
        # the flavor saved a torch.export program (already in inference mode)
        model = mlflow.pytorch.load_model(os.environ["AZUREML_MODEL_DIR"])

    def run(raw_data):
        x = torch.tensor(np.asarray(json.loads(raw_data)["images"], dtype="float32"))
        with torch.no_grad():
            p = torch.softmax(model(x), dim=1).numpy()
        return {"classes": p.argmax(1).tolist(), "probabilities": p.round(4).tolist(),
                "torch_threads": torch.get_num_threads(), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}
    '''
)

# Batch over a folder of PNG files (Azure's files mode): run() gets the paths of a mini-batch.
BATCH_IMAGES = textwrap.dedent(
    '''
    import os
    import numpy as np
    import pandas as pd
    import mlflow.pyfunc
    from PIL import Image

    def init():
        global model
        model = mlflow.pyfunc.load_model(os.environ["AZUREML_MODEL_DIR"])

    def run(mini_batch):
        x = np.stack([np.asarray(Image.open(p), dtype="float32")[None] / 255.0 * 4 - 1 for p in mini_batch])
        logits = np.asarray(model.predict(x.astype("float32")))
        return pd.DataFrame({"file": [os.path.basename(p) for p in mini_batch], "label": logits.argmax(1)})
    '''
)


def write_code(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {"data.py": DATA, "train_torch.py": TRAIN_TORCH, "train_keras.py": TRAIN_KERAS,
                       "train_tf.py": TRAIN_TF}.items():
        (folder / name).write_text(text)
    return folder


def write_png_folder(folder: Path, n: int, seed: int = 5) -> list[int]:
    """n 8x8 PNGs of bars, pixels mapped from [-1, 3] to 0..255 (BATCH_IMAGES maps them back)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    x, y = images(n, seed)
    for i in range(n):
        pixels = np.clip((x[i, 0] + 1) / 4 * 255, 0, 255).astype("uint8")
        Image.fromarray(pixels, mode="L").save(folder / f"img{i:03d}.png")
    return [int(v) for v in y]


class Trained:
    """Every framework trained once as a job and registered: ``trained.jobs["torch"]``,
    ``trained.models["torch"]`` (the registered name). ``live_points`` holds the torch job's loss
    points as read while the job was still Running (it waits after its first epoch for the gate)."""

    FRAMEWORKS = {
        "torch": ("python train_torch.py 2", {}),
        "keras": ("python train_keras.py", {"KERAS_BACKEND": "torch"}),
        "tf": ("python train_tf.py", {}),
    }

    def __init__(self, server: LiveServer, code: Path, gate: Path):
        self.server = server
        self.ml = server.client()
        self.gate = gate
        self.jobs = {}
        for name, (command, env) in self.FRAMEWORKS.items():
            extra = {"GATE": str(gate)} if name == "torch" else {}
            self.jobs[name] = self.ml.jobs.submit(
                command=command, code=code, experiment="deep", display_name=f"train-{name}",
                environment_variables={**JOB_ENV, **env, **extra},
            )
        self.models: dict[str, str] = {}
        self.live_points: list = []
        self.live_status = ""

    def finish(self) -> None:
        torch = self.jobs["torch"]
        # what the run widget polls, while the job is held after its first epoch
        self.live_points = wait_for(lambda: torch.metrics().get("loss"), timeout=900, interval=0.5, what="the first epoch's loss")
        self.live_status = torch.refresh().status
        self.gate.touch()
        for name, job in self.jobs.items():
            job = self.jobs[name] = job.wait(timeout=1500)
            assert job.status == "Completed", f"{name}: {job.error}\n{job.logs()[-3000:]}"
            self.models[name] = f"deep-{name}"
            self.ml.models.register(self.models[name], job=job, path="model")


# `make pytest` spreads whole test files over pytest-xdist workers (--dist loadfile), and a session
# fixture lives once per worker: the files that use the trained models go to one worker together,
# so that each framework is trained once.
FILES_SHARING_MODELS = ("test_deep_onnx.py", "test_deep_training.py")


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None  # xdist's own scheduler
    from xdist.scheduler import LoadFileScheduling

    class SharedModelsScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "deep learning models" if scope.rsplit("/", 1)[-1] in FILES_SHARING_MODELS else scope

    return SharedModelsScheduling(config, log)


@pytest.fixture(scope="session")
def deep_server(tmp_path_factory, mlflow_template):
    root = tmp_path_factory.mktemp("deep") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    server = LiveServer(root).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def models(deep_server):
    """One training job per framework, submitted at once, finished and registered."""
    code = write_code(deep_server.root / "deep-code")
    trained = Trained(deep_server, code, deep_server.root / "torch-gate")
    try:
        trained.finish()
    finally:
        trained.gate.touch()
    return trained


def invoke(endpoint, key: str, path: str, body, deployment: str | None = None):
    import requests

    headers = {"Authorization": f"Bearer {key}"}
    if deployment:
        headers["mlservice-deployment"] = deployment
    return requests.post(endpoint.base_uri + path, json=body, headers=headers, timeout=120)


__all__ = ["wait_for"]
