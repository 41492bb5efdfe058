"""AutoML end to end on scikit-learn's bundled data sets and a synthetic series, with small
budgets: searches and the final step are child jobs, every trial a nested MLflow run, the final
model an MLflow model with signature and input example, registrable in one call."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from jupyter_mlservice.core.automl.schemas import AutoMLCreate
from jupyter_mlservice.core.automl.service import suggest_time_budget
from jupyter_mlservice.core.errors import InvalidRequest

from .conftest import wait_for

pytestmark = pytest.mark.timeout(1500)
# Trials, not seconds, bound these searches, so the models do not depend on the machine's load.
BUDGET = 300
LIMIT = {"max_trials": 8}


def _csv(root, name, loader):
    X, y = loader(return_X_y=True, as_frame=True)
    X.assign(label=y).to_csv(root / f"{name}.csv", index=False)
    return f"{name}.csv"


def _series(root):
    rng = np.random.default_rng(0)
    t = pd.date_range("2024-01-01", periods=300, freq="D")
    y = 10 + 0.02 * np.arange(300) + 3 * np.sin(2 * np.pi * np.arange(300) / 7) + rng.normal(0, 0.3, 300)
    pd.DataFrame({"day": t, "promo": rng.integers(0, 2, 300), "sales": y}).to_csv(root / "sales.csv", index=False)
    return "sales.csv"


def _synthetic(root):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=1500, n_features=8, random_state=0)
    pd.DataFrame(X, columns=[f"x{i}" for i in range(8)]).assign(label=y).to_csv(root / "synthetic.csv", index=False)
    return "synthetic.csv"


@pytest.fixture(scope="module")
def runs(tmp_path_factory, mlflow_template):
    """Five AutoML runs submitted together (they share the local target's two slots)."""
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    from .conftest import seed_workspace

    root = tmp_path_factory.mktemp("automl") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1))
    ws.start()
    specs = {
        "breast_cancer": AutoMLCreate(task="classification", data=_csv(root, "bc", load_breast_cancer), target_column="label",
                                      primary_metric="auc", time_budget_s=BUDGET, **LIMIT, max_concurrent_trials=2, experiment="automl-bc"),
        "wine": AutoMLCreate(task="classification", data=_csv(root, "wine", load_wine), target_column="label", time_budget_s=BUDGET, **LIMIT,
                             validation={"cv": 3}, allowed_models=["logistic_regression", "random_forest", "lightgbm"], experiment="automl-wine"),
        "diabetes": AutoMLCreate(task="regression", data=_csv(root, "diabetes", load_diabetes), target_column="label", primary_metric="r2",
                                 time_budget_s=BUDGET, **LIMIT, blocked_models=["knn"], experiment="automl-diabetes"),
        "sales": AutoMLCreate(task="forecasting", data=_series(root), target_column="sales", time_column="day", primary_metric="rmse",
                              time_budget_s=BUDGET, **LIMIT, lags=[1, 2, 7], experiment="automl-sales"),
        "synthetic": AutoMLCreate(task="classification", data=_synthetic(root), target_column="label", time_budget_s=BUDGET, max_trials=2,
                                  allowed_models=["lightgbm"], ensemble=False, experiment="automl-synthetic"),
    }
    submitted = {name: ws.automl.submit(spec) for name, spec in specs.items()}
    for run in submitted.values():
        wait_for(lambda: ws.jobs.get(run.id).status.is_terminal, 1100, interval=0.5, what=f"AutoML run {run.id}")
    yield ws, {name: ws.automl.get(run.id) for name, run in submitted.items()}
    ws.stop()


@pytest.mark.parametrize("name, floor", [("breast_cancer", 0.95), ("wine", 0.85), ("diabetes", 0.3)])
def test_automl_finds_a_good_model_on_bundled_data(runs, name, floor):
    ws, done = runs
    run = done[name]
    assert run.job.status == "Completed", run.job.error
    assert run.best_score >= floor
    board = run.leaderboard
    assert board and [e.rank for e in board] == list(range(1, len(board) + 1))
    scores = [e.score for e in board]
    assert scores == sorted(scores, reverse=True)  # higher is better for auc, accuracy, r2
    assert run.best_model.score == max(scores)
    assert run.trials >= len([e for e in board if e.model != "ensemble"])
    if name == "wine":
        assert {e.model for e in board} <= {"logistic_regression", "random_forest", "lightgbm", "ensemble"}
    if name == "diabetes":
        assert "knn" not in {e.model for e in board}


def test_every_trial_is_a_nested_child_run_with_params_and_metrics(runs):
    ws, done = runs
    run = done["breast_cancer"]
    client = ws.experiments.client
    trials = client.search_runs([run.job.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{run.job.run_id}' AND tags.`mlservice.automl_trial` LIKE '%'")
    assert len(trials) == run.trials >= 2
    for t in trials:
        assert "val_auc" in t.data.metrics and "train_time_s" in t.data.metrics and t.data.params["model_family"]
    families = {t.data.tags["mlservice.model_family"] for t in trials}
    assert len(families) >= 2  # two searches, each over its share of the families
    # the best trial of each family carries its fitted model
    leader = next(e for e in run.leaderboard if e.model != "ensemble")
    assert any(a.path == "model" for a in client.list_artifacts(leader.run_id))
    children = ws.jobs.list(parent=run.id).items
    roles = sorted(c.tags["mlservice.automl_role"] for c in children)
    assert roles == ["finalize", "search", "search"]


def test_validation_defaults_to_cross_validation_on_small_data_and_a_holdout_on_large(runs):
    from jupyter_mlservice.core.automl.worker import default_validation

    ws, done = runs

    def search_logs(name):
        children = ws.jobs.list(parent=done[name].id).items
        return [(ws.jobs_dir / c.id / "output.log").read_text() for c in children if c.tags["mlservice.automl_role"] == "search"]

    assert all("569 rows, validation: 5-fold cross-validation" in log for log in search_logs("breast_cancer"))  # none given
    assert all("validation: 3-fold cross-validation" in log for log in search_logs("wine"))  # {"cv": 3}
    assert default_validation(9_999) == {"eval_method": "cv", "n_splits": 5}
    assert default_validation(10_000) == {"eval_method": "holdout", "split_ratio": 0.1}


def test_the_lightgbm_search_starts_from_lightgbms_defaults(runs):
    from jupyter_mlservice.core.automl.worker import LGBM_DEFAULTS

    ws, done = runs
    run = done["synthetic"]
    assert run.job.status == "Completed", run.job.error
    trials = ws.experiments.client.search_runs(
        [run.job.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{run.job.run_id}' AND tags.`mlservice.automl_trial` LIKE '%'")
    first = min(trials, key=lambda t: int(t.data.tags["mlservice.automl_trial"]))
    assert {k: float(first.data.params[k]) for k in LGBM_DEFAULTS} == pytest.approx(LGBM_DEFAULTS)
    assert len(trials) == 2 and run.leaderboard[0].model == "lightgbm"


def test_the_final_model_has_a_signature_an_example_and_registers_in_one_call(runs):
    ws, done = runs
    run = done["breast_cancer"]
    mv = ws.models.register("cancer", job_id=run.best_model_job_id)
    model = mlflow.pyfunc.load_model(f"models:/cancer/{mv.version}")
    assert model.metadata.signature is not None and model.metadata.saved_input_example_info is not None
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    assert (model.predict(X.head(50)) == y.head(50)).mean() > 0.85  # raw columns in: featurisation is inside the model
    importance = run.feature_importance
    assert set(importance) == set(X.columns) and max(importance.values()) > 0


def test_best_so_far_never_gets_worse_over_the_search(runs):
    ws, done = runs
    for run in done.values():
        history = ws.experiments.client.get_metric_history(run.job.run_id, f"best_{run.spec.primary_metric}")
        values = [m.value for m in sorted(history, key=lambda m: (m.step, m.timestamp))]
        assert values, run.id
        higher = run.spec.primary_metric in ("auc", "accuracy", "r2")
        assert values == sorted(values, reverse=not higher)


def test_forecasting_uses_lags_and_beats_a_naive_forecast(runs):
    ws, done = runs
    run = done["sales"]
    assert run.job.status == "Completed", run.job.error
    model = mlflow.pyfunc.load_model(f"runs:/{ws.jobs.get(run.best_model_job_id).run_id}/model")
    inputs = model.metadata.get_input_schema().input_names()
    assert {"day", "promo", "sales_lag1", "sales_lag7"} <= set(inputs)
    # the series' weekly swing is ~3: a model using lag 7 does far better than "same as yesterday" (rmse ~2.7)
    assert run.best_score < 1.5
    summary = json.loads((ws.automl.folder(run.id) / "summary.json").read_text())
    assert summary["best"]["model"] == run.best_model.model


def test_bad_automl_requests_say_what_to_change(runs, tmp_path):
    ws, _ = runs
    with pytest.raises(InvalidRequest, match="target_column 'nope' is not a column of the data; it has: mean radius"):
        ws.automl.submit(AutoMLCreate(task="classification", data="bc.csv", target_column="nope"))
    with pytest.raises(InvalidRequest, match="'missing.csv' is not a file on the server"):
        ws.automl.submit(AutoMLCreate(task="classification", data="missing.csv", target_column="label"))
    with pytest.raises(InvalidRequest, match="is not numeric; regression needs numbers"):
        pd.DataFrame({"a": range(30), "b": ["x", "y"] * 15}).to_csv(ws.root_dir / "txt.csv", index=False)
        ws.automl.submit(AutoMLCreate(task="regression", data="txt.csv", target_column="b"))
    with pytest.raises(ValueError, match="primary_metric 'r2' does not suit classification"):
        AutoMLCreate(task="classification", data="bc.csv", target_column="label", primary_metric="r2")
    with pytest.raises(ValueError, match="unknown model 'svm'"):
        AutoMLCreate(task="regression", data="bc.csv", target_column="label", allowed_models=["svm"])
    with pytest.raises(InvalidRequest, match="data: no data asset named 'credit'"):
        ws.automl.submit(AutoMLCreate(task="regression", data="data:credit@1", target_column="label"))


def test_the_suggested_budget_grows_with_the_data():
    assert suggest_time_budget(500, 10) == 60
    assert suggest_time_budget(50_000, 20) > suggest_time_budget(5_000, 20) > 60
    assert suggest_time_budget(10**9, 100) == 4 * 3600
