"""What AutoML's child jobs run: ``search`` (FLAML over a share of the model families) and
``finalize`` (leaderboard, ensemble, the final model, permutation importance).

    python -m jupyter_mlservice.core.automl.worker search  <config.json>
    python -m jupyter_mlservice.core.automl.worker finalize <config.json>

A search logs every trial as a child MLflow run of the AutoML run (params, the validation score,
its training time; the best trial of each model family also gets its fitted model) and leaves
``result.pkl`` in its outputs (uploaded with the job's run). Finalize reads those results through
MLflow, so both may run on any target.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .featurize import WeightedEnsemble, add_lags, build_featurizer
from .schemas import CV_MAX_ROWS, DEFAULT_FOLDS, DEFAULT_HOLDOUT

ENSEMBLE_CANDIDATES = 5
ENSEMBLE_ROUNDS = 15
IMPORTANCE_ROWS = 2000
# The models hold LightGBM/XGBoost boosters and this package's transformers, which MLflow's
# default (skops) refuses to load without a list of trusted types.
SERIALIZATION = "cloudpickle"


# ---- data ------------------------------------------------------------------------------------


def load_xy(cfg: dict[str, Any], path: str) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_parquet(path)
    target = cfg["target_column"]
    if cfg["task"] == "forecasting":
        frame = add_lags(frame, target, cfg["time_column"], cfg["lags"])
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    return frame.drop(columns=[target]), frame[target]


def score(metric: str, task: str, y, pred=None, proba=None, classes=None) -> float:
    """The primary metric, higher or lower as its name says (rmse: lower is better)."""
    from sklearn import metrics as M

    if metric == "accuracy":
        return float(M.accuracy_score(y, pred))
    if metric == "f1":
        return float(M.f1_score(y, pred, average="binary" if len(classes) == 2 else "macro", pos_label=classes[-1]))
    if metric == "auc":
        if len(classes) == 2:
            return float(M.roc_auc_score(y, proba[:, 1]))
        return float(M.roc_auc_score(y, proba, multi_class="ovr", labels=classes))
    if metric == "log_loss":
        return float(M.log_loss(y, proba, labels=classes))
    if metric == "r2":
        return float(M.r2_score(y, pred))
    if metric == "rmse":
        return float(np.sqrt(M.mean_squared_error(y, pred)))
    if metric == "mae":
        return float(M.mean_absolute_error(y, pred))
    if metric == "mape":
        return float(M.mean_absolute_percentage_error(y, pred))
    raise ValueError(metric)


def higher_is_better(metric: str) -> bool:
    return metric in ("accuracy", "f1", "auc", "r2")


def evaluate(model, metric: str, task: str, X, y) -> float:
    if task == "classification":
        proba = model.predict_proba(X)
        classes = list(model.classes_)
        return score(metric, task, y, np.asarray(classes)[np.argmax(proba, axis=1)], proba, classes)
    return score(metric, task, y, model.predict(X))


def loss_to_score(metric: str, loss: float) -> float:
    """FLAML minimises 1 - score for metrics where higher is better."""
    return 1 - loss if higher_is_better(metric) else loss


# ---- search ----------------------------------------------------------------------------------

# LightGBM's library defaults (100 trees of 31 leaves, learning rate 0.1, 255 bins), in FLAML's
# terms, as where its LightGBM search starts. FLAML otherwise starts every family at its cheapest
# configuration (4 trees of 4 leaves) and grows from there; on tens of thousands of rows a short
# or contended budget then ends among small models that a default forest beats (benchmarks/
# README.md, AutoML). The defaults cost one moderate trial and are a strong first model.
LGBM_DEFAULTS = {"n_estimators": 100, "num_leaves": 31, "min_child_samples": 20, "learning_rate": 0.1, "log_max_bin": 8,
                 "colsample_bytree": 1.0, "reg_alpha": 1 / 1024, "reg_lambda": 1.0}
LGBM_DEFAULTS_MIN_ROWS = 1000  # below, FLAML's ranges for the data size may not hold 100 trees of 31 leaves


def default_validation(rows: int) -> dict[str, Any]:
    """FLAML's evaluation when the request names none: k-fold cross-validation on small data, a
    holdout from CV_MAX_ROWS rows on."""
    if rows < CV_MAX_ROWS:
        return {"eval_method": "cv", "n_splits": DEFAULT_FOLDS}
    return {"eval_method": "holdout", "split_ratio": DEFAULT_HOLDOUT}



def search(cfg: dict[str, Any]) -> None:
    import mlflow
    from flaml import AutoML
    from flaml.automl.training_log import training_log_reader
    from sklearn.pipeline import Pipeline

    out = Path(os.environ.get("MLSERVICE_OUTPUT_DIR") or ".")
    X, y = load_xy(cfg, cfg["data"])
    featurizer = build_featurizer(X, cfg["featurization"], cfg["task"])
    Xf = pd.DataFrame(featurizer.fit_transform(X, y))
    Xf.columns = [f"f{i}" for i in range(Xf.shape[1])]
    kwargs: dict[str, Any] = dict(
        task="classification" if cfg["task"] == "classification" else "regression",
        metric=cfg["flaml_metric"], time_budget=cfg["time_budget_s"], estimator_list=cfg["estimators"],
        log_file_name=str(out / "search.log"), log_type="all", seed=cfg["seed"], verbose=0, retrain_full=True, keep_search_state=True,
        n_jobs=cfg.get("n_jobs", -1),
    )
    if cfg.get("max_trials"):
        kwargs["max_iter"] = cfg["max_trials"]
    if "lgbm" in cfg["estimators"] and len(Xf) >= LGBM_DEFAULTS_MIN_ROWS:
        kwargs["starting_points"] = {"lgbm": dict(LGBM_DEFAULTS)}
    validation = cfg["validation"]
    if cfg["task"] == "forecasting":
        kwargs.update(eval_method="holdout", split_type="time", split_ratio=validation.get("holdout") or 0.2)
    elif validation.get("cv"):
        kwargs.update(eval_method="cv", n_splits=validation["cv"])
    elif validation.get("holdout"):
        kwargs.update(eval_method="holdout", split_ratio=validation["holdout"])
    elif cfg.get("validation_data"):
        Xv, yv = load_xy(cfg, cfg["validation_data"])
        Xvf = pd.DataFrame(featurizer.transform(Xv), columns=Xf.columns)
        kwargs.update(eval_method="holdout", X_val=Xvf, y_val=yv)
    else:
        kwargs.update(default_validation(len(Xf)))
    print(f"search {cfg['worker']}: {len(Xf)} rows, validation: " + (
        f"{kwargs['n_splits']}-fold cross-validation" if kwargs.get("eval_method") == "cv"
        else "the validation data" if "X_val" in kwargs else f"a {kwargs.get('split_ratio', 0.1):g} holdout"), flush=True)
    if kwargs["task"] == "classification" and kwargs.get("eval_method") != "cv":
        kwargs.setdefault("split_type", "stratified")
    started = time.time()
    automl = AutoML()
    automl.fit(Xf, y, **kwargs)
    search_s = time.time() - started

    with training_log_reader(str(out / "search.log")) as reader:
        records = [r for r in reader.records() if r.validation_loss is not None and np.isfinite(r.validation_loss)]
    metric = cfg["primary_metric"]
    best_per_family: dict[str, Any] = {}
    for r in records:
        if r.learner not in best_per_family or r.validation_loss < best_per_family[r.learner].validation_loss:
            best_per_family[r.learner] = r

    # Every trial is a child run of the AutoML run; the best of each family carries its model.
    client = mlflow.MlflowClient()
    exp_id, parent_run = cfg["experiment_id"], cfg["parent_run_id"]
    names = {v: k for k, v in cfg["families"].items()}
    run_of: dict[int, str] = {}
    best_so_far, curve = None, []
    for r in records:
        value = loss_to_score(metric, r.validation_loss)
        tags = {
            "mlflow.parentRunId": parent_run, "mlservice.automl_trial": str(r.record_id), "mlservice.model_family": names.get(r.learner, r.learner),
            "mlservice.automl_worker": str(cfg["worker"]), "mlflow.runName": f"{names.get(r.learner, r.learner)} #{r.record_id}",
        }
        run = client.create_run(exp_id, tags=tags, run_name=tags["mlflow.runName"])
        params = [mlflow.entities.Param(str(k)[:250], str(v)[:6000]) for k, v in (r.config or {}).items()]
        params.append(mlflow.entities.Param("model_family", names.get(r.learner, r.learner)))
        now = int(time.time() * 1000)
        metrics = [mlflow.entities.Metric(f"val_{metric}", value, now, 0), mlflow.entities.Metric("train_time_s", float(r.trial_time), now, 0)]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id, "FINISHED")
        run_of[r.record_id] = run.info.run_id
        if best_so_far is None or (value > best_so_far if higher_is_better(metric) else value < best_so_far):
            best_so_far = value
            curve.append((float(r.wall_clock_time), value))

    candidates = []
    for learner, r in best_per_family.items():
        est = automl.model.estimator if learner == automl.best_estimator else getattr(automl.best_model_for_estimator(learner), "estimator", None)
        if est is None:
            continue
        pipeline = Pipeline([("features", featurizer), ("model", est)])
        run_id = run_of.get(r.record_id)
        if run_id:
            _log_model(client, run_id, pipeline)
        candidates.append({
            "family": names.get(learner, learner), "learner": learner, "config": r.config, "score": loss_to_score(metric, r.validation_loss),
            "train_time_s": float(r.trial_time), "run_id": run_id, "pipeline": pipeline, "full_data": learner == automl.best_estimator,
        })
    with open(out / "result.pkl", "wb") as f:
        pickle.dump({"candidates": candidates, "curve": curve, "trials": len(records), "search_s": search_s, "worker": cfg["worker"]}, f)
    print(f"search {cfg['worker']}: {len(records)} trials in {search_s:.1f} s; best {automl.best_estimator} "
          f"{metric}={loss_to_score(metric, automl.best_loss):.5g}", flush=True)


def _log_model(client, run_id: str, model) -> None:
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model"
        mlflow.sklearn.save_model(model, str(path), pip_requirements=_requirements(), serialization_format=SERIALIZATION)
        client.log_artifacts(run_id, str(path), "model")


def _requirements() -> list[str]:
    from importlib.metadata import version

    reqs = []
    for dist in ("scikit-learn", "pandas", "numpy", "lightgbm", "xgboost-cpu", "jupyter_mlservice"):
        try:
            reqs.append(f"{dist}=={version(dist)}")
        except Exception:
            continue
    return reqs


# ---- finalize ----------------------------------------------------------------------------------


def finalize(cfg: dict[str, Any]) -> None:
    import mlflow
    from sklearn.base import clone

    out = Path(os.environ.get("MLSERVICE_OUTPUT_DIR") or ".")
    task, metric = cfg["task"], cfg["primary_metric"]
    X, y = load_xy(cfg, cfg["data"])
    better = higher_is_better(metric)
    results = []
    for run_id in cfg["search_run_ids"]:
        with tempfile.TemporaryDirectory() as tmp:
            path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="result.pkl", dst_path=tmp)
            with open(path, "rb") as f:
                results.append(pickle.load(f))
    candidates = sorted((c for r in results for c in r["candidates"]), key=lambda c: c["score"], reverse=better)
    if not candidates:
        raise SystemExit("no search produced a model: every trial failed or the time budget was too short for one trial")
    trials = sum(r["trials"] for r in results)

    # Best so far over every search, by the time each value was reached: never worse later on.
    points = sorted((t, v) for r in results for t, v in r["curve"])
    curve, best = [], None
    for t, v in points:
        if best is None or (v > best if better else v < best):
            best = v
        curve.append((t, best))

    leaderboard = [
        {"rank": 0, "model": c["family"], "score": c["score"], "params": _plain(c["config"]), "run_id": c["run_id"], "train_time_s": c["train_time_s"]}
        for c in candidates
    ]
    best_single = candidates[0]
    final, chosen = best_single["pipeline"], dict(leaderboard[0])
    if not best_single.get("full_data"):
        final = clone(final).fit(X, y)

    if cfg["ensemble"] and len(candidates) >= 2:
        ensemble = _ensemble(cfg, X, y, candidates[:ENSEMBLE_CANDIDATES])
        if ensemble is not None:
            members, weights, ens_score, single_score = ensemble
            print(f"ensemble {ens_score:.5g} vs best single {single_score:.5g} on the ensemble holdout", flush=True)
            if (ens_score > single_score) if better else (ens_score < single_score):
                model = WeightedEnsemble([clone(candidates[i]["pipeline"]) for i in members], weights, task).fit(X, y)
                # Same holdout for both: the ensemble's gain over the best single model, added to its search score.
                entry = {
                    "rank": 0, "model": "ensemble", "score": best_single["score"] + (ens_score - single_score), "params": {},
                    "run_id": None, "train_time_s": None, "members": {candidates[i]["family"]: w for i, w in zip(members, weights)},
                }
                leaderboard.append(entry)
                final, chosen = model, entry
    leaderboard.sort(key=lambda e: e["score"], reverse=better)
    for i, e in enumerate(leaderboard):
        e["rank"] = i + 1

    importance = _importance(final, cfg, X, y)
    from mlflow.models import infer_signature

    sample = X.head(100)
    with mlflow.start_run():
        signature = infer_signature(sample, final.predict(sample))
        mlflow.sklearn.log_model(
            final, name="model", signature=signature, input_example=X.head(5), pip_requirements=_requirements(), serialization_format=SERIALIZATION
        )
        mlflow.log_metric(f"val_{metric}", chosen["score"])
        mlflow.log_dict({"leaderboard": leaderboard}, "leaderboard.json")
        mlflow.log_dict(importance, "feature_importance.json")
    client = mlflow.MlflowClient()
    parent = cfg["parent_run_id"]
    # step: milliseconds of search when the value was reached (strictly increasing, so the
    # history reads in order)
    metrics, step = [], -1
    for t, v in curve:
        step = max(step + 1, int(t * 1000))
        metrics.append(mlflow.entities.Metric(f"best_{metric}", v, int(time.time() * 1000), step))
    metrics.append(mlflow.entities.Metric(f"val_{metric}", chosen["score"], int(time.time() * 1000), 0))
    client.log_batch(parent, metrics=metrics, tags=[mlflow.entities.RunTag("mlservice.best_model", chosen["model"])])
    summary = {"leaderboard": leaderboard, "best": chosen, "feature_importance": importance, "trials": trials, "curve": curve}
    (out / "summary.json").write_text(json.dumps(summary, default=str))
    print(f"best: {chosen['model']} {metric}={chosen['score']:.5g} after {trials} trials", flush=True)


def _ensemble(cfg, X, y, candidates):
    """Greedy ensemble selection (Caruana et al.) on a holdout: each round adds the member that
    helps most; returns (member indexes, weights, ensemble score, best single score)."""
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    task, metric = cfg["task"], cfg["primary_metric"]
    better = higher_is_better(metric)
    if task == "forecasting":
        cut = int(len(X) * 0.8)
        Xt, Xv, yt, yv = X.iloc[:cut], X.iloc[cut:], y.iloc[:cut], y.iloc[cut:]
    else:
        strat = y if task == "classification" and y.value_counts().min() >= 2 else None
        Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.2, random_state=cfg["seed"], stratify=strat)
    preds, classes = [], None
    for c in candidates:
        try:
            m = clone(c["pipeline"]).fit(Xt, yt)
        except Exception as exc:  # a config that cannot refit on fewer rows: leave it out
            print(f"ensemble: {c['family']} left out ({exc})", flush=True)
            preds.append(None)
            continue
        if task == "classification":
            classes = list(m.classes_)
            preds.append(m.predict_proba(Xv))
        else:
            preds.append(np.asarray(m.predict(Xv), dtype=float))
    usable = [i for i, p in enumerate(preds) if p is not None]
    if len(usable) < 2:
        return None

    def value(p):
        if task == "classification":
            return score(metric, task, yv, np.asarray(classes)[np.argmax(p, axis=1)], p, classes)
        return score(metric, task, yv, pred=p)

    singles = {i: value(preds[i]) for i in usable}
    single = max(singles.values()) if better else min(singles.values())
    chosen: list[int] = []
    total = None
    for _ in range(ENSEMBLE_ROUNDS):
        best_i, best_v = None, None
        for i in usable:
            p = preds[i] if total is None else (total * len(chosen) + preds[i]) / (len(chosen) + 1)
            v = value(p)
            if best_v is None or (v > best_v if better else v < best_v):
                best_i, best_v = i, v
        chosen.append(best_i)
        total = preds[best_i] if total is None else (total * (len(chosen) - 1) + preds[best_i]) / len(chosen)
    counts = {i: chosen.count(i) for i in dict.fromkeys(chosen)}
    if len(counts) < 2:
        return None
    members = list(counts)
    weights = [counts[i] / len(chosen) for i in members]
    ens = sum(w * preds[i] for i, w in zip(members, weights))
    return members, weights, value(ens), single


def _importance(model, cfg, X, y) -> dict[str, float]:
    """Permutation importance of each input column (drop in the primary metric when shuffled)."""
    from sklearn.inspection import permutation_importance

    task, metric = cfg["task"], cfg["primary_metric"]
    rows = X.sample(min(len(X), IMPORTANCE_ROWS), random_state=cfg["seed"]) if len(X) > IMPORTANCE_ROWS else X
    sign = 1 if higher_is_better(metric) else -1

    def scorer(est, Xs, ys):
        return sign * evaluate(est, metric, task, Xs, ys)

    result = permutation_importance(model, rows, y.loc[rows.index], scoring=scorer, n_repeats=3, random_state=cfg["seed"])
    return {str(col): float(v) for col, v in sorted(zip(X.columns, result.importances_mean), key=lambda kv: -kv[1])}


def _plain(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in (config or {}).items()}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("search", "finalize"):
        print("usage: python -m jupyter_mlservice.core.automl.worker search|finalize CONFIG.json", file=sys.stderr)
        return 2
    cfg = json.loads(Path(argv[1]).read_text())
    (search if argv[0] == "search" else finalize)(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
