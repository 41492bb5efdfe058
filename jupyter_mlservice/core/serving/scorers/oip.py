"""The Open Inference Protocol v2 codec (`/v2/models/{name}/infer`, `/v2/models/{name}`):
request tensors -> what an MLflow model predicts on, predictions -> response tensors, and a
model signature -> the model metadata document. No model code here: the scorer predicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TO_NUMPY = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64, "BYTES": np.object_,
}  # fmt: skip
FROM_MLFLOW = {
    "boolean": "BOOL", "integer": "INT32", "long": "INT64", "float": "FP32", "double": "FP64",
    "string": "BYTES", "binary": "BYTES", "datetime": "BYTES",
}  # fmt: skip
NOT_AN_INFER_REQUEST = 'an OIP v2 infer request is a JSON object with a non-empty "inputs" list'


def datatype(array: np.ndarray) -> str:
    kind, size = array.dtype.kind, array.dtype.itemsize
    if kind == "b":
        return "BOOL"
    if kind in "iu":
        return f"{'INT' if kind == 'i' else 'UINT'}{size * 8}"
    if kind == "f":
        return f"FP{size * 8}"
    return "BYTES"


def is_infer_request(request: Any) -> bool:
    return type(request) is dict and type(request.get("inputs")) is list and bool(request["inputs"])


def decode_inputs(inputs: list, by_column: bool) -> Any:
    """The request's input tensors as a model input; raises KeyError/TypeError/ValueError on bad ones.

    With ``by_column`` (a model with a column signature) each input is one column, the MLServer
    pandas codec convention; otherwise one input is one array and several are a dict of arrays.
    """
    import pandas as pd

    arrays = {}
    for item in inputs:
        name, dtype, shape, data = item["name"], item["datatype"], item["shape"], item["data"]
        if dtype not in TO_NUMPY:
            raise ValueError(f"unknown datatype {dtype!r} for input {name!r}")
        array = np.asarray(data, dtype=TO_NUMPY[dtype] if dtype != "BYTES" else None)
        if int(np.prod(shape)) != array.size:
            raise ValueError(f"input {name!r}: shape {shape} does not match {array.size} values")
        arrays[name] = array.reshape(shape)
    if by_column:
        return {name: (a.reshape(-1).tolist() if a.ndim <= 2 else a.tolist()) for name, a in arrays.items()}
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    return arrays if arrays else pd.DataFrame()


def infer_response(request: dict, model_name: str, model_version: str | None, predictions: Any) -> dict:
    """The response document: one output tensor per prediction column (``predict`` for a plain array)."""
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        named = {str(c): predictions[c].to_numpy() for c in predictions.columns}
    elif isinstance(predictions, dict):
        named = {str(k): np.asarray(v) for k, v in predictions.items()}
    else:
        named = {"predict": np.asarray(predictions)}
    outputs = [
        {"name": name, "shape": list(array.shape), "datatype": datatype(array), "data": array.ravel()}
        for name, array in named.items()
    ]
    reply: dict[str, Any] = {"model_name": model_name, "outputs": outputs}
    if model_version:
        reply["model_version"] = model_version
    if "id" in request:
        reply["id"] = request["id"]
    return reply


def _tensors(schema, tensor_name: str, column_name: str | None) -> list[dict]:
    """Tensor metadata of an MLflow signature half; unnamed tensors (and columns, when
    ``column_name`` is given) take that name."""
    if schema is None:
        return []
    if schema.is_tensor_spec():
        return [
            {"name": spec.name or tensor_name, "datatype": datatype(np.empty(0, spec.type)), "shape": list(spec.shape)}
            for spec in schema.inputs
        ]
    return [
        {"name": spec.name if column_name is None else (spec.name or column_name),
         "datatype": FROM_MLFLOW.get(getattr(spec.type, "name", str(spec.type)), "BYTES"), "shape": [-1]}
        for spec in schema.inputs
    ]  # fmt: skip


def model_metadata(model_name: str, model_version: str | None, input_schema, output_schema) -> dict:
    """``GET /v2/models/{name}``: the inputs and outputs of the model's MLflow signature."""
    return {
        "name": model_name,
        "platform": "mlflow",
        "inputs": _tensors(input_schema, "input", None),
        "outputs": _tensors(output_schema, "predict", "predict"),
        "versions": [model_version] if model_version else [],
    }
