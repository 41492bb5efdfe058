"""What a deep learning framework needs to hear before one of its MLflow models is loaded.

Keras 3 runs on the backend chosen when ``keras`` is first imported (``KERAS_BACKEND``, TensorFlow
by default), and MLflow's Keras flavor records the backend a model was saved with. A process that
loads a model saved on the torch backend should not import TensorFlow for it: deployments, batch
workers and export jobs call :func:`use_saved_keras_backend` before loading, so such a model runs
on torch unless the user chose a backend.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def saved_keras_backend(model_dir: str | Path) -> str | None:
    """The backend an MLflow Keras model was saved with (its MLmodel's ``keras_backend``), if any."""
    import yaml

    try:
        mlmodel = yaml.safe_load((Path(model_dir) / "MLmodel").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return None
    keras = (mlmodel.get("flavors") or {}).get("keras") or {}
    backend = keras.get("keras_backend")
    return backend if isinstance(backend, str) and backend else None


def use_saved_keras_backend(model_dir: str | Path) -> str | None:
    """Set ``KERAS_BACKEND`` to the model's saved backend unless it is set or keras is imported
    already (a process has one backend); returns the backend set, if any."""
    if "KERAS_BACKEND" in os.environ or "keras" in sys.modules:
        return None
    backend = saved_keras_backend(model_dir)
    if backend:
        os.environ["KERAS_BACKEND"] = backend
    return backend



def load_pyfunc(model_dir: str | Path):
    """``mlflow.pyfunc.load_model``, with a PyTorch model saved by ``torch.export`` (MLflow 3's
    default ``pt2`` format) put on the prediction device (``MLFLOW_DEFAULT_PREDICTION_DEVICE``).

    MLflow refuses to load such a model on a GPU when it was saved from the CPU ("the original
    model contains weights on 'cpu', it can't be loaded on 'cuda'"), which is how training jobs
    usually save it: a GPU deployment of it failed (found by scripts/gpu_check.sh on a real GPU).
    So it is loaded on the CPU, and the exported program is moved with torch's
    ``move_to_device_pass`` (constants in the graph move too). Other models load as MLflow loads them."""
    import mlflow.pyfunc

    device = os.environ.get("MLFLOW_DEFAULT_PREDICTION_DEVICE", "")
    exported = sorted(Path(model_dir).glob("**/model.pt2")) if device and device != "cpu" else []
    if not exported:
        return mlflow.pyfunc.load_model(str(model_dir))
    import torch
    from torch.export.passes import move_to_device_pass

    model = mlflow.pyfunc.load_model(str(model_dir), model_config={"device": "cpu"})
    impl = model._model_impl  # MLflow's PyTorch wrapper: the module, and the device inputs are sent to
    impl.pytorch_model = move_to_device_pass(torch.export.load(str(exported[0])), device).module()
    impl.device = device
    return model
