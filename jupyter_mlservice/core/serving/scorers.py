"""What a deployment does with a request: an MLflow model (no code) or an Azure ML scoring script.

Every method here runs on a worker's scoring thread, never on the event loop. A method returns a
:class:`Reply` for anything the caller should see (including 4xx for bad input) and raises only
for bugs of ours.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import orjson

from .config import DeploymentConfig

JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"
_INT64 = 2**63


class Reply(NamedTuple):
    status: int
    body: bytes
    content_type: bytes = JSON
    headers: tuple = ()  # extra (name, value) byte pairs, e.g. a raw-HTTP script's own


def error(status: int, message: str, **extra: Any) -> Reply:
    return Reply(status, orjson.dumps({"message": without_paths(message), **extra}))


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s'\"():,/]+/)+([^\s'\"():,/]*)")


def without_paths(message: str) -> str:
    """No answer names an absolute server path: ``/srv/x/.mlservice/model/model.pkl`` -> ``model.pkl``."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or ".", message) if "/" in message else message


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


def dumps(value: Any) -> bytes:
    """JSON for whatever a model or a script returns (numpy and pandas included)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        from mlflow.pyfunc.scoring_server import NumpyEncoder, _get_jsonable_obj

        return json.dumps(_get_jsonable_obj(value, pandas_orient="records"), cls=NumpyEncoder).encode()


def is_json(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json")


# --------------------------------------------------------------------------------------------
# MLflow models
# --------------------------------------------------------------------------------------------

_OIP_TO_NUMPY = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64, "BYTES": np.object_,
}  # fmt: skip
_MLFLOW_TO_OIP = {
    "boolean": "BOOL", "integer": "INT32", "long": "INT64", "float": "FP32", "double": "FP64",
    "string": "BYTES", "binary": "BYTES", "datetime": "BYTES",
}  # fmt: skip


def _oip_datatype(array: np.ndarray) -> str:
    kind, size = array.dtype.kind, array.dtype.itemsize
    if kind == "b":
        return "BOOL"
    if kind in "iu":
        return f"{'INT' if kind == 'i' else 'UINT'}{size * 8}"
    if kind == "f":
        return f"FP{size * 8}"
    return "BYTES"


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


class MLflowScorer:
    kind = "mlflow"

    def __init__(self, config: DeploymentConfig):
        import mlflow.pyfunc

        self.config = config
        self.model = mlflow.pyfunc.load_model(config.model_path)
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

        if type(request) is not dict or type(request.get("inputs")) is not list or not request["inputs"]:
            return error(400, 'an OIP v2 infer request is a JSON object with a non-empty "inputs" list')
        try:
            data = self._oip_inputs(request["inputs"])
        except (KeyError, TypeError, ValueError) as exc:
            return error(400, f"invalid OIP v2 inputs: {exc}")
        try:
            rows = self.fast.rows({"inputs": data}) if self.fast and isinstance(data, dict) else None
            predictions = self.fast.predict(rows) if rows is not None else self.model.predict(data)
        except MlflowException as exc:
            return Reply(exc.get_http_status_code(), exc.serialize_as_json().encode())
        except Exception as exc:  # a model that cannot score this input: the caller's input, most likely
            return error(400, f"the model could not score this input: {type(exc).__name__}: {exc}")
        outputs = []
        import pandas as pd

        if isinstance(predictions, pd.DataFrame):
            named = {str(c): predictions[c].to_numpy() for c in predictions.columns}
        elif isinstance(predictions, dict):
            named = {str(k): np.asarray(v) for k, v in predictions.items()}
        else:
            named = {"predict": np.asarray(predictions)}
        for name, array in named.items():
            outputs.append(
                {"name": name, "shape": list(array.shape), "datatype": _oip_datatype(array), "data": array.ravel()}
            )
        reply = {"model_name": model_name, "outputs": outputs}
        if self.config.model_version:
            reply["model_version"] = self.config.model_version
        if "id" in request:
            reply["id"] = request["id"]
        return Reply(200, dumps(reply))

    def _oip_inputs(self, inputs: list) -> Any:
        import pandas as pd

        columns = self.input_schema is not None and not self.input_schema.is_tensor_spec()
        arrays = {}
        for item in inputs:
            name, datatype, shape, data = item["name"], item["datatype"], item["shape"], item["data"]
            if datatype not in _OIP_TO_NUMPY:
                raise ValueError(f"unknown datatype {datatype!r} for input {name!r}")
            array = np.asarray(data, dtype=_OIP_TO_NUMPY[datatype] if datatype != "BYTES" else None)
            if int(np.prod(shape)) != array.size:
                raise ValueError(f"input {name!r}: shape {shape} does not match {array.size} values")
            arrays[name] = array.reshape(shape)
        if columns:
            # Column signature: one OIP input per column (the MLServer pandas codec convention).
            return {name: (a.reshape(-1).tolist() if a.ndim <= 2 else a.tolist()) for name, a in arrays.items()}
        if len(arrays) == 1:
            return next(iter(arrays.values()))
        return arrays if arrays else pd.DataFrame()

    def oip_metadata(self, model_name: str) -> dict:
        schema = self.input_schema
        inputs: list[dict] = []
        if schema is not None:
            if schema.is_tensor_spec():
                for spec in schema.inputs:
                    inputs.append(
                        {"name": spec.name or "input", "datatype": _oip_datatype(np.empty(0, spec.type)),
                         "shape": list(spec.shape)}
                    )  # fmt: skip
            else:
                for spec in schema.inputs:
                    dtype = getattr(spec.type, "name", str(spec.type))
                    inputs.append({"name": spec.name, "datatype": _MLFLOW_TO_OIP.get(dtype, "BYTES"), "shape": [-1]})
        outputs: list[dict] = []
        out_schema = self.model.metadata.get_output_schema()
        if out_schema is not None:
            for spec in out_schema.inputs:
                if out_schema.is_tensor_spec():
                    outputs.append(
                        {"name": spec.name or "predict", "datatype": _oip_datatype(np.empty(0, spec.type)),
                         "shape": list(spec.shape)}
                    )  # fmt: skip
                else:
                    dtype = getattr(spec.type, "name", str(spec.type))
                    outputs.append(
                        {"name": spec.name or "predict", "datatype": _MLFLOW_TO_OIP.get(dtype, "BYTES"), "shape": [-1]}
                    )
        meta = {"name": model_name, "platform": "mlflow", "inputs": inputs, "outputs": outputs}
        meta["versions"] = [self.config.model_version] if self.config.model_version else []
        return meta

    def _raw(self, body: bytes, headers, method: str, path: str, query: str) -> Reply:
        """@rawhttp: run() gets the request; an AMLResponse sets status, headers and body."""
        from .azureml.aml_request import AMLRequest
        from .azureml.aml_response import AMLResponse

        request = AMLRequest(method, path, query, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers], body)
        try:
            output = self.run(request)
        except Exception as exc:
            traceback.print_exc()
            if self.config.return_script_errors:
                return error(500, f"run() raised {type(exc).__name__}: {exc}", run_function_failed=True)
            return error(500, f"run() raised {type(exc).__name__}; the message is in the deployment's log "
                         "(return_script_errors=True returns it)", run_function_failed=True)
        if isinstance(output, AMLResponse):
            extra = tuple((k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in output.headers.items()
                          if k.lower() not in ("content-type", "content-length"))
            return Reply(output.status_code, output.data, output.content_type.encode("latin-1"), extra)
        if isinstance(output, (bytes, bytearray)):
            return Reply(200, bytes(output), b"application/octet-stream")
        try:
            return Reply(200, dumps(output))
        except Exception as exc:
            return error(500, f"run() returned a value that is not JSON serializable: {exc}", run_function_failed=True)

    def swagger_schemas(self) -> tuple[dict, dict]:
        schema = self.input_schema
        if schema is None or schema.is_tensor_spec():
            return {"type": "object"}, {"type": "object"}
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


# --------------------------------------------------------------------------------------------
# Azure ML scoring scripts
# --------------------------------------------------------------------------------------------

_INFERENCE_SCHEMA_DIR = None


def _raised_by_inference_schema(exc: BaseException, script: str) -> bool:
    """True when the schema decorator rejected the input before user code ran (a 4xx, not a 500)."""
    global _INFERENCE_SCHEMA_DIR
    if _INFERENCE_SCHEMA_DIR is None:
        import inference_schema

        _INFERENCE_SCHEMA_DIR = str(Path(inference_schema.__file__).parent)
    frames = traceback.extract_tb(exc.__traceback__)
    # The decorator's frames, and none of the script's: the input was rejected (a numpy or pandas
    # schema: pandas raises from its own code) before run() started. A frame of the script means
    # run() itself had started: its failure is a 500.
    if not any(f.filename.startswith(_INFERENCE_SCHEMA_DIR) for f in frames):
        return False
    return not any(f.filename == script for f in frames)


class ScriptScorer:
    """The Azure ML contract: ``init()`` once, ``run(raw_data)`` per request, as azmlinfsrv does it."""

    kind = "script"

    def __init__(self, config: DeploymentConfig):
        self.config = config
        path = config.script_path()
        if path is None or not path.is_file():
            raise FileNotFoundError(f"scoring script not found: {path}")
        self.script = str(path.resolve())
        code_dir = str(Path(config.code_dir).resolve()) if config.code_dir else str(path.resolve().parent)
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
        from .azureml import install

        install()  # azureml.contrib.services.aml_request / aml_response, as Azure's server provides them
        # A module name per deployment: two deployments may both ship a score.py.
        spec = importlib.util.spec_from_file_location(f"mlservice_score_{config.name.replace('-', '_')}", self.script)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        for fn in ("init", "run"):
            if not callable(getattr(module, fn, None)):
                raise AttributeError(f"scoring script {path.name} must define {fn}()")
        driver = getattr(module, "driver_module", None)  # same special case as azmlinfsrv
        self.run = driver.run if driver is not None and hasattr(driver, "run") else module.run
        self.module = module
        self._analyze_run()
        module.init()

    def _analyze_run(self) -> None:
        from inference_schema.schema_util import is_schema_decorated

        params = list(inspect.signature(self.run).parameters.values())
        if any(p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
            raise TypeError("run() cannot accept positional-only arguments, *args, or **kwargs")
        self.wants_headers = any(p.name == "request_headers" for p in params)
        params = [p for p in params if p.name != "request_headers"]
        if not params:
            raise TypeError("run() needs to accept an argument for input data")
        self.decorated = is_schema_decorated(self.run)
        self.params = params
        self.rawhttp = bool(getattr(self.run, "__aml_rawhttp__", False))

    def score(self, body: bytes, content_type: str, headers: list[tuple[bytes, bytes]], method: str = "POST",
              path: str = "/score", query: str = "") -> Reply:
        if self.rawhttp:
            return self._raw(body, headers, method, path, query)
        if method != "POST":
            return error(405, f"{method} /score needs a run() decorated with @rawhttp; send POST")
        if self.decorated:
            if not is_json(content_type):
                return error(415, "Expects Content-Type to be application/json")
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                try:
                    parsed = json.loads(body)
                except (ValueError, UnicodeDecodeError) as exc:
                    if not body:
                        return error(400, "POST body is empty. Expecting a JSON dictionary.")
                    return error(400, f"POST body could not be decoded as JSON: {exc}")
            if not isinstance(parsed, dict):
                return error(400, "POST body should be a JSON dictionary.")
            kwargs = {}
            for p in self.params:
                value = parsed.get(p.name, p.default)
                if value is inspect.Parameter.empty:
                    return error(400, f"A value is not provided for the {p.name!r} parameter.")
                kwargs[p.name] = value
        else:
            try:
                kwargs = {self.params[0].name: body.decode("utf-8")}
            except UnicodeDecodeError as exc:
                return error(400, f"Input cannot be decoded as UTF-8: {exc}")
        if self.wants_headers:
            kwargs["request_headers"] = {
                "-".join(p.capitalize() for p in k.decode("latin-1").split("-")): v.decode("latin-1") for k, v in headers
            }
        try:
            output = self.run(**kwargs)
        except Exception as exc:
            if self.decorated and _raised_by_inference_schema(exc, self.script):
                return error(400, f"input does not match the script's input schema: {exc}")
            traceback.print_exc()  # lands in this deployment's log, whatever the answer says
            if self.config.return_script_errors:
                return error(500, f"run() raised {type(exc).__name__}: {exc}", run_function_failed=True)
            return error(500, f"run() raised {type(exc).__name__}; the message is in the deployment's log "
                         "(return_script_errors=True returns it)", run_function_failed=True)
        try:
            return Reply(200, dumps(output))
        except Exception as exc:
            return error(500, f"run() returned a value that is not JSON serializable: {exc}", run_function_failed=True)

    def _raw(self, body: bytes, headers, method: str, path: str, query: str) -> Reply:
        """@rawhttp: run() gets the request; an AMLResponse sets status, headers and body."""
        from .azureml.aml_request import AMLRequest
        from .azureml.aml_response import AMLResponse

        request = AMLRequest(method, path, query, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers], body)
        try:
            output = self.run(request)
        except Exception as exc:
            traceback.print_exc()
            if self.config.return_script_errors:
                return error(500, f"run() raised {type(exc).__name__}: {exc}", run_function_failed=True)
            return error(500, f"run() raised {type(exc).__name__}; the message is in the deployment's log "
                         "(return_script_errors=True returns it)", run_function_failed=True)
        if isinstance(output, AMLResponse):
            extra = tuple((k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in output.headers.items()
                          if k.lower() not in ("content-type", "content-length"))
            return Reply(output.status_code, output.data, output.content_type.encode("latin-1"), extra)
        if isinstance(output, (bytes, bytearray)):
            return Reply(200, bytes(output), b"application/octet-stream")
        try:
            return Reply(200, dumps(output))
        except Exception as exc:
            return error(500, f"run() returned a value that is not JSON serializable: {exc}", run_function_failed=True)

    def swagger_schemas(self) -> tuple[dict, dict]:
        from inference_schema.schema_util import get_input_schema, get_output_schema, is_schema_decorated

        if not is_schema_decorated(self.run):
            return {"type": "object", "example": {}}, {"type": "object", "example": {}}
        return get_input_schema(self.run), get_output_schema(self.run)

    def user_swagger(self, version: str) -> dict | None:
        """A swagger file shipped next to the script wins, as in azmlinfsrv."""
        root = Path(self.config.code_dir or Path(self.script).parent)
        names = ["swagger.json", "swagger2.json"] if version == "2" else [f"swagger{version}.json"]
        for name in names:
            if (root / name).is_file():
                return json.loads((root / name).read_text(encoding="utf-8"))
        return None


def load_scorer(config: DeploymentConfig):
    return ScriptScorer(config) if config.scoring_script else MLflowScorer(config)


def swagger_document(endpoint: str, scorer, version: str) -> dict | None:
    if version not in ("2", "2.0", "3", "3.0"):
        return None
    version = version[0]
    if isinstance(scorer, ScriptScorer):
        custom = scorer.user_swagger(version)
        if custom is not None:
            return custom
    inp, out = scorer.swagger_schemas()
    error_schema = {"type": "object", "properties": {"message": {"type": "string"}}}
    score = {
        "operationId": "RunMLService",
        "description": "Run web service's model and get the prediction output",
        "security": [{"Bearer": []}],
        "responses": {
            "200": {"description": "The prediction", "schema": {"$ref": "#/definitions/ServiceOutput"}},
            "default": {"description": "An error", "schema": {"$ref": "#/definitions/ErrorResponse"}},
        },
    }
    if version == "2":
        score["parameters"] = [
            {"name": "serviceInputPayload", "in": "body", "schema": {"$ref": "#/definitions/ServiceInput"}}
        ]
        return {
            "swagger": "2.0",
            "info": {"title": endpoint, "description": f"API specification for the endpoint {endpoint}",
                     "version": "1.0"},  # fmt: skip
            "schemes": ["http"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "securityDefinitions": {
                "Bearer": {"type": "apiKey", "name": "Authorization", "in": "header",
                           "description": "For example: Bearer abc123"}  # fmt: skip
            },
            "paths": {
                "/": {"get": {"operationId": "ServiceHealthCheck", "responses": {"200": {"description": "Healthy"}}}},
                "/score": {"post": score},
            },
            "definitions": {"ServiceInput": inp, "ServiceOutput": out, "ErrorResponse": error_schema},
        }
    ref = {"$ref": "#/components/schemas/ServiceOutput"}
    score["responses"] = {"200": {"description": "The prediction", "content": {"application/json": {"schema": ref}}}}
    score["requestBody"] = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServiceInput"}}}
    }
    return {
        "openapi": "3.0.1",
        "info": {"title": endpoint, "version": "1.0"},
        "paths": {"/score": {"post": score}},
        "components": {
            "securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"ServiceInput": inp, "ServiceOutput": out, "ErrorResponse": error_schema},
        },
    }


def apply_env(env: dict[str, str]) -> dict[str, str | None]:
    """Set variables; return what to restore."""
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    return previous


def restore_env(previous: dict[str, str | None]) -> None:
    for k, v in previous.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
