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
