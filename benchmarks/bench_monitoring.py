"""Monitoring benchmark: our signals vs Evidently's data-drift preset, and collection's cost on serving.

    .venv/bin/python benchmarks/bench_monitoring.py                 # both parts
    .venv/bin/python benchmarks/bench_monitoring.py --part signals  # part 1 only
    .venv/bin/python benchmarks/bench_monitoring.py --part serving  # part 2 only

Part 1 (signals). A reference and a current dataset of 1,000,000 rows x 20 features (16 numeric
of four shapes, 4 categorical, a quarter of them shifted) plus a model's prediction column,
written once to Parquet. Each side then runs in its own subprocess, so its peak RSS is its own:

- ours: the baseline profile (two streaming passes), the window folded into its bins, and every
  signal: data drift (all five statistics per feature), prediction drift, data quality and
  importance-weighted drift (permutation importance of the model on a baseline sample);
- Evidently 0.7: ``Report([DataDriftPreset()])`` on the two files read with pandas, as its
  documentation shows.

Targets: ours >= 10x faster and <= 1/4 of Evidently's peak memory. Then ours alone on 1,000,000
rows x 100 features: under 10 s.

Part 2 (serving). An endpoint serving scikit-learn's iris model, one worker, key auth, loaded by
``wrk`` (1 thread, 8 connections) with collection off and on (inputs and outputs, sample rate
1.0), alternating round by round. Target: collection on costs at most 5% of req/s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CATEGORIES = ["alpha", "beta", "gamma", "delta", "epsilon"]


# ---- part 1: data -------------------------------------------------------------------------------


def write_dataset(path: Path, rows: int, features: int, shifted: bool, seed: int) -> None:
    """Written in row groups of 100,000 so the parent never holds the whole table."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    chunk = 100_000
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        cols = {}
        for i in range(features):
            moved = shifted and i % 4 == 0
            if i % 5 == 4:
                p = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
                cols[f"f{i}"] = pa.array(CATEGORIES)
                cols[f"f{i}"] = pa.DictionaryArray.from_arrays(
                    pa.array(rng.choice(5, n, p=p[::-1] if moved else p).astype(np.int32)), pa.array(CATEGORIES)
                ).dictionary_decode()
            elif i % 5 == 0:
                cols[f"f{i}"] = rng.normal(0.5 if moved else 0.0, 1.0, n)
            elif i % 5 == 1:
                cols[f"f{i}"] = rng.lognormal(0.0, 1.0, n) * (1.5 if moved else 1.0)
            elif i % 5 == 2:
                cols[f"f{i}"] = rng.poisson(4.0 if moved else 3.0, n).astype(np.int64)
            else:
                cols[f"f{i}"] = rng.uniform(0.0, 1.2 if moved else 1.0, n)
        cols["prediction"] = (np.asarray(cols["f0"]) + 0.5 * np.log(np.asarray(cols["f1"])) > 0.3).astype(np.int64)
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def predict(frame):
    """The model behind the prediction column (for permutation importance)."""
    import numpy as np

    return (frame["f0"].to_numpy() + 0.5 * np.log(frame["f1"].to_numpy()) > 0.3).astype(np.int64)


# ---- part 1: the two sides, each in its own process ---------------------------------------------


def child_ours(reference: Path, current: Path) -> dict:
    from jupyter_mlservice.core.monitoring.importance import permutation_importance
    from jupyter_mlservice.core.monitoring.schemas import DriftSignal, QualitySignal, WeightedDriftSignal
    from jupyter_mlservice.core.monitoring.profile import EDGE_SAMPLE, build_profile
    from jupyter_mlservice.core.monitoring.signals import evaluate, histogram
    from jupyter_mlservice.core.monitoring.sources import file_batches, spread_sample

    t0 = time.perf_counter()
    # as a monitor run builds it: edges from row groups spread over the file, then one counting pass
    profile = build_profile(lambda: file_batches([reference]), sample_rows=2000, open_sample=spread_sample([reference], 2 * EDGE_SAMPLE))
    window = profile.window(file_batches([current]))
    inputs = [n for n in profile.features if n != "prediction"]
    importance = permutation_importance(predict, profile.sample, inputs)
    signals = [DriftSignal(type="data_drift"), DriftSignal(type="prediction_drift"), QualitySignal(type="data_quality"),
               WeightedDriftSignal(type="weighted_drift")]  # fmt: skip
    pin, pout = profile.subset(inputs), profile.subset(["prediction"])
    results = evaluate(signals, (pin, {n: window[n] for n in inputs}), (pout, {"prediction": window["prediction"]}), importance=importance)
    charts = {n: histogram(profile.features[n], window[n]) for n in profile.features}
    seconds = time.perf_counter() - t0
    drift = results[0]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
        "drifted": sorted(drift["breaches"]), "charts": len(charts),
        "signals": {r["type"]: r["breached"] for r in results},
    }  # fmt: skip


def child_evidently(reference: Path, current: Path) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    import evidently_compat  # noqa: F401  (Evidently under pandas 3)
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    t0 = time.perf_counter()
    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    definition = DataDefinition(
        numerical_columns=[c for c in ref.columns if c != "prediction" and ref[c].dtype.kind in "if"],
        categorical_columns=[c for c in ref.columns if ref[c].dtype.kind not in "if" or c == "prediction"],
    )
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(cur, data_definition=definition), Dataset.from_pandas(ref, data_definition=definition)
    )
    drifted = []
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type") == "evidently:metric_v2:ValueDrift":
            value, threshold = metric["value"], config["threshold"]
            if (value < threshold) if "p_value" in config["method"] else (value >= threshold):
                drifted.append(config["column"])
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime, "drifted": sorted(drifted)}


def run_child(side: str, reference: Path, current: Path, timeout: float) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, "--reference", str(reference), "--current", str(current)],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise RuntimeError(f"{side} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_signals(args) -> None:
    work = Path(args.work or tempfile.mkdtemp(prefix="mlservice-bench-monitoring-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"part 1: signals; data in {work}")
    sets = [(args.rows, 20, not args.skip_evidently), (args.rows, 100, False)]
    for rows, features, with_evidently in sets:
        ref, cur = work / f"reference-{rows}x{features}.parquet", work / f"current-{rows}x{features}.parquet"
        if not ref.exists():
            t = time.perf_counter()
            write_dataset(ref, rows, features, shifted=False, seed=1)
            write_dataset(cur, rows, features, shifted=True, seed=2)
            print(f"  wrote {rows:,} x {features} (+ prediction) twice in {time.perf_counter() - t:.1f} s")
        ours = run_child("ours", ref, cur, timeout=3600)
        print(f"  ours       {rows:,} x {features}: {ours['seconds']:7.2f} s ({ours['cpu_s']:.1f} s CPU), peak RSS {ours['peak_mb']:7.0f} MiB, "
              f"drifted {len(ours['drifted'])}: {', '.join(ours['drifted'])}; signals {ours['signals']}")  # fmt: skip
        if features == 100:
            print(f"  target 1,000,000 x 100 under 10 s: {'OK' if ours['seconds'] < 10 else 'MISSED'}")
        if with_evidently:
            theirs = run_child("evidently", ref, cur, timeout=4 * 3600)
            print(f"  Evidently  {rows:,} x {features}: {theirs['seconds']:7.2f} s ({theirs['cpu_s']:.1f} s CPU), peak RSS {theirs['peak_mb']:7.0f} MiB, "
                  f"drifted {len(theirs['drifted'])}: {', '.join(theirs['drifted'])}")  # fmt: skip
            speed = theirs["seconds"] / ours["seconds"]
            memory = ours["peak_mb"] / theirs["peak_mb"]
            print(f"  speed-up {speed:.1f}x (target >= 10x: {'OK' if speed >= 10 else 'MISSED'}); "
                  f"memory {memory:.2f} of Evidently's (target <= 0.25: {'OK' if memory <= 0.25 else 'MISSED'})")  # fmt: skip


# ---- part 2: serving with collection on and off -------------------------------------------------


def part_serving(args) -> None:
    import shutil
    import statistics

    import requests

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_serving import MLFLOW_BODY, pyload, save_model, tree_cpu, wrk

    from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointProcess
    from jupyter_mlservice.core.serving.config import CollectConfig

    load = wrk if shutil.which("wrk") else pyload
    print(f"part 2: serving with collection off and on; load: {'wrk' if load is wrk else 'python asyncio'} "
          f"(1 thread, 8 connections), {args.duration:g} s rounds x {args.rounds}, alternating")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="bench-collect-"))
    model = work / "model"
    save_model(model)
    endpoints = {}
    try:
        for name, collect in (("off", None), ("on", CollectConfig(folder=str(work / "collected")))):
            ep = EndpointProcess.start(
                EndpointConfig(name=f"collect-{name}", deployments=[DeploymentConfig(name="blue", model_path=str(model), collect=collect)]),
                work / f"ep-{name}",
            )  # fmt: skip
            endpoints[name] = ep
        targets = {}
        for name, ep in endpoints.items():
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {ep.config.primary_key}"}
            assert requests.post(f"{ep.base_url}/invocations", data=MLFLOW_BODY, headers=headers, timeout=30).status_code == 200
            targets[name] = (f"{ep.base_url}/invocations", headers, ep.pid)
        results: dict[str, list[dict]] = {name: [] for name in targets}
        sent = 0
        for rnd in range(args.rounds):
            for name, (url, headers, pid) in targets.items():
                load(url, MLFLOW_BODY, headers, 2.0, 8)
                cpu = tree_cpu(pid)
                result = load(url, MLFLOW_BODY, headers, args.duration, 8)
                result["cpu_us"] = (tree_cpu(pid) - cpu) / max(1, result["rps"] * args.duration) * 1e6
                results[name].append(result)
                if name == "on":
                    sent += round(result["rps"] * args.duration)
                print(f"  round {rnd + 1} collection {name:3s} {result['rps']:8.0f} req/s  p50 {result['p50']:6.2f} ms  "
                      f"p99 {result['p99']:6.2f} ms  server CPU {result['cpu_us']:5.0f} us/req")  # fmt: skip
        med = {n: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99", "cpu_us")} for n, rs in results.items()}
        for name, m in med.items():
            print(f"  median collection {name:3s} {m['rps']:8.0f} req/s  p50 {m['p50']:6.2f} ms  p99 {m['p99']:6.2f} ms  "
                  f"server CPU {m['cpu_us']:5.0f} us/req")  # fmt: skip
        ratio = med["on"]["rps"] / med["off"]["rps"]
        print(f"  collection on keeps {ratio:.1%} of the req/s (target >= 95%: {'OK' if ratio >= 0.95 else 'MISSED'})")
        time.sleep(3)  # the writer's last flush
        text = requests.get(f"{endpoints['on'].base_url}/metrics", headers=targets["on"][1], timeout=10).text
        counts = {line.split("{")[0] + ("{" + line.split("{")[1].split("}")[0].split("reason=")[-1] + "}" if "reason" in line else ""): line.split()[-1]
                  for line in text.splitlines() if line.startswith(("mlservice_collected", "mlservice_collection_dropped"))}  # fmt: skip
        print(f"  written for monitoring: {counts}")
    finally:
        for ep in endpoints.values():
            ep.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["signals", "serving", "all"], default="all")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-evidently", action="store_true", help="Part 1 without the anchor (it takes many minutes).")
    parser.add_argument("--work", help="Folder for the datasets (kept; reused when present).")
    parser.add_argument("--duration", type=float, default=8.0, help="Part 2: seconds per wrk round.")
    parser.add_argument("--rounds", type=int, default=3, help="Part 2: rounds per setting.")
    parser.add_argument("--child", choices=["ours", "evidently"], help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--current", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fn = child_ours if args.child == "ours" else child_evidently
        print(json.dumps(fn(Path(args.reference), Path(args.current))))
        return
    if args.part in ("signals", "all"):
        part_signals(args)
    if args.part in ("serving", "all"):
        part_serving(args)


if __name__ == "__main__":
    main()
