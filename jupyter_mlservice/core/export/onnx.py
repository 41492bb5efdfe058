"""MLflow models -> ONNX: scikit-learn (skl2onnx), PyTorch (torch.onnx) and Keras 3 / TensorFlow
Keras models (Keras' own ONNX export on the torch backend), with a parity check on sample data.

Runs inside an export job (``runner.py``), never in the server: the frameworks are imported here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

FLAVORS = ("sklearn", "pytorch", "keras", "tensorflow")
SAMPLE_ROWS = 32


class ExportError(Exception):
    """The model cannot be exported; the message says why and what to do instead."""


def flavor_of(mlmodel: dict[str, Any]) -> str:
    """Which converter a model needs, from its MLmodel file (parsed YAML)."""
    flavors = mlmodel.get("flavors") or {}
    if "onnx" in flavors:
        raise ExportError("this version is already an ONNX model; serve it or package it as it is")
    if "keras" in flavors:
        return "keras"
    if "tensorflow" in flavors:
        if flavors["tensorflow"].get("model_type", "keras") != "keras":
            raise ExportError(
                "only Keras models of the tensorflow flavor convert to ONNX (a bare tf.Module needs tf2onnx, "
                "which is not installed); log the model as a Keras model"
            )
        return "tensorflow"
    for name in ("sklearn", "pytorch"):
        if name in flavors:
            return name
    known = ", ".join(sorted(f for f in flavors if f != "python_function")) or "python_function only"
    raise ExportError(f"no ONNX converter for this model's flavor ({known}); supported: scikit-learn, PyTorch, Keras/TensorFlow")


def read_mlmodel(model_dir: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((model_dir / "MLmodel").read_text())


def sample_input(model_dir: Path, rows: int = SAMPLE_ROWS, seed: int = 0) -> Any:
    """Data to compare the two models on: the logged input example followed by random rows shaped
    like the signature (a DataFrame for a column signature, an array for a tensor one)."""
    import pandas as pd
    from mlflow.models import Model
    from mlflow.types.schema import TensorSpec

    meta = Model.load(str(model_dir))
    schema = meta.get_input_schema()
    example = None
    try:
        example = meta.load_input_example(str(model_dir))
    except Exception:  # noqa: BLE001 - an example is a bonus
        example = None
    rng = np.random.default_rng(seed)
    if schema is None:
        if example is None:
            raise ExportError("the model has no signature and no input example; log it with signature= or input_example=")
        return example
    if schema.is_tensor_spec():
        if len(schema.inputs) != 1:
            raise ExportError("models with several tensor inputs are not exported yet; give the model one input tensor")
        spec: TensorSpec = schema.inputs[0]
        shape = [rows if d == -1 else d for d in spec.shape]
        random = rng.normal(size=shape).astype(spec.type)
        if isinstance(example, np.ndarray) and example.shape[1:] == random.shape[1:]:
            return np.concatenate([example.astype(spec.type), random])
        return random
    names = schema.input_names()
    random = pd.DataFrame(rng.normal(size=(rows, len(names))), columns=names)
    for col in schema.inputs:
        if str(col.type) in ("long", "integer"):
            random[col.name] = rng.integers(0, 10, size=rows)
    if isinstance(example, pd.DataFrame) and list(example.columns) == names:
        return pd.concat([example, random], ignore_index=True)
    return random


def as_array(sample: Any) -> np.ndarray:
    """What the ONNX model is fed: one float32 tensor (a DataFrame's values, columns in order)."""
    import pandas as pd

    if isinstance(sample, pd.DataFrame):
        return sample.to_numpy(dtype="float32")
    array = np.asarray(sample)
    return array.astype("float32") if array.dtype == np.float64 else array


def reference_output(model_dir: Path, sample: Any) -> np.ndarray:
    """What the original model answers, through its own MLflow flavor (as a deployment serves it)."""
    import mlflow.pyfunc
    import pandas as pd

    out = mlflow.pyfunc.load_model(str(model_dir)).predict(sample)
    if isinstance(out, (pd.DataFrame, pd.Series)):
        out = out.to_numpy()
    if isinstance(out, dict):
        out = next(iter(out.values()))
    return np.asarray(out)


def convert(flavor: str, model_dir: Path, sample: Any, dest: Path) -> None:
    """Write ``dest`` (an .onnx file) converted from the MLflow model in ``model_dir``."""
    if flavor == "sklearn":
        _sklearn(model_dir, sample, dest)
    elif flavor == "pytorch":
        _pytorch(model_dir, sample, dest)
    elif flavor == "keras" and "keras" in sys.modules and sys.modules["keras"].backend.backend() == "torch":
        _keras_to_onnx(str(model_dir), as_array(sample)[:2], str(dest))  # this process runs Keras on torch already
    elif flavor in ("keras", "tensorflow"):
        # Keras writes ONNX through torch.onnx, so the model is loaded on the torch backend, which
        # has to be chosen before keras is imported: a child process when this one runs on another.
        example = dest.with_suffix(".sample.npy")
        np.save(example, as_array(sample)[:2])
        proc = subprocess.run(
            [sys.executable, "-m", "jupyter_mlservice.core.export.onnx", "keras", str(model_dir), str(example), str(dest)],
            env={**os.environ, "KERAS_BACKEND": "torch"}, capture_output=True, text=True,
        )  # fmt: skip
        sys.stdout.write(proc.stdout[-4000:])
        if proc.returncode != 0:
            raise ExportError(f"the Keras model did not convert:\n{proc.stderr[-4000:]}")
    else:  # pragma: no cover - flavor_of decides
        raise ExportError(f"no converter for {flavor}")


def _sklearn(model_dir: Path, sample: Any, dest: Path) -> None:
    import mlflow.sklearn
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    model = mlflow.sklearn.load_model(str(model_dir))
    width = as_array(sample).shape[1]
    options = {id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None
    onx = to_onnx(model, initial_types=[("input", FloatTensorType([None, width]))], options=options)
    # Keep what predict() answers (the label, or the value): one output, like the original.
    while len(onx.graph.output) > 1:
        onx.graph.output.pop()
    dest.write_bytes(onx.SerializeToString())


def _pytorch(model_dir: Path, sample: Any, dest: Path) -> None:
    import mlflow.pytorch
    import torch

    model = mlflow.pytorch.load_model(str(model_dir), map_location="cpu")
    if isinstance(model, torch.nn.Module) and not isinstance(model, torch.fx.GraphModule):
        model.eval()  # a pickled module; a torch.export program (MLflow's default) is in inference mode already
    example = torch.from_numpy(as_array(sample)[:2])
    batch = torch.export.Dim("batch")
    torch.onnx.export(
        model, (example,), str(dest), input_names=["input"], output_names=["output"],
        dynamic_shapes=({0: batch},), dynamo=True, verbose=False,
    )  # fmt: skip


def _keras_to_onnx(model_dir: str, example: str | np.ndarray, dest: str) -> None:
    """Runs with Keras on the torch backend (see convert); ``example`` is rows or a .npy file of them."""
    import keras

    data = Path(model_dir) / "data"
    files = sorted(data.glob("*.keras")) + sorted(data.glob("**/*.keras"))
    if not files:
        raise SystemExit(f"no .keras file in {data}: only Keras 3 models convert")
    model = keras.saving.load_model(str(files[0]), compile=False)
    model(np.load(example) if isinstance(example, str) else example)  # Keras exports only a model that has been called
    model.export(dest, format="onnx", verbose=False)


def parity(onnx_path: Path, sample: Any, reference: np.ndarray) -> dict[str, Any]:
    """Run the ONNX model with onnxruntime on the sample; how far its first output is from the original's."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: as_array(sample)}
    got = np.asarray(session.run(None, feed)[0])
    want = np.asarray(reference)
    if got.shape != want.shape and got.size == want.size:
        got = got.reshape(want.shape)
    if got.shape != want.shape:
        raise ExportError(f"the ONNX model answers shape {list(got.shape)} where the original answers {list(want.shape)}")
    diff = np.abs(got.astype("float64") - want.astype("float64"))
    return {"samples": int(want.shape[0]) if want.ndim else 1, "max_abs_diff": float(diff.max()) if diff.size else 0.0,
            "mean_abs_diff": float(diff.mean()) if diff.size else 0.0}


if __name__ == "__main__":
    if sys.argv[1:2] == ["keras"]:
        _keras_to_onnx(*sys.argv[2:5])
    else:
        print(json.dumps({"usage": "python -m jupyter_mlservice.core.export.onnx keras MODEL_DIR EXAMPLE.npy OUT.onnx"}))
        sys.exit(2)
