"""An MLflow model (no code): MLflow's `/invocations` payloads, a fast path for sklearn models
whose answer is provably MLflow's, and predictions for the OIP v2 codec (`oip.py`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from ..config import DeploymentConfig
from . import oip
from .base import Reply, Scorer, dumps, error

_INT64 = 2**63


def azure_input_data(body: bytes) -> bytes:
    """Azure's MLflow payload ``{"input_data": {"columns", "index", "data"}}`` as MLflow's ``dataframe_split``."""
    if not body.lstrip().startswith(b'{"input_data"') and b'"input_data"' not in body[:64]:
        return body
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if type(parsed) is dict and set(parsed) == {"input_data"} and type(parsed["input_data"]) is dict:
        return orjson.dumps({"dataframe_split": parsed["input_data"]})
    return body


class FastPath:
    """JSON payload -> numpy rows -> sklearn ``predict``, for payloads whose result is provably
    the same as MLflow's (all signature columns present, plain numbers of the declared type).

    Anything else (strings to coerce, nulls, params, CSV, odd shapes) returns ``None`` from
    :meth:`rows` and goes through ``mlflow.pyfunc.scoring_server.invocations`` unchanged, so
    MLflow's own parsing and schema enforcement decide and word the error.
    """

    def __init__(self, names: list[str], all_long: bool, long_cols: list[int], predict):
        self.names = names
        self.width = len(names)
        self.dtype = np.int64 if all_long else np.float64
        self.long_cols = long_cols
        self.predict = predict

    @classmethod
    def build(cls, pyfunc_model) -> FastPath | None:
        from mlflow.types import DataType
        from mlflow.types.schema import ColSpec

        meta = pyfunc_model.metadata
        conf = meta.flavors.get("python_function", {})
        if conf.get("loader_module") != "mlflow.sklearn" or conf.get("predict_fn", "predict") != "predict":
            return None
        schema = meta.get_input_schema()
        if schema is None or schema.is_tensor_spec() or meta.get_params_schema() is not None:
            return None
        cols = schema.inputs
        if not cols or not all(
            isinstance(c, ColSpec) and c.name and c.required and c.type in (DataType.double, DataType.long)
            for c in cols
        ):
            return None
        names = [c.name for c in cols]
        if len(set(names)) != len(names):
            return None
        sk_model = getattr(pyfunc_model._model_impl, "sklearn_model", None)
        if sk_model is None or not hasattr(sk_model, "predict"):
            return None
        fitted_names = getattr(sk_model, "feature_names_in_", None)
        if fitted_names is not None and list(fitted_names) != names:
            return None  # sklearn would reorder or reject a DataFrame; keep MLflow's behaviour
        long_cols = [i for i, c in enumerate(cols) if c.type == DataType.long]
        return cls(names, len(long_cols) == len(cols), long_cols, sk_model.predict)

    def rows(self, payload: Any) -> np.ndarray | None:
        if type(payload) is not dict or len(payload) != 1:
            return None
        key, value = next(iter(payload.items()))
        if key == "input_data":  # Azure's name for a dataframe_split
            key = "dataframe_split"
        names = self.names
        try:
            if key == "dataframe_split":
                if type(value) is not dict or not set(value) <= {"columns", "data", "index"}:
                    return None
                columns, data = value.get("columns"), value.get("data")
                if type(columns) is not list or type(data) is not list or len(set(columns)) != len(columns):
                    return None
                if columns == names:
                    rows = data
                    for row in rows:
                        if type(row) is not list or len(row) != self.width:
                            return None
                else:
                    where = [columns.index(n) for n in names]
                    width = len(columns)
                    rows = []
                    for row in data:
                        if type(row) is not list or len(row) != width:
                            return None
                        rows.append([row[i] for i in where])
            elif type(value) is list and key in ("dataframe_records", "instances", "inputs"):
                rows = []
                for record in value:
                    if type(record) is not dict:
                        return None
                    rows.append([record[n] for n in names])
            elif type(value) is dict and key in ("instances", "inputs"):
                columns = [value[n] for n in names]
                if any(type(c) is not list for c in columns) or len({len(c) for c in columns}) != 1:
                    return None
                rows = [list(r) for r in zip(*columns)]
            else:
                return None
        except (KeyError, ValueError, TypeError):
            return None
        if not rows:
            return None
        for row in rows:
            for v in row:
                t = type(v)
                if t is float:
                    continue
                if t is not int or not -_INT64 <= v < _INT64:
                    return None
        for i in self.long_cols:
            for row in rows:
                if type(row[i]) is not int:
                    return None
        return np.array(rows, dtype=self.dtype)


def predictions_reply(predictions: Any) -> Reply:
    """MLflow's /invocations answer for what a model returned: ``{"predictions": ...}``."""
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        predictions = predictions.to_dict(orient="records")
    elif isinstance(predictions, pd.Series):
        predictions = predictions.to_numpy()
    return Reply(200, dumps({"predictions": predictions}))


def oip_reply(predictions: Any, model_name: str, model_version: str | None, request: dict) -> Reply:
    """An OIP v2 infer response for what a model returned (a batch's share of it, too)."""
    return Reply(200, dumps(oip.infer_response(request, model_name, model_version, predictions)))


class MLflowScorer(Scorer):
    kind = "mlflow"

    def __init__(self, config: DeploymentConfig):
        import mlflow.pyfunc

        from ...frameworks import load_pyfunc, use_saved_keras_backend

        super().__init__(config)
        use_saved_keras_backend(config.model_path)
        self.model = load_pyfunc(config.model_path)
        self.input_schema = self.model.metadata.get_input_schema()
        self.fast = FastPath.build(self.model)

    # ---- MLflow /invocations
    def invocations(self, body: bytes, content_type: str) -> Reply:
        from mlflow.exceptions import MlflowException
        from mlflow.pyfunc import scoring_server

        body = azure_input_data(body)
        try:
            result = scoring_server.invocations(body, content_type, self.model, self.input_schema)
        except MlflowException as exc:
            return Reply(exc.get_http_status_code(), exc.serialize_as_json().encode())
        payload = result.response if isinstance(result.response, bytes) else str(result.response).encode()
        if result.status >= 400 and result.mimetype != "application/json":
            return error(result.status, payload.decode("utf-8", "replace"))  # every error we send is JSON
        return Reply(result.status, payload, (result.mimetype or "application/json").encode())

    def predict_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.fast.predict(rows)

    def warm_up(self) -> float:
        """Predict a few zero rows; returns the cost of the last call (seconds), used to pick a path."""
        import time
        import warnings

        rows = np.zeros((1, self.fast.width), dtype=self.fast.dtype)
        cost = 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                t0 = time.perf_counter()
                self.fast.predict(rows)
                cost = time.perf_counter() - t0
        return cost

    # ---- Open Inference Protocol v2
    def oip_infer(self, request: Any, model_name: str) -> Reply:
        from mlflow.exceptions import MlflowException

        if not oip.is_infer_request(request):
            return error(400, oip.NOT_AN_INFER_REQUEST)
        by_column = self.input_schema is not None and not self.input_schema.is_tensor_spec()
        try:
            data = oip.decode_inputs(request["inputs"], by_column)
        except (KeyError, TypeError, ValueError) as exc:
            return error(400, f"invalid OIP v2 inputs: {exc}")
        try:
            rows = self.fast.rows({"inputs": data}) if self.fast and isinstance(data, dict) else None
            predictions = self.fast.predict(rows) if rows is not None else self.model.predict(data)
        except MlflowException as exc:
            return Reply(exc.get_http_status_code(), exc.serialize_as_json().encode())
        except Exception as exc:  # a model that cannot score this input: the caller's input, most likely
            return error(400, f"the model could not score this input: {type(exc).__name__}: {exc}")
        return oip_reply(predictions, model_name, self.config.model_version, request)

    def oip_metadata(self, model_name: str) -> dict:
        return oip.model_metadata(model_name, self.config.model_version, self.input_schema, self.model.metadata.get_output_schema())

    # ---- swagger
    def swagger_schemas(self) -> tuple[dict, dict]:
        """dataframe_split / dataframe_records bodies with the signature's columns."""
        schema = self.input_schema
        if schema is None or schema.is_tensor_spec():
            return super().swagger_schemas()
        props = {c.name: {"type": "number" if str(c.type) in ("double", "float") else "string"} for c in schema.inputs}
        split = {
            "type": "object",
            "properties": {
                "columns": {"type": "array", "items": {"type": "string"}, "example": list(props)},
                "data": {"type": "array", "items": {"type": "array", "items": {}}},
            },
        }
        inp = {"type": "object", "properties": {"dataframe_split": split, "dataframe_records": {"type": "array",
               "items": {"type": "object", "properties": props}}}}  # fmt: skip
        out = {"type": "object", "properties": {"predictions": {"type": "array", "items": {}}}}
        return inp, out
