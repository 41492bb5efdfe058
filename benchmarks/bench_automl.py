"""AutoML and sweeps, measured against their anchors in one run.

1. AutoML quality: our AutoML (a parent job: search child job(s), then the final step) at a time
   budget vs FLAML standalone at the same budget, same training rows and metric, scored on the
   same held-out test rows; and a default RandomForest. Data: breast_cancer, wine, diabetes and
   two make_classification sets of 50,000 rows. Target: ours >= 99.5% of FLAML's test score (or
   better) and better than the RandomForest.
2. Trial overhead: a sweep of N command trials (one at a time) vs the same command run bare and
   driven by plain Optuna, as the time per trial spent outside the command (each side's wall time
   minus the time the command itself stamped). Target: at most 150 ms more than bare.
3. Coordination cost per trial (sampling, reporting 10 steps, the median policy, telling the
   result; Optuna journal storage) at 1,000 in-process trials vs at 10. Target: at most 1.5x.
   Anchor: plain Optuna in memory doing the same.
4. Pruning: a 40-trial sweep of an iterative learner (SGD, one step per epoch) with the median
   policy vs without. Target: at most 60% of the trial compute (epochs) at a best objective
   within 1%.

    python benchmarks/bench_automl.py                 # everything, 120 s budgets (about 30 min)
    python benchmarks/bench_automl.py --budget 30 --only automl
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _workspace(root: Path):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.05))
    ws.start()
    return ws


def _wait(ws, job_id: str, timeout: float = 7200):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ws.jobs.get(job_id)
        if job.status.is_terminal:
            return job
        time.sleep(0.05)
    raise TimeoutError(job_id)


# ---- 1. AutoML quality ---------------------------------------------------------------------------


def datasets():
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine, make_classification

    out = {}
    for name, loader in (("breast_cancer", load_breast_cancer), ("wine", load_wine), ("diabetes", load_diabetes)):
        X, y = loader(return_X_y=True, as_frame=True)
        out[name] = (X, y, "regression" if name == "diabetes" else "classification")
    for seed, (informative, flip) in enumerate(((10, 0.05), (20, 0.15))):
        X, y = make_classification(n_samples=50_000, n_features=30, n_informative=informative, n_redundant=5, flip_y=flip, class_sep=0.8, random_state=seed)
        out[f"make_classification_{seed}"] = (pd.DataFrame(X, columns=[f"x{i}" for i in range(30)]), pd.Series(y), "classification")
    return out


def test_score(task, y, model, X, binary) -> float:
    from sklearn.metrics import r2_score, roc_auc_score

    if task == "regression":
        return float(r2_score(y, model.predict(X)))
    proba = model.predict_proba(X)
    return float(roc_auc_score(y, proba[:, 1]) if binary else roc_auc_score(y, proba, multi_class="ovr"))


def bench_automl(budget: float, only_data: list[str] | None) -> list[dict]:
    import mlflow
    from flaml import AutoML
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.model_selection import train_test_split

    from jupyter_mlservice.core.automl.schemas import AutoMLCreate

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-automl-"))
    ws = _workspace(tmp)
    try:
        for name, (X, y, task) in datasets().items():
            if only_data and name not in only_data:
                continue
            strat = y if task == "classification" else None
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=strat)
            binary = task == "classification" and y.nunique() == 2
            metric = "r2" if task == "regression" else "auc"

            flaml = AutoML()
            t0 = time.monotonic()
            flaml_metric = "r2" if task == "regression" else ("roc_auc" if binary else "roc_auc_ovr")
            flaml.fit(Xtr, ytr, task=task, metric=flaml_metric, time_budget=budget, verbose=0, seed=0)
            flaml_s = time.monotonic() - t0
            flaml_score = test_score(task, yte, flaml, Xte, binary)

            rf = (RandomForestRegressor if task == "regression" else RandomForestClassifier)(random_state=0, n_jobs=-1).fit(Xtr, ytr)
            rf_score = test_score(task, yte, rf, Xte, binary)

            Xtr.assign(label=ytr.values).to_parquet(tmp / f"{name}.parquet", index=False)
            t0 = time.monotonic()
            run = ws.automl.submit(AutoMLCreate(task=task, data=f"{name}.parquet", target_column="label", primary_metric=metric,
                                                time_budget_s=budget, experiment=f"bench-{name}"))
            job = _wait(ws, run.id)
            ours_s = time.monotonic() - t0
            done = ws.automl.get(run.id)
            if job.status != "Completed":
                raise RuntimeError(f"{name}: our AutoML run {job.status}: {job.error}")
            model = mlflow.sklearn.load_model(f"runs:/{ws.jobs.get(done.best_model_job_id).run_id}/model")
            ours = test_score(task, yte, model, Xte, binary)
            rows.append({
                "data": name, "metric": metric, "ours": ours, "flaml": flaml_score, "random_forest": rf_score,
                "ours/flaml": ours / flaml_score, "best": done.best_model.model, "trials": done.trials,
                "ours_s": ours_s, "flaml_s": flaml_s,
            })
            print(f"  {name:24} {metric} ours {ours:.4f} ({done.best_model.model}, {done.trials} trials, {ours_s:.0f} s wall) "
                  f"flaml {flaml_score:.4f} ({flaml_s:.0f} s)  rf {rf_score:.4f}  ours/flaml {ours / flaml_score:.4f}", flush=True)
    finally:
        ws.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


# ---- 2. trial overhead -----------------------------------------------------------------------------

TRIAL = "import mlflow, sys; mlflow.log_metric('score', float(sys.argv[1]), step=0)"
# The trial command stamps its own start and end, so each side's overhead is its wall time minus
# the time spent inside the command: a Python start-up that takes seconds on a loaded machine
# (and varies by more than the overhead) cancels out instead of swamping the figure.
STAMPED = 'stamps="$1"; shift; date +%s.%N >> "$stamps"; "$@"; rc=$?; date +%s.%N >> "$stamps"; exit $rc'


def _inside(stamps: Path) -> float:
    t = [float(v) for v in stamps.read_text().split()]
    return sum(b - a for a, b in zip(t[::2], t[1::2]))


def bench_overhead(n: int) -> dict:
    """Seconds per trial outside the trial command: run bare in a loop, driven by plain Optuna
    (in-memory study, the objective runs the command and reads the metric back from MLflow), and
    as our sweep (trial jobs one at a time, the default poll interval)."""
    import optuna
    from mlflow import MlflowClient

    from jupyter_mlservice.core.sweeps.schemas import SweepCreate
    from jupyter_mlservice.core.tracking import batching_uri
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    ws = Workspace(WorkspaceConfig(root_dir=tmp))
    ws.start()
    out = {"trials": n}
    try:
        (tmp / "stamped.sh").write_text(STAMPED + "\n")
        env = {**os.environ, "MLFLOW_TRACKING_URI": batching_uri(ws.config.tracking_uri, str(ws.config.artifact_root))}
        client = MlflowClient(ws.config.tracking_uri)

        def command(stamps: Path, x) -> list[str]:
            return ["/bin/sh", str(tmp / "stamped.sh"), str(stamps), sys.executable, "-c", TRIAL, str(x)]

        def run_one(stamps: Path, experiment: str, x: float) -> float:
            run_id = ws.experiments.create_run(experiment, "trial", {})
            subprocess.run(command(stamps, x), check=True, env={**env, "MLFLOW_RUN_ID": run_id}, cwd=tmp)
            return client.get_run(run_id).data.metrics["score"]

        stamps = tmp / "bare.txt"
        exp = ws.experiments.ensure_experiment("bench-bare")
        t0 = time.monotonic()
        for i in range(n):
            run_one(stamps, exp, i / n)
        out["bare"] = (time.monotonic() - t0, _inside(stamps))

        stamps = tmp / "optuna.txt"
        exp = ws.experiments.ensure_experiment("bench-optuna")
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
        t0 = time.monotonic()
        study.optimize(lambda trial: run_one(stamps, exp, trial.suggest_float("x", 0, 1)), n_trials=n)
        out["optuna"] = (time.monotonic() - t0, _inside(stamps))

        stamps = tmp / "sweep.txt"
        argv = shlex.join(command(stamps, 0)[:-1]) + " ${{search_space.x}}"
        t0 = time.monotonic()
        sweep = ws.sweeps.submit(SweepCreate(
            trial={"kind": "command", "command": argv}, search_space={"x": {"type": "uniform", "low": 0, "high": 1}},
            objective={"metric": "score"}, limits={"max_trials": n, "max_concurrent_trials": 1}, experiment="bench-sweep",
        ))
        job = _wait(ws, sweep.id)
        out["sweep"] = (time.monotonic() - t0, _inside(stamps))
        assert job.status == "Completed", job.error
        assert sum(ws.sweeps.get(sweep.id).counts.values()) == n
    finally:
        ws.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for side in ("bare", "optuna", "sweep"):
        wall, inside = out[side]
        out[side] = {"wall_s": wall / n, "inside_s": inside / n, "outside_ms": (wall - inside) / n * 1000}
    out["overhead_ms"] = out["sweep"]["outside_ms"] - out["bare"]["outside_ms"]
    out["vs_optuna_ms"] = out["sweep"]["outside_ms"] - out["optuna"]["outside_ms"]
    return out


# ---- 3. coordination cost ----------------------------------------------------------------------


def _coordination_space(n: int):
    from jupyter_mlservice.core.sweeps.schemas import SweepCreate

    return SweepCreate(trial={"kind": "code", "source": "pass"}, search_space={"x": {"type": "uniform", "low": 0, "high": 1}, "k": {"type": "choice", "values": ["a", "b"]}},
                       objective={"metric": "score"}, early_termination={"policy": "median", "min_completed_trials": 5}, seed=0, limits={"max_trials": n})


def bench_coordination(n: int, steps: int = 10) -> float:
    """Mean seconds of coordination per trial over a sweep of n in-process trials (our engine on
    its journal storage, as a local workspace keeps it)."""
    from jupyter_mlservice.core.sweeps.engine import Progress, SweepEngine, open_storage

    tmp = Path(tempfile.mkdtemp(prefix="bench-coord-"))
    engine = SweepEngine(_coordination_space(n), open_storage(tmp, "sqlite://", "coord"), "coord")
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(n):
        _, tid, params = engine.ask()
        progress = Progress()
        quality = params["x"]
        stopped = False
        for step in range(steps):
            if engine.report(tid, [(step, quality * (step + 1) / steps + rng.normal(0, 0.01))], progress):
                stopped = True
                break
        engine.tell(tid, "pruned" if stopped else "complete", None if stopped else quality)
    per_trial = (time.perf_counter() - t0) / n
    shutil.rmtree(tmp, ignore_errors=True)
    return per_trial


def bench_coordination_optuna(n: int, steps: int = 10) -> float:
    """The anchor: plain Optuna, in memory (no storage at all), the same space, sampler, pruner,
    reports and tells."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0))
    dists = {"x": optuna.distributions.FloatDistribution(0, 1), "k": optuna.distributions.CategoricalDistribution(["a", "b"])}
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(n):
        trial = study.ask(dists)
        quality = trial.params["x"]
        stopped = False
        for step in range(steps):
            trial.report(quality * (step + 1) / steps + rng.normal(0, 0.01), step)
            if trial.should_prune():
                stopped = True
                break
        if stopped:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, quality)
    return (time.perf_counter() - t0) / n


# ---- 4. pruning ------------------------------------------------------------------------------------


def bench_pruning(trials: int = 40, epochs: int = 30) -> dict:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split

    from jupyter_mlservice.core.sweeps.engine import Progress, SweepEngine, open_storage
    from jupyter_mlservice.core.sweeps.schemas import SweepCreate

    X, y = make_classification(n_samples=20_000, n_features=40, n_informative=15, random_state=0)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0)
    out = {}
    for policy in (None, {"policy": "median", "min_completed_trials": 5, "delay_evaluation": 3}):
        tmp = Path(tempfile.mkdtemp(prefix="bench-prune-"))
        spec = SweepCreate(
            trial={"kind": "code", "source": "pass"}, objective={"metric": "val_acc", "goal": "maximize"}, seed=0, early_termination=policy,
            search_space={"alpha": {"type": "loguniform", "low": 1e-6, "high": 1.0}, "eta0": {"type": "loguniform", "low": 1e-5, "high": 1.0},
                          "learning_rate": {"type": "choice", "values": ["constant", "invscaling", "adaptive"]}},
            limits={"max_trials": trials},
        )
        engine = SweepEngine(spec, open_storage(tmp, "sqlite://", "prune"), "prune")
        run_epochs, best, t0 = 0, -math.inf, time.perf_counter()
        for _ in range(trials):
            _, tid, p = engine.ask()
            model = SGDClassifier(alpha=p["alpha"], eta0=p["eta0"], learning_rate=p["learning_rate"], random_state=0)
            progress, stopped, acc = Progress(), False, 0.0
            for epoch in range(epochs):
                model.partial_fit(Xtr, ytr, classes=[0, 1])
                run_epochs += 1
                acc = float(model.score(Xva, yva))
                if engine.report(tid, [(epoch, acc)], progress):
                    stopped = True
                    break
            engine.tell(tid, "pruned" if stopped else "complete", None if stopped else acc)
            if not stopped:
                best = max(best, acc)
        out["pruned" if policy else "full"] = {"epochs": run_epochs, "best": best, "seconds": time.perf_counter() - t0}
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=120)
    parser.add_argument("--only", choices=["automl", "overhead", "coordination", "pruning"], action="append")
    parser.add_argument("--data", action="append", help="AutoML data sets to run (default: all five)")
    parser.add_argument("--overhead-trials", type=int, default=10)
    args = parser.parse_args()
    parts = args.only or ["coordination", "pruning", "overhead", "automl"]
    ok = True
    if "coordination" in parts:
        small, large = bench_coordination(10), bench_coordination(1000)
        o_small, o_large = bench_coordination_optuna(10), bench_coordination_optuna(1000)
        ratio = large / small
        ok &= ratio <= 1.5
        print(f"coordination per trial: {small * 1000:.1f} ms at 10 trials, {large * 1000:.1f} ms at 1,000 -> {ratio:.2f}x (target <= 1.5x); "
              f"plain Optuna in memory: {o_small * 1000:.1f} ms at 10, {o_large * 1000:.1f} ms at 1,000 -> {o_large / o_small:.2f}x; "
              f"ours / Optuna in memory: {small / o_small:.2f}x at 10, {large / o_large:.2f}x at 1,000", flush=True)
    if "pruning" in parts:
        r = bench_pruning()
        share = r["pruned"]["epochs"] / r["full"]["epochs"]
        gap = (r["full"]["best"] - r["pruned"]["best"]) / r["full"]["best"]
        ok &= share <= 0.6 and gap <= 0.01
        print(f"median pruning, 40 trials: {r['pruned']['epochs']} of {r['full']['epochs']} epochs ({share:.0%}, target <= 60%), "
              f"best val_acc {r['pruned']['best']:.4f} vs {r['full']['best']:.4f} without ({gap:+.2%} worse, target <= 1%); "
              f"{r['pruned']['seconds']:.0f} s vs {r['full']['seconds']:.0f} s", flush=True)
    if "overhead" in parts:
        r = bench_overhead(args.overhead_trials)
        ok &= r["overhead_ms"] <= 150
        for side in ("bare", "optuna", "sweep"):
            v = r[side]
            print(f"  {side:7} {v['wall_s']:.3f} s per trial, {v['inside_s']:.3f} s inside the command, {v['outside_ms']:.0f} ms outside", flush=True)
        print(f"trial overhead ({r['trials']} trials): sweep {r['overhead_ms']:+.0f} ms per trial vs bare (target <= 150 ms), "
              f"{r['vs_optuna_ms']:+.0f} ms vs plain Optuna driving the same command", flush=True)
    if "automl" in parts:
        print(f"AutoML at {args.budget:g} s (test score; auc for classification, r2 for diabetes):", flush=True)
        rows = bench_automl(args.budget, args.data)
        for row in rows:
            ok &= row["ours/flaml"] >= 0.995 and row["ours"] > row["random_forest"]
        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"), flush=True)
    print("all targets met" if ok else "some targets missed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
