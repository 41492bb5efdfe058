"""One monitor run, as a job: judge a window of collected data (or a data asset version) against
the monitor's baseline.

    python -m jupyter_mlservice.core.monitoring.run --config MONITOR_JSON --end 2026-12-03T14:00:00+00:00

``MONITOR_JSON`` is written by the monitor controller (the monitor's settings with its paths and
model resolved). The run reads the baseline's profile from the cache (building it the first
time: once per baseline version), folds the window's inputs and predictions into its bins,
judges every signal and writes ``monitor_result.json`` to the job's outputs, where the service
picks it up when the job ends. A breach is a result, not a failure: the job fails only when the
run cannot be made (an unreadable baseline, a feature it lacks...), with a message saying why.

A baseline or current data given as a data asset (``data:iris@2``) is a job input: the jobs code
resolves it when the job starts (``data:iris`` = the latest version then), checks it, records the
lineage, and hands the run its local path in ``MLSERVICE_INPUT_BASELINE`` / ``MLSERVICE_INPUT_CURRENT``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import MLServiceError
from ..paths import PathPolicy
from .collected import window_batches
from .collection import INPUTS, META, OUTPUTS
from .schemas import parse_window
from .profile import EDGE_SAMPLE, Profile, build_profile
from .signals import SignalError, evaluate, histogram
from .sources import expand, file_batches, schema_of, spread_sample

RESULT_FILE = "monitor_result.json"
PREDICTION_SAMPLE = 20_000  # baseline rows scored by the model when the baseline has no predictions
IMPORTANCE_ROWS = 2_000


class RunError(Exception):
    """The run cannot be made; the message says what to change."""


def log(message: str) -> None:
    print(f"mlservice-monitor: {message}", flush=True)


# ---- the baseline -------------------------------------------------------------------------------


def data_files(config: dict[str, Any], role: str) -> list[Path]:
    """The CSV/Parquet files of the baseline or of the current data (``role``): a server path, or
    the local path of the data asset version this job was given as an input."""
    given = config["baseline"] if role == "baseline" else config["source"]["name"]
    if given.startswith("data:"):
        path = os.environ.get(f"MLSERVICE_INPUT_{role.upper()}")
        if not path:
            raise RunError(f"{role} {given!r} is a data asset, which the job gets as input {role!r}; run it as the monitor's job")
        # the server laid the version out for this job (inside its workspace folder): in reach as given
        paths = PathPolicy(config["root_dir"], [path])
    else:
        path = given
        paths = PathPolicy(config["root_dir"], config.get("allowed_paths") or [], hidden=[config["workspace_dir"]])
    try:  # checked when the monitor was made; a glob's matches or a link may have changed since
        files = expand(paths, path)
    except MLServiceError as exc:
        raise RunError(exc.message) from None
    if not files:
        where = "its version holds" if given.startswith("data:") else f"paths are relative to {config['root_dir']}"
        raise RunError(f"{role} {given!r} matches no CSV or Parquet file ({where})")
    return files


def baseline_files(config: dict[str, Any]) -> list[Path]:
    return data_files(config, "baseline")


def baseline_key(files: list[Path], kinds: dict[str, str]) -> str:
    """What identifies a baseline version: its files as they are now (a changed file is a new version)."""
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    h.update(json.dumps(kinds, sort_keys=True).encode())
    return h.hexdigest()[:24]


def load_profile(config: dict[str, Any], files: list[Path], key: str) -> tuple[Profile, pa.Table]:
    """The baseline's profile (every monitorable column) and a uniform sample of its rows,
    from the cache or built now (once per baseline version)."""
    import pyarrow.parquet as pq

    cache = Path(config["profiles_dir"])
    path, sample_path = cache / f"{key}.json", cache / f"{key}.sample.parquet"
    if path.is_file() and sample_path.is_file():
        return Profile.from_dict(json.loads(path.read_text())), pq.read_table(sample_path)
    t0 = time.perf_counter()
    try:
        profile = build_profile(lambda: file_batches(files), kinds=config.get("feature_kinds") or {}, sample_rows=PREDICTION_SAMPLE,
                                open_sample=spread_sample(files, 2 * EDGE_SAMPLE))  # fmt: skip
    except ValueError as exc:
        raise RunError(f"baseline {config['baseline']!r}: {exc}") from None
    log(f"profiled the baseline ({profile.rows} rows, {len(profile.features)} columns) in {time.perf_counter() - t0:.1f} s")
    cache.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, json.dumps(profile.to_dict()))
    tmp = sample_path.with_name(f".{sample_path.name}.{os.getpid()}")
    pq.write_table(profile.sample, tmp)
    os.replace(tmp, sample_path)
    return profile, profile.sample


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---- the model ----------------------------------------------------------------------------------


class Model:
    """The deployed model (for feature importance and the baseline's predictions)."""

    def __init__(self, info: dict[str, Any]):
        self.info = info
        self.path = info["path"]
        self.key = hashlib.sha256(f"{Path(self.path).resolve()}|{info.get('version')}".encode()).hexdigest()[:16]
        self._model = None

    @property
    def pyfunc(self):
        if self._model is None:
            import warnings

            import mlflow.pyfunc

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._model = mlflow.pyfunc.load_model(self.path)
        return self._model

    def input_names(self) -> list[str] | None:
        try:
            from mlflow.models import Model as MLmodel

            schema = MLmodel.load(self.path).get_input_schema()
        except Exception:  # noqa: BLE001 - no MLmodel file, no signature: the baseline's columns decide
            return None
        if schema is None or schema.is_tensor_spec():
            return None
        return [c.name for c in schema.inputs if c.name]

    def predict(self, frame):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.pyfunc.predict(frame)


def predictions_table(model: Model, sample: pa.Table, features: list[str]) -> pa.Table:
    """The model's predictions on the baseline sample, named as collected predictions are."""
    from .collection import output_columns

    out = model.predict(sample.select(features).to_pandas())
    if hasattr(out, "to_dict") and hasattr(out, "columns"):  # a DataFrame
        return pa.Table.from_pandas(out, preserve_index=False)
    import orjson

    body = orjson.dumps({"predictions": out.tolist() if hasattr(out, "tolist") else out}, option=orjson.OPT_SERIALIZE_NUMPY)
    _, cols = output_columns(body)
    return pa.table({k: pa.array(v) for k, v in cols.items()})


# ---- the run ------------------------------------------------------------------------------------


def signal_specs(config: dict[str, Any]) -> list:
    from pydantic import TypeAdapter

    from .schemas import Signal

    return TypeAdapter(list[Signal]).validate_python(config["signals"])


class Current:
    """The data a run judges: what was collected in ``[start, end)`` (an endpoint's or a batch
    collection's inputs and outputs), or a data asset version's files whole (its ``prediction``
    and ``prediction_*`` columns are the outputs, the rest the inputs)."""

    def __init__(self, config: dict[str, Any], start: datetime, end: datetime):
        source = config["source"]
        self.start, self.end = start, end
        self.files = data_files(config, "current") if source["kind"] == "data" else None
        self.folder, self.deployment = Path(source.get("folder") or "."), source.get("deployment")
        self.empty_note = "the current data has no rows" if self.files else "no rows were collected in the window"

    def columns(self, stream: str) -> list[str]:
        if self.files is None:
            return _collected_columns(self.folder, stream, self.start, self.end, self.deployment)
        return [n for n in schema_of(self.files).names if _is_output(n) == (stream == OUTPUTS)]

    def batches(self, stream: str, columns: list[str]):
        if self.files is None:
            return window_batches(self.folder, stream, self.start, self.end, self.deployment, columns=columns)
        return file_batches(self.files, columns=columns)


def _is_output(name: str) -> bool:
    return name == "prediction" or name.startswith("prediction_")


def judge(config: dict[str, Any], end: datetime) -> dict[str, Any]:
    t0 = time.perf_counter()
    data_source = config["source"]["kind"] == "data"
    start = end if data_source else end - parse_window(config["window"])
    current = Current(config, start, end)
    files = baseline_files(config)
    kinds = config.get("feature_kinds") or {}
    key = baseline_key(files, kinds)
    profile, sample = load_profile(config, files, key)
    model = Model(config["model"]) if config.get("model") else None

    # which columns are inputs
    features = config.get("features")
    if not features:
        names = model.input_names() if model else None
        features = [n for n in names if n in profile.features] if names and all(n in profile.features for n in names) else None
    if not features:
        out_cols = current.columns(OUTPUTS)
        features = [n for n in profile.features if n not in out_cols and n not in ("prediction", "target", "label")]
    missing = [f for f in features if f not in profile.features]
    if missing:
        schema = schema_of(files)
        raise RunError(f"the baseline has no monitorable column {', '.join(map(repr, missing))}; its columns: {', '.join(schema.names)}")
    specs = signal_specs(config)
    judged = config["source"]["name"] if data_source else f"window {start.isoformat()} .. {end.isoformat()}"
    log(f"{judged}, {len(features)} features, signals: {', '.join(s.type for s in specs)}")

    inputs_profile = profile.subset(features)
    window_in = inputs_profile.window(current.batches(INPUTS, features))
    rows = max((c.rows for c in window_in.values()), default=0)

    # predictions: collected ones against the baseline's (its own columns, or the model's on a sample)
    outputs = None
    out_names = [c for c in current.columns(OUTPUTS) if c not in META]
    wants_outputs = any(s.type == "prediction_drift" for s in specs)
    if wants_outputs and out_names:
        if all(n in profile.features for n in out_names):
            out_profile = profile.subset(out_names)
        elif model is not None:
            out_profile = _prediction_profile(config, key, model, sample, features)
            out_names = [n for n in out_names if n in out_profile.features]
            out_profile = out_profile.subset(out_names) if out_names else None
        else:
            out_profile = None
        if out_profile is not None and out_names:
            window_out = out_profile.window(current.batches(OUTPUTS, out_names))
            outputs = (out_profile, window_out)

    importance = _importance(config, key, model, sample, features, profile) if model is not None else None
    if rows == 0:
        results = [{"type": s.type, "breached": False, "tested": 0, "breaches": [], "features": [],
                    "summary": {"note": current.empty_note}} for s in specs]  # fmt: skip
    else:
        try:
            results = evaluate(specs, (inputs_profile, window_in), outputs, alpha=float(config.get("alpha", 0.05)), importance=importance)
        except SignalError as exc:
            raise RunError(str(exc)) from None
    charts = {n: histogram(inputs_profile.features[n], window_in[n]) for n in features} if rows else {}
    if outputs is not None and rows:
        charts.update({n: histogram(outputs[0].features[n], outputs[1][n]) for n in outputs[0].features})
    breached = any(r["breached"] for r in results)
    log(f"{rows} rows judged in {time.perf_counter() - t0:.1f} s: "
        + ", ".join(f"{r['type']} {'BREACHED (' + ', '.join(r['breaches']) + ')' if r['breached'] else 'ok'}" for r in results))  # fmt: skip
    return {
        "monitor": config["name"], "window_start": start.isoformat(), "window_end": end.isoformat(), "rows": rows,
        "baseline_rows": profile.rows, "baseline_key": key, "features": features, "breached": breached,
        "signals": results, "histograms": charts, "importance": importance, "model": (model.info if model else None),
    }  # fmt: skip


def _collected_columns(folder: Path, stream: str, start: datetime, end: datetime, deployment: str | None) -> list[str]:
    from .collected import window_files

    names: dict[str, None] = {}
    for path in window_files(folder, stream, start, end):
        import pyarrow.parquet as pq

        names.update(dict.fromkeys(pq.ParquetFile(path).schema_arrow.names))
    return [n for n in names if n not in META]


def _prediction_profile(config: dict[str, Any], key: str, model: Model, sample: pa.Table, features: list[str]) -> Profile:
    cache = Path(config["profiles_dir"]) / f"{key}.predictions-{model.key}.json"
    if cache.is_file():
        return Profile.from_dict(json.loads(cache.read_text()))
    predictions = predictions_table(model, sample, features)
    profile = build_profile(lambda: [predictions])
    _write_atomic(cache, json.dumps(profile.to_dict()))
    log(f"profiled the model's predictions on {sample.num_rows} baseline rows")
    return profile


def _importance(config, key: str, model: Model, sample: pa.Table, features: list[str], profile: Profile) -> dict[str, float] | None:
    from .importance import permutation_importance

    cache = Path(config["profiles_dir"]) / f"{key}.importance-{model.key}.json"
    if cache.is_file():
        stored = json.loads(cache.read_text())
        if sorted(stored) == sorted(features):
            return stored
    try:
        importance = permutation_importance(model.predict, sample.slice(0, IMPORTANCE_ROWS), features)
    except Exception as exc:  # noqa: BLE001 - a model that cannot score the baseline: no weights
        log(f"feature importance skipped: the model could not score the baseline sample: {type(exc).__name__}: {exc}")
        return None
    _write_atomic(cache, json.dumps(importance))
    return importance


def log_to_mlflow(result: dict[str, Any]) -> None:
    """The run is a job, so an MLflow run: its main figures become metrics there too."""
    if not os.environ.get("MLFLOW_RUN_ID"):
        return
    try:
        import mlflow

        metrics = {"rows": result["rows"], "breached": float(result["breached"])}
        for sig in result["signals"]:
            metrics[f"{sig['type']}.breaches"] = len(sig["breaches"])
            for row in sig.get("features", []):
                if row.get("statistic") is not None:
                    metrics[f"{sig['type']}.{row['feature']}"] = float(row["statistic"])
        client = mlflow.MlflowClient()
        from mlflow.entities import Metric

        ts = int(time.time() * 1000)
        safe = {k: v for k, v in metrics.items() if all(c.isalnum() or c in "_-. /" for c in k)}
        client.log_batch(os.environ["MLFLOW_RUN_ID"], metrics=[Metric(k, v, ts, 0) for k, v in safe.items()])
    except Exception as exc:  # noqa: BLE001 - metrics are a convenience
        log(f"could not log metrics to MLflow: {exc}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_mlservice.core.monitoring.run")
    parser.add_argument("--config", required=True, help="The monitor's JSON settings (written by the service).")
    parser.add_argument("--end", required=True, help="End of the window (ISO 8601); the window is the monitor's before it.")
    parser.add_argument("--output", help="Folder for monitor_result.json (default: the job's outputs).")
    args = parser.parse_args(argv)
    try:
        config = json.loads(Path(args.config).read_text())
    except (OSError, ValueError) as exc:
        print(f"mlservice-monitor: error: cannot read the monitor's settings {args.config}: {exc}", file=sys.stderr, flush=True)
        return 1
    end = datetime.fromisoformat(args.end.replace("Z", "+00:00"))
    end = end.replace(tzinfo=timezone.utc) if end.tzinfo is None else end.astimezone(timezone.utc)
    out_dir = Path(args.output or os.environ.get("MLSERVICE_OUTPUT_DIR") or ".")
    try:
        result = judge(config, end)
    except RunError as exc:
        print(f"mlservice-monitor: error: {exc}", file=sys.stderr, flush=True)
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / RESULT_FILE, json.dumps(_finite(result), default=_json_default))
    (out_dir / "monitor.json").write_text(json.dumps(config, indent=2))
    log_to_mlflow(result)
    return 0


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    import math

    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(type(value).__name__)


if __name__ == "__main__":
    sys.exit(main())
