"""`mlservice sweep ...` and `mlservice automl ...` against a real `mlservice serve` process:
every command, its table and its --json, and a mistake as one line on stderr with exit 1."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from jupyter_mlservice.cli import main

from .conftest import wait_for

pytestmark = pytest.mark.timeout(1500)

TRIAL = (
    "python -c \"import mlflow, sys; x = float(sys.argv[1]); mlflow.log_metric('score', x, step=0); "
    "mlflow.log_text(str(x), 'model/x.txt')\" ${{search_space.x}}"
)


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


@pytest.fixture
def mlservice(server, capsys):
    """Run one CLI command in-process: -> (exit status, stdout, stderr)."""

    def run(*argv: str):
        code = main([*argv, "--url", server.url, "--token", server.token])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _spec(root, name: str, **spec) -> str:
    path = root / f"{name}.json"
    path.write_text(json.dumps(spec))
    return str(path)


def test_sweep_submit_wait_list_show_and_register(server, mlservice):
    spec = _spec(server.root, "grid", trial={"command": TRIAL}, search_space={"x": {"type": "choice", "values": [1, 2]}},
                 sampling="grid", objective={"metric": "score", "goal": "maximize"}, limits={"max_concurrent_trials": 2})
    code, out, err = mlservice("sweep", "submit", "--spec", spec, "--experiment", "cli-sweep", "--wait", "--json")
    assert code == 0, err
    sweep = json.loads(out)
    assert sweep["job"]["status"] == "Completed" and sweep["job"]["experiment"] == "cli-sweep"
    assert sweep["best_trial"]["params"] == {"x": 2} and sweep["best_trial"]["value"] == 2

    code, out, _ = mlservice("sweep", "list")
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.split() == ["ID", "STATUS", "EXPERIMENT", "TRIALS", "BEST"]
    assert [sweep["id"], "Completed", "cli-sweep", "2", "2.0"] in [r.split() for r in rows]
    code, out, _ = mlservice("sweep", "list", "--json", "--limit", "1")
    assert [s["id"] for s in json.loads(out)] == [sweep["id"]]

    code, out, _ = mlservice("sweep", "show", sweep["id"])
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"{sweep['id']} Completed maximize score")
    trials = {line.split()[0]: line.split() for line in lines[2:]}
    assert sorted(trials) == ["0", "1"] and all(t[1] == "completed" for t in trials.values())
    assert sorted(t[3] for t in trials.values()) == ["x=1", "x=2"]
    code, out, _ = mlservice("sweep", "show", sweep["id"], "--json")
    shown = json.loads(out)
    assert [t["state"] for t in shown["trials"]] == ["completed", "completed"] and all(t["job_id"] for t in shown["trials"])

    code, out, err = mlservice("sweep", "register", sweep["id"], "cli-sweep-best")
    best = sweep["best_trial"]["number"]
    assert code == 0 and out.strip() == f"registered cli-sweep-best version 1 from trial {best}", err
    mv = server.client().models.version("cli-sweep-best:1")
    assert mv.run_id == server.client().jobs.get(sweep["best_trial"]["job_id"]).run_id


def test_sweep_cancel_and_failures(server, mlservice):
    spec = _spec(server.root, "slow", trial={"command": "sleep 600 # ${{search_space.x}}"}, search_space={"x": {"type": "uniform", "low": 0, "high": 1}},
                 objective={"metric": "score"}, limits={"max_trials": 3, "max_concurrent_trials": 1})
    code, out, _ = mlservice("sweep", "submit", "--spec", spec)
    assert code == 0
    sweep_id, status = out.split()
    assert sweep_id.startswith("job-") and status in ("Queued", "Running")
    ml = server.client()
    wait_for(lambda: ml.jobs.list(parent=sweep_id, status="Running"), 300, what="the first trial running")
    code, out, _ = mlservice("sweep", "cancel", sweep_id)
    assert code == 0 and out.split()[0] == sweep_id and out.split()[1] in ("CancelRequested", "Canceled")
    wait_for(lambda: ml.sweeps.get(sweep_id).status == "Canceled", 120, what="the sweep canceled")
    assert [j.status for j in ml.jobs.list(parent=sweep_id)] == ["Canceled"]

    # trials that never log the objective: --wait reports the failure with exit status 1
    spec = _spec(server.root, "silent", trial={"command": "true ${{search_space.x}}"}, search_space={"x": {"type": "choice", "values": [1, 2]}},
                 objective={"metric": "score"})
    code, out, _ = mlservice("sweep", "submit", "--spec", spec, "--wait")
    assert code == 1 and out.split()[1] == "Failed" and out.strip().endswith("best: None")

    (server.root / "broken.json").write_text("{not json")
    code, _, err = mlservice("sweep", "submit", "--spec", str(server.root / "broken.json"))
    assert code == 1 and err.startswith("mlservice: error: --spec must be a JSON file") and len(err.strip().splitlines()) == 1
    code, _, err = mlservice("sweep", "register", "job-000000000000", "x")
    assert code == 1 and "job-000000000000" in err


@pytest.fixture(scope="module")
def breast_cancer(server):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = X.iloc[:, :8].assign(label=y)
    frame.to_csv(server.root / "bc.csv", index=False)
    with sqlite3.connect(server.root / "warehouse.db") as db:
        frame.to_sql("patients", db, index=False)
    return frame


def test_automl_submit_wait_list_show_and_register(server, mlservice, breast_cancer):
    code, out, err = mlservice(
        "automl", "submit", "--task", "classification", "--data", "bc.csv", "--target-column", "label", "--metric", "auc",
        "--budget", "300", "--max-trials", "4", "--allowed", "logistic_regression,lightgbm", "--holdout", "0.25", "--no-ensemble",
        "--name", "cli automl", "--tag", "team=cli", "--experiment", "cli-automl", "--wait",
    )
    assert code == 0, err
    run_id, status, _, model, score = out.split()
    assert status == "Completed" and model in ("logistic_regression", "lightgbm") and float(score) > 0.9
    run = server.client().automl.get(run_id)
    assert run.job.display_name == "cli automl" and run.job.tags["team"] == "cli" and run.spec["max_trials"] == 4
    assert run.spec["validation"]["holdout"] == 0.25 and run.spec["ensemble"] is False

    code, out, _ = mlservice("automl", "list")
    header, *rows = out.strip().splitlines()
    assert header.split() == ["ID", "STATUS", "TASK", "TRIALS", "BEST_SCORE"]
    row = next(r.split() for r in rows if r.startswith(run_id))
    assert row[1:3] == ["Completed", "classification"] and int(row[3]) == run.trials and float(row[4]) == pytest.approx(run.best_score)
    code, out, _ = mlservice("automl", "list", "--json")
    assert run_id in [r["id"] for r in json.loads(out)]

    code, out, _ = mlservice("automl", "show", run_id)
    lines = out.strip().splitlines()
    assert lines[0] == f"{run_id} Completed trials={run.trials}"
    assert lines[1].split() == ["RANK", "MODEL", "SCORE", "PARAMS"] and lines[2].split()[:2] == ["1", model]
    code, out, _ = mlservice("automl", "show", run_id, "--json")
    assert json.loads(out)["leaderboard"][0]["model"] == model

    code, out, err = mlservice("automl", "register", run_id, "cli-automl-best")
    assert code == 0 and out.strip() == f"registered cli-automl-best version 1 ({model})", err
    assert server.client().models.version("cli-automl-best:1").version in (1, "1")


def test_automl_from_a_query_cancel_and_mistakes(server, mlservice, breast_cancer):
    code, out, err = mlservice(
        "automl", "submit", "--task", "classification", "--db", f"sqlite:///{server.root / 'warehouse.db'}", "--data", "SELECT * FROM patients",
        "--target-column", "label", "--budget", "3600", "--json",
    )
    assert code == 0, err
    run = json.loads(out)
    source = run["spec"]["data"]
    assert (source["url"], source["sql"]) == (f"sqlite:///{server.root / 'warehouse.db'}", "SELECT * FROM patients")
    ml = server.client()
    wait_for(lambda: ml.jobs.list(parent=run["id"], status="Running"), 300, what="the search running")
    code, out, _ = mlservice("automl", "cancel", run["id"])
    assert code == 0 and out.split()[0] == run["id"]
    wait_for(lambda: ml.automl.get(run["id"]).status == "Canceled", 120, what="the run canceled")
    assert {j.status for j in ml.jobs.list(parent=run["id"])} == {"Canceled"}
    code, _, err = mlservice("automl", "register", run["id"], "never")
    assert code == 1 and "has no final model" in err

    code, _, err = mlservice("automl", "submit", "--task", "classification", "--data", "bc.csv", "--target-column", "label", "--cv", "3", "--holdout", "0.2")
    assert code == 1 and "give one of --cv, --holdout or --validation-data" in err
    code, _, err = mlservice("automl", "submit", "--task", "forecasting", "--data", "bc.csv", "--target-column", "label", "--lags", "1,x")
    assert code == 1 and "--lags must be comma-separated whole numbers" in err
    code, _, err = mlservice("automl", "submit", "--task", "classification", "--data", "bc.csv", "--target-column", "label", "--allowed", "svm")
    assert code == 1 and "unknown model 'svm'" in err and "logistic_regression" in err
    code, _, err = mlservice("automl", "submit", "--task", "classification", "--data", "missing.csv", "--target-column", "y")
    assert code == 1 and "'missing.csv' is not a file on the server" in err
