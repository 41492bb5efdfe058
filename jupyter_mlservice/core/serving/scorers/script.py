"""The Azure ML scoring-script contract (`/score`): ``init()`` once, ``run(raw_data)`` per
request, inference-schema decorators, and a swagger file shipped next to the script."""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import traceback
from pathlib import Path

import orjson

from ..config import DeploymentConfig
from .base import Reply, Scorer, dumps, error, is_json

_INFERENCE_SCHEMA_DIR = None


def _schema_util():
    """inference-schema's ``schema_util``, or None where it is not installed (an environment it does
    not fit in): no run() there can carry its decorators, so none is decorated."""
    try:
        from inference_schema import schema_util
    except ImportError:
        return None
    return schema_util


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


def _run_failed(exc: Exception, return_script_errors: bool) -> Reply:
    """run() raised: the traceback goes to the deployment's log; the message is answered only with
    return_script_errors, as Azure's server does."""
    traceback.print_exc()
    if return_script_errors:
        return error(500, f"run() raised {type(exc).__name__}: {exc}", run_function_failed=True)
    return error(500, f"run() raised {type(exc).__name__}; the message is in the deployment's log "
                 "(return_script_errors=True returns it)", run_function_failed=True)


def _json_reply(output) -> Reply:
    try:
        return Reply(200, dumps(output))
    except Exception as exc:
        return error(500, f"run() returned a value that is not JSON serializable: {exc}", run_function_failed=True)


class ScriptScorer(Scorer):
    """The Azure ML contract: ``init()`` once, ``run(raw_data)`` per request, as azmlinfsrv does it."""

    kind = "script"

    def __init__(self, config: DeploymentConfig):
        super().__init__(config)
        path = config.script_path()
        if path is None or not path.is_file():
            raise FileNotFoundError(f"scoring script not found: {path}")
        self.script = str(path.resolve())
        code_dir = str(Path(config.code_dir).resolve()) if config.code_dir else str(path.resolve().parent)
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
        from ..azureml import install

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
        schema_util = _schema_util()
        params = list(inspect.signature(self.run).parameters.values())
        if any(p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
            raise TypeError("run() cannot accept positional-only arguments, *args, or **kwargs")
        self.wants_headers = any(p.name == "request_headers" for p in params)
        params = [p for p in params if p.name != "request_headers"]
        if not params:
            raise TypeError("run() needs to accept an argument for input data")
        self.decorated = schema_util is not None and schema_util.is_schema_decorated(self.run)
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
            return _run_failed(exc, self.config.return_script_errors)
        return _json_reply(output)

    def _raw(self, body: bytes, headers, method: str, path: str, query: str) -> Reply:
        """@rawhttp: run() gets the request; an AMLResponse sets status, headers and body."""
        from ..azureml.aml_request import AMLRequest
        from ..azureml.aml_response import AMLResponse

        request = AMLRequest(method, path, query, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers], body)
        try:
            output = self.run(request)
        except Exception as exc:
            return _run_failed(exc, self.config.return_script_errors)
        if isinstance(output, AMLResponse):
            extra = tuple((k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in output.headers.items()
                          if k.lower() not in ("content-type", "content-length"))
            return Reply(output.status_code, output.data, output.content_type.encode("latin-1"), extra)
        if isinstance(output, (bytes, bytearray)):
            return Reply(200, bytes(output), b"application/octet-stream")
        return _json_reply(output)

    def swagger_schemas(self) -> tuple[dict, dict]:
        if not self.decorated:
            return {"type": "object", "example": {}}, {"type": "object", "example": {}}
        schema_util = _schema_util()
        return schema_util.get_input_schema(self.run), schema_util.get_output_schema(self.run)

    def swagger_versions(self) -> list[str]:
        """What inference-schema can write this run()'s schemas in (swagger 2 has no multi-type arrays)."""
        ours = {"2.0": "2", "3.0": "3", "3.1": "3.1"}
        if not self.decorated:  # no schemas: every version can say "an object"
            return list(ours.values())
        return [ours[v] for v in _schema_util().get_supported_versions(self.run) if v in ours]

    def user_swagger(self, version: str) -> dict | None:
        """A swagger file shipped next to the script wins, as in azmlinfsrv: swagger.json or swagger2.json
        for 2, swagger3.json for 3, swagger3.1.json for 3.1."""
        root = Path(self.config.code_dir or Path(self.script).parent)
        names = ["swagger.json", "swagger2.json"] if version == "2" else [f"swagger{version}.json"]
        for name in names:
            if (root / name).is_file():
                return json.loads((root / name).read_text(encoding="utf-8"))
        return None
