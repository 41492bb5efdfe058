"""Model evaluations: a candidate against a baseline on the same rows of a data asset, in a real
job; the paired bootstrap gate (a lucky edge does not pass); bad input; SDK and CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from jupyter_mlservice.core.data.schemas import DataCreate
from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.evaluations.run import compare
from jupyter_mlservice.core.evaluations.schemas import EvaluationCreate

from .conftest import wait_for


def make_rows(n: int = 300, seed: int = 0):
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, random_state=seed)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(label=y)


def register(tracking_uri: str, name: str, estimator, frame) -> str:
    """Fit and register a scikit-learn model through MLflow itself (as a training job would)."""
    import mlflow

    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        X, y = frame.drop(columns=["label"]), frame["label"]
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(estimator.fit(X, y), name="model", input_example=X.head(2), registered_model_name=name)
        return str(info.registered_model_version)
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


@pytest.fixture(scope="module")
def models(tmp_path_factory, mlflow_template):
    """A workspace with a weak model (v1: always the majority class) and a good one (v2), and a
    labelled holdout data asset; module-scoped: the evaluations below share them."""
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    from .data_fixtures import start_workspace

    ws = start_workspace(tmp_path_factory.mktemp("evaluations"), mlflow_template)
    rows = make_rows(700, seed=1)  # one problem: train on some rows, judge on the others
    train, holdout = rows.iloc[:400], rows.iloc[400:].reset_index(drop=True)
    uri = ws.experiments.tracking_uri
    register(uri, "clf", DummyClassifier(strategy="most_frequent"), train)
    register(uri, "clf", LogisticRegression(max_iter=500), train)
    (ws.root_dir / "holdout.csv").write_text(holdout.to_csv(index=False))
    ws.data.create(DataCreate(name="holdout", path="holdout.csv", profile=False))
    yield ws, holdout
    ws.stop()


def finished(ws, evaluation_id: str):
    return wait_for(lambda: (e := ws.evaluations.get(evaluation_id)).status != "Running" and e, timeout=180,
                    what=f"evaluation {evaluation_id}")


def test_a_better_candidate_passes_the_gate_with_numbers_mlflow_agrees_with(models):
    from sklearn.metrics import accuracy_score

    ws, holdout = models
    e = ws.evaluations.create(EvaluationCreate(candidate="clf:2", baseline="clf:1", data="data:holdout", target_column="label",
                                               metrics=["accuracy", "f1"], gate={"accuracy": 0.1, "f1": 0.0}), user="alice")
    assert (e.status, e.candidate_version, e.baseline_version, e.created_by) == ("Running", "clf:2", "clf:1", "alice")
    e = finished(ws, e.id)
    assert e.status == "Completed", (e.error, (ws.jobs_dir / e.job_id / "output.log").read_text()[-2000:])
    assert e.passed is True and e.rows == 300 and e.data_version == "data:holdout@1"
    acc = {c.metric: c for c in e.comparisons}["accuracy"]
    import mlflow.pyfunc

    mlflow.set_tracking_uri(ws.experiments.tracking_uri)
    X, y = holdout.drop(columns=["label"]), holdout["label"]
    truth = {v: accuracy_score(y, mlflow.pyfunc.load_model(f"models:/clf/{v}").predict(X)) for v in ("1", "2")}
    assert acc.candidate == pytest.approx(truth["2"]) and acc.baseline == pytest.approx(truth["1"])
    assert acc.difference == pytest.approx(truth["2"] - truth["1"]) and acc.interval[0] > 0.1 and acc.passed
    assert e.mlflow_metrics["candidate"]["accuracy_score"] == pytest.approx(truth["2"])  # mlflow.models.evaluate's own
    assert e.mlflow_metrics["baseline"]["accuracy_score"] == pytest.approx(truth["1"])
    run = ws.experiments.client.get_run(ws.jobs.get(e.job_id).run_id)
    assert run.data.metrics["candidate_accuracy"] == pytest.approx(truth["2"])
    assert [x.id for x in ws.evaluations.list(model="clf", version="2").items] == [e.id]
    from jupyter_mlservice.core.lineage import EVALUATION, Node

    graph = ws.lineage.graph(Node(EVALUATION, e.id), "upstream")  # both versions, the job, the data version it read
    assert {(n.type, n.id) for n in graph.nodes} >= {("model_version", "clf:2"), ("model_version", "clf:1"), ("job", e.job_id),
                                                      ("data_version", "holdout@1")}
    assert graph.root.details["passed"] is True

    worse = finished(ws, ws.evaluations.create(EvaluationCreate(candidate="clf:1", baseline="clf:2", data="data:holdout@1",
                                                                 target_column="label", metrics=["accuracy"], gate={"accuracy": 0.0})).id)
    assert worse.passed is False and worse.comparisons[0].difference < 0
    plain = finished(ws, ws.evaluations.create(EvaluationCreate(candidate="clf:2", baseline="clf:1", data="data:holdout",
                                                                 target_column="label", metrics=["precision"])).id)
    assert plain.passed is None and plain.comparisons[0].passed is None


def test_a_lucky_edge_does_not_pass_the_gate():
    """One more right answer out of 60 is a better score, not a better model: the interval's low end stays below the margin."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)
    base = np.where(rng.random(60) < 0.8, y, 1 - y)
    cand = base.copy()
    wrong = np.flatnonzero(cand != y)
    cand[wrong[0]] = y[wrong[0]]  # fixes one row
    [lucky] = compare("classification", ["accuracy"], y, cand, base, gate={"accuracy": 0.0}, confidence=0.95, resamples=1000)
    assert lucky["difference"] == pytest.approx(1 / 60) and lucky["interval"][0] <= 0 and lucky["passed"] is False
    cand = y.copy()  # right everywhere: a real gain
    [real] = compare("classification", ["accuracy", "f1"], y, cand, base, gate={"accuracy": 0.05}, confidence=0.95, resamples=500)[:1]
    assert real["interval"][0] > 0.05 and real["passed"] is True
    # lower is better for errors: a smaller rmse is a positive difference
    truth = rng.normal(size=80)
    [rmse] = compare("regression", ["rmse"], truth, truth + rng.normal(0, 0.1, 80), truth + rng.normal(0, 1.0, 80),
                     gate={"rmse": 0.0}, confidence=0.9, resamples=300)
    assert rmse["higher_is_better"] is False and rmse["candidate"] < rmse["baseline"] and rmse["difference"] > 0 and rmse["passed"]


def test_bad_input_is_refused_before_anything_runs_and_a_bad_column_fails_the_job_saying_why(models):
    ws, _ = models
    base = {"candidate": "clf:2", "baseline": "clf:1", "data": "data:holdout", "target_column": "label", "metrics": ["accuracy"]}
    before = len(ws.jobs.list(limit=500).items)
    for change, match in [
        ({"candidate": "nope:1"}, "no registered model named 'nope'"),
        ({"candidate": "clf:9"}, "has no version 9"),
        ({"baseline": "clf@champion"}, "no alias 'champion'"),
        ({"baseline": "clf:2"}, "the same version"),
        ({"data": "data:missing"}, "data 'data:missing'"),
    ]:
        with pytest.raises(InvalidRequest, match=match):
            ws.evaluations.create(EvaluationCreate(**{**base, **change}))
    for change, match in [
        ({"metrics": ["auc"]}, "unknown metric"),
        ({"metrics": ["accuracy", "rmse"]}, "one task at a time"),
        ({"gate": {"f1": 0.0}}, "add it to metrics"),
        ({"data": "/etc/passwd"}, "data"),
        ({"bootstrap": 5}, "bootstrap"),
    ]:
        with pytest.raises(ValueError, match=match):
            EvaluationCreate(**{**base, **change})
    assert len(ws.jobs.list(limit=500).items) == before  # nothing was submitted
    e = finished(ws, ws.evaluations.create(EvaluationCreate(**{**base, "target_column": "species"})).id)
    assert e.status == "Failed" and "target_column 'species' is not a column" in e.error and e.passed is None


def test_sdk_and_cli(shared_server):
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    ml = shared_server.client()
    uri = ml.info()["tracking_uri"]
    rows = make_rows(400, seed=4)
    train = rows.iloc[:200]
    register(uri, "tree", DummyClassifier(strategy="most_frequent"), train)
    register(uri, "tree", LogisticRegression(C=0.5, max_iter=500), train)
    ml.models.set_alias("tree", "champion", 1)
    (shared_server.root / "rows.csv").write_text(rows.iloc[200:].to_csv(index=False))
    ml.data.create("rows", path="rows.csv", profile=False)
    e = ml.models.evaluate("tree:2", "tree@champion", "data:rows", "label", ["accuracy", "balanced_accuracy"], gate={"accuracy": 0.02},
                           bootstrap=300, timeout=180)
    assert e.status == "Completed" and e.passed is True and e.baseline_version == "tree:1"
    assert [r["metric"] for r in e.table()] == ["accuracy", "balanced_accuracy"]
    assert ml.evaluations.list(model="tree")[0].id == e.id
    proc = subprocess.run([sys.executable, "-m", "jupyter_mlservice.cli", "model", "evaluate", "tree:1", "--baseline", "tree:2",
                           "--data", "data:rows@1", "--target-column", "label", "--metric", "accuracy", "--gate", "accuracy",
                           "--bootstrap", "200", "--url", shared_server.url, "--token", shared_server.token, "--json"],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1, proc.stderr  # the gate failed: a non-zero exit for scripts
    out = json.loads(proc.stdout)
    assert out["passed"] is False and out["comparisons"][0]["difference"] < 0


def test_a_pipeline_gate_step_passes_a_better_model_and_rejects_a_worse_one_with_the_numbers(models):
    from jupyter_mlservice.core.pipelines.schemas import PipelineSubmit

    ws, _ = models

    def gated(candidate: str, baseline: str):
        pipeline = {"name": "promote", "inputs": {"holdout": {"type": "str", "default": "data:holdout"}},
                    "jobs": {"gate": {"type": "gate", "candidate": candidate, "baseline": baseline, "data": "${{parent.inputs.holdout}}",
                                      "target_column": "label", "metrics": ["accuracy", "f1"], "margins": {"accuracy": 0.05},
                                      "bootstrap": 300},
                             "after": {"command": "cat ${{inputs.report}}/evaluation.json", "inputs": {"report": "${{parent.jobs.gate.outputs.report}}"}}}}
        run = ws.pipelines.submit(PipelineSubmit.model_validate({"pipeline": pipeline, "experiment": "gates"}))
        return wait_for(lambda: (r := ws.pipelines.get(run.id)).status in ("Completed", "Failed") and r, 240, what="the gated pipeline")

    passed = gated("clf", "clf:1")  # "clf": the newest version (2), resolved when the step runs
    assert passed.status == "Completed", [(s.name, s.status, s.error) for s in passed.steps]
    after = {s.name: s for s in passed.steps}["after"]
    assert '"passed": true' in ws.jobs.logs(after.job_id).text  # the gate's report reaches the next step
    rejected = gated("clf:1", "clf:2")
    steps = {s.name: s for s in rejected.steps}
    assert rejected.status == "Failed" and steps["after"].status == "skipped"
    assert steps["gate"].error.startswith("Rejected: clf:1 does not beat clf:2 on 300 rows: accuracy: candidate")
    assert "vs margin 0.05" in steps["gate"].error and "gate" in rejected.job.error
