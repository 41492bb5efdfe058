"""The evaluation job: score a candidate and a baseline model version on the same labelled rows,
compare them per metric with a paired bootstrap interval, and judge the gate.

    python -m jupyter_mlservice.core.evaluations.run --config EVALUATION_JSON      (ml.models.evaluate)
    python -m jupyter_mlservice.core.evaluations.run --data PATH --candidate iris --baseline iris@champion \
        --target-column species --metric f1 --gate f1=0.0                        (a pipeline's gate step)

The rows come from the job's data input (``MLSERVICE_INPUT_DATA``, or ``--data``: a file or a
folder of CSV / Parquet / JSON lines). A gate step's model references are resolved when it runs
(``iris`` is the newest version); when its gate fails it exits with REJECTED_EXIT and says why,
which fails the step and ends the pipeline as rejected. Both models are loaded with ``mlflow.pyfunc`` from the registry; each
side is also evaluated by MLflow's own ``mlflow.models.evaluate`` in a child run of the job's run,
so MLflow's UI shows the two side by side. The result goes to ``evaluation.json`` in the job's
outputs, where the service reads it when the job ends.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

RESULT_FILE = "evaluation.json"
REJECTED_EXIT = 3
GATE_TAG = "gate"  # a gate step tags the candidate version gate=passed or gate=rejected
HIGHER_IS_BETTER = {"accuracy": True, "balanced_accuracy": True, "f1": True, "precision": True, "recall": True,
                    "r2": True, "rmse": False, "mae": False}


def read_rows(path: Path):
    import pandas as pd

    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    frames = []
    for f in files:
        suffix = f.suffix.lower()
        if suffix == ".csv":
            frames.append(pd.read_csv(f))
        elif suffix in (".parquet", ".pq"):
            frames.append(pd.read_parquet(f))
        elif suffix in (".jsonl", ".json"):
            frames.append(pd.read_json(f, lines=True))
    if not frames:
        raise SystemExit(f"no CSV, Parquet or JSON lines rows in {path}")
    return pd.concat(frames, ignore_index=True)


def score(metric: str, y, p, labels) -> float:
    from sklearn import metrics as m

    if metric == "accuracy":
        return float(np.mean(y == p))
    if metric == "balanced_accuracy":
        return float(m.balanced_accuracy_score(y, p))
    if metric in ("f1", "precision", "recall"):
        fn = {"f1": m.f1_score, "precision": m.precision_score, "recall": m.recall_score}[metric]
        binary = len(labels) == 2
        kw = {"average": "binary", "pos_label": labels[-1]} if binary else {"average": "macro", "labels": labels}
        return float(fn(y, p, zero_division=0, **kw))
    if metric == "r2":
        return float(m.r2_score(y, p))
    if metric == "rmse":
        return float(np.sqrt(np.mean((y - p) ** 2)))
    if metric == "mae":
        return float(np.mean(np.abs(y - p)))
    raise ValueError(metric)


def compare(task: str, metrics: list[str], y, cand, base, *, gate: dict[str, float] | None, confidence: float,
            resamples: int, seed: int = 0) -> list[dict[str, Any]]:
    """Per metric: both values, the difference (positive = candidate better) and its paired
    bootstrap interval: the same resampled rows score both models in each resample."""
    labels = sorted(set(y.tolist()) | set(cand.tolist()) | set(base.tolist()), key=str) if task == "classification" else []
    rng = np.random.default_rng(seed)
    n = len(y)
    out = []
    for metric in metrics:
        sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
        c, b = score(metric, y, cand, labels), score(metric, y, base, labels)
        diffs = np.empty(resamples)
        if metric == "accuracy":  # vectorised: the mean of per-row correctness differences
            delta = (cand == y).astype(float) - (base == y).astype(float)
            for start in range(0, resamples, 100):
                idx = rng.integers(0, n, size=(min(100, resamples - start), n))
                diffs[start:start + len(idx)] = delta[idx].mean(axis=1)
        else:
            for i in range(resamples):
                idx = rng.integers(0, n, size=n)
                diffs[i] = sign * (score(metric, y[idx], cand[idx], labels) - score(metric, y[idx], base[idx], labels))
        tail = (1 - confidence) / 2
        low, high = (float(np.quantile(diffs, tail)), float(np.quantile(diffs, 1 - tail)))
        difference = sign * (c - b)
        margin = (gate or {}).get(metric)
        passed = None if margin is None else bool(difference > margin and low > margin)
        out.append({"metric": metric, "higher_is_better": HIGHER_IS_BETTER[metric], "candidate": c, "baseline": b,
                    "difference": difference, "interval": [low, high], "margin": margin, "passed": passed})
    return out


def _flat(predictions) -> np.ndarray:
    arr = np.asarray(predictions.iloc[:, 0] if hasattr(predictions, "iloc") and getattr(predictions, "ndim", 1) == 2 else predictions)
    return arr.reshape(len(arr), -1)[:, 0] if arr.ndim > 1 else arr


def _mlflow_evaluate(frame, target: str, task: str, label: str) -> dict[str, Any]:
    """MLflow's own evaluation of one side's predictions, in a child run of the job's run."""
    import mlflow

    try:
        with mlflow.start_run(run_name=label, nested=True):
            result = mlflow.models.evaluate(data=frame, predictions="prediction", targets=target,
                                            model_type="classifier" if task == "classification" else "regressor",
                                            evaluator_config={"log_model_explainability": False})
            return {k: float(v) for k, v in result.metrics.items() if isinstance(v, (int, float))}
    except Exception as exc:  # noqa: BLE001 - MLflow's extra view; our comparison stands without it
        print(f"mlflow.models.evaluate of {label} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return {"error": f"{type(exc).__name__}: {exc}"}


def resolve(ref: str) -> dict[str, str]:
    """``iris`` (newest), ``iris:3``, ``iris@champion`` -> {"name", "version"}, from the registry."""
    from mlflow import MlflowClient

    client = MlflowClient()
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return {"name": name, "version": str(client.get_model_version_by_alias(name, alias).version)}
    name, _, version = ref.partition(":")
    if version:
        return {"name": name, "version": version}
    versions = client.search_model_versions(f"name = '{name}'")
    if not versions:
        raise SystemExit(f"model {name!r} has no versions")
    return {"name": name, "version": str(max(int(v.version) for v in versions))}


def gate_config(args) -> dict[str, Any]:
    """A gate step's command line as an evaluation config."""
    from .schemas import METRICS

    unknown = [m for m in args.metric if m not in METRICS]
    if unknown:
        raise SystemExit(f"unknown metric(s) {', '.join(unknown)}; use {', '.join(METRICS)}")
    gate = {}
    for item in args.gate or []:
        metric, _, margin = item.partition("=")
        gate[metric] = float(margin or 0)
    config = {"candidate": resolve(args.candidate), "baseline": resolve(args.baseline), "target_column": args.target_column,
              "task": METRICS[args.metric[0]][0], "metrics": args.metric, "gate": gate or None, "confidence": args.confidence,
              "bootstrap": args.bootstrap}
    if config["candidate"] == config["baseline"]:
        raise SystemExit(f"candidate and baseline are the same version ({args.candidate} = {args.baseline})")
    return config


def summary(comparisons: list[dict[str, Any]]) -> str:
    return "; ".join(f"{c['metric']}: candidate {c['candidate']:.4f} vs baseline {c['baseline']:.4f}, difference {c['difference']:+.4f} "
                     f"[{c['interval'][0]:+.4f}, {c['interval'][1]:+.4f}]" + ("" if c["margin"] is None else f" vs margin {c['margin']:g}")
                     for c in comparisons)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_mlservice.core.evaluations.run")
    parser.add_argument("--config")
    parser.add_argument("--data")
    parser.add_argument("--report", help="also write the result here (a folder: a gate step's output)")
    parser.add_argument("--candidate")
    parser.add_argument("--baseline")
    parser.add_argument("--target-column")
    parser.add_argument("--metric", action="append", default=[])
    parser.add_argument("--gate", action="append")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.config:
        config = json.loads(Path(args.config).read_text())
    elif args.candidate and args.baseline and args.target_column and args.metric:
        config = gate_config(args)
    else:
        parser.error("give --config, or --candidate, --baseline, --target-column and --metric")
    data = Path(args.data or os.environ["MLSERVICE_INPUT_DATA"])
    out_dir = Path(os.environ.get("MLSERVICE_OUTPUT_DIR") or ".")
    import mlflow

    frame = read_rows(data)
    target = config["target_column"]
    if target not in frame.columns:
        raise SystemExit(f"target_column {target!r} is not a column of the data (it has: {', '.join(map(str, frame.columns))})")
    frame = frame.dropna(subset=[target])
    X, y = frame.drop(columns=[target]), frame[target].to_numpy()
    predictions = {}
    for side in ("candidate", "baseline"):
        ref = config[side]
        model = mlflow.pyfunc.load_model(f"models:/{ref['name']}/{ref['version']}")
        predictions[side] = _flat(model.predict(X))
        print(f"{side} {ref['name']}:{ref['version']}: scored {len(X)} rows")
    if config["task"] == "regression":
        y = y.astype(float)
        predictions = {k: v.astype(float) for k, v in predictions.items()}
    comparisons = compare(config["task"], config["metrics"], y, predictions["candidate"], predictions["baseline"], gate=config.get("gate"),
                          confidence=float(config["confidence"]), resamples=int(config["bootstrap"]))
    gated = [c["passed"] for c in comparisons if c["passed"] is not None]
    passed = all(gated) if gated else None
    with mlflow.start_run():  # the job's own run (MLFLOW_RUN_ID)
        mlflow.log_metrics({f"{side}_{c['metric']}": c[side] for c in comparisons for side in ("candidate", "baseline")})
        mlflow.log_metrics({f"difference_{c['metric']}_low": c["interval"][0] for c in comparisons})
        mlflow_metrics = {side: _mlflow_evaluate(X.assign(**{target: y, "prediction": predictions[side]}), target, config["task"],
                                                 f"{side} {config[side]['name']}:{config[side]['version']}")
                          for side in ("candidate", "baseline")}
    for c in comparisons:
        verdict = "" if c["passed"] is None else (" PASS" if c["passed"] else " FAIL")
        print(f"{c['metric']}: candidate {c['candidate']:.4f} baseline {c['baseline']:.4f} difference {c['difference']:+.4f} "
              f"interval [{c['interval'][0]:+.4f}, {c['interval'][1]:+.4f}] margin {c['margin']}{verdict}")
    result = {"rows": int(len(y)), "comparisons": comparisons, "passed": passed, "mlflow_metrics": mlflow_metrics,
              "candidate": config["candidate"], "baseline": config["baseline"], "summary": summary(comparisons)}
    (out_dir / RESULT_FILE).write_text(json.dumps(result, indent=1))
    if args.report:
        Path(args.report).mkdir(parents=True, exist_ok=True)
        (Path(args.report) / RESULT_FILE).write_text(json.dumps(result, indent=1))
    if passed is not None and not args.config:  # a gate step's verdict, on the candidate version (a trigger may act on it)
        from mlflow import MlflowClient

        cand = config["candidate"]
        MlflowClient().set_model_version_tag(cand["name"], cand["version"], GATE_TAG, "passed" if passed else "rejected")
    if passed is False and not args.config:  # a gate step: its failure is the verdict
        print(f"REJECTED: {config['candidate']['name']}:{config['candidate']['version']} does not beat "
              f"{config['baseline']['name']}:{config['baseline']['version']}: {result['summary']}")
        return REJECTED_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main())
