"""Batch inference jobs on the core services: inputs, outputs, retries, threshold, timeout, resume."""

from __future__ import annotations

import json
import sqlite3
import textwrap

import pandas as pd
import pytest

from jupyter_mlservice.core.batch import model_uri
from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.jobs.schemas import BatchJobSpec

from .batch_fixtures import expected, make_frame, register_model, write_sqlite
from .conftest import wait_job


def run_batch(ws, timeout=240, **spec):
    job = ws.jobs.submit(BatchJobSpec(**spec))
    done = wait_job(ws, job.id, timeout)
    progress = json.loads((ws.jobs.job_dir(job.id) / "progress.json").read_text())
    return done, progress, ws.jobs.logs(job.id).text


def test_model_references_become_mlflow_uris():
    assert model_uri("iris@champion") == "models:/iris@champion"
    assert model_uri("iris:3") == "models:/iris/3"
    assert model_uri("iris") == "models:/iris/latest"
    assert model_uri("runs:/abc/model") == "runs:/abc/model"
    with pytest.raises(ValueError, match="name@alias"):
        model_uri("bad ref!")


def test_bad_inputs_are_rejected_at_submit(workspace):
    with pytest.raises(InvalidRequest, match="matches no CSV or Parquet"):
        workspace.jobs.submit(BatchJobSpec(model="m@a", input={"path": "missing/*.parquet"}, output={"path": "o.parquet"}))
    with pytest.raises(ValueError, match="summary_only"):
        BatchJobSpec(model="m@a", input={"path": "x.csv"})
    with pytest.raises(ValueError, match="url"):
        BatchJobSpec(model="m@a", input={"sql": "select 1"}, output_action="summary_only")


def test_registered_model_scores_parquet_files_and_a_sqlite_table(workspace):
    root = workspace.root_dir
    register_model(workspace.config.tracking_uri, workspace.config.registry_uri, "lin")
    df = make_frame(23_000)
    (root / "data").mkdir()
    df.iloc[:12_000].to_parquet(root / "data" / "part1.parquet")
    df.iloc[12_000:].to_parquet(root / "data" / "part2.parquet")
    write_sqlite(root / "warehouse.db", df)

    done, progress, log = run_batch(
        workspace, model="lin@champion", input={"path": "data/*.parquet"}, output={"path": "out/predictions.parquet"},
        key_columns=["id"], mini_batch_size=5_000, max_concurrency=2,
    )
    assert done.status == "Completed", log
    out = pd.read_parquet(root / "out" / "predictions.parquet").sort_values("id")
    assert list(out.columns) == ["id", "prediction"] and len(out) == 23_000
    assert abs(out["prediction"].to_numpy() - expected(df)).max() < 1e-9
    assert progress["mini_batches_total"] == progress["mini_batches_done"] == 6  # 3 + 2 per file (no spanning)
    assert progress["rows_done"] == 23_000 and progress["rows_per_s"] > 0
    summary = json.loads((workspace.jobs.job_dir(done.id) / "outputs" / "batch_summary.json").read_text())
    assert summary["model"]["model_version"] == "1" and summary["failures"] == []
    metrics = workspace.jobs.metrics(done.id)
    assert metrics.metrics["rows_scored"][-1].value == 23_000
    assert metrics.params["batch.model_name"] == "lin"

    done, progress, log = run_batch(
        workspace, model="lin:1", input={"sql": "SELECT id, a, b, c FROM features WHERE id % 2 = 0", "url": "sqlite:///warehouse.db"},
        output={"table": "predictions", "url": "sqlite:///warehouse.db"}, key_columns=["id"], mini_batch_size=4_000,
    )
    assert done.status == "Completed", log
    with sqlite3.connect(root / "warehouse.db") as conn:
        got = pd.read_sql("SELECT * FROM predictions ORDER BY id", conn)
    evens = df[df.id % 2 == 0]
    assert got["id"].tolist() == evens["id"].tolist()
    assert abs(got["prediction"].to_numpy() - expected(evens)).max() < 1e-9


SCRIPT = textwrap.dedent('''
    import os, time
    import pandas as pd

    def init():
        global offset
        offset = 1000.0  # state set up once per worker

    def run(mini_batch):
        first = int(mini_batch["id"].iloc[0])
        if first == int(os.environ.get("FAIL_AT", -1)) and not os.path.exists(os.environ.get("FIXED", "/nonexistent")):
            raise ValueError(f"bad rows starting at {first}")
        if first == int(os.environ.get("SLOW_AT", -1)) and not os.path.exists(os.environ["SLOW_MARK"]):
            open(os.environ["SLOW_MARK"], "w").close()
            time.sleep(60)
        return pd.DataFrame({"score": mini_batch["a"] + offset})
''')


@pytest.fixture
def scored_root(workspace):
    root = workspace.root_dir
    (root / "code").mkdir()
    (root / "code" / "score.py").write_text(SCRIPT)
    df = make_frame(1_000)
    df.to_csv(root / "input.csv", index=False)
    write_sqlite(root / "wh.db", df)
    return root


def test_a_failing_mini_batch_is_retried_then_counted_against_the_threshold(workspace, scored_root):
    common = dict(scoring_script="score.py", code="code", input={"path": "input.csv"}, key_columns=["id"], mini_batch_size=100,
                  retry_settings={"max_retries": 1, "timeout": 60}, environment_variables={"FAIL_AT": "300"})
    done, progress, log = run_batch(workspace, output={"path": "out/within.csv"}, error_threshold=1, **common)
    assert done.status == "Completed", log
    assert progress["mini_batches_failed"] == 1 and progress["retries"] == 1
    assert "mini-batch 3 failed (attempt 1 of 2): ValueError: bad rows starting at 300; retrying" in log
    assert "failed mini-batch 3 (rows 300..399): ValueError: bad rows starting at 300" in log
    summary = json.loads((workspace.jobs.job_dir(done.id) / "outputs" / "batch_summary.json").read_text())
    assert summary["failures"][0]["mini_batch"] == 3 and summary["failures"][0]["attempts"] == 2
    out = pd.read_csv(scored_root / "out" / "within.csv")
    assert len(out) == 900 and 300 not in set(out["id"]) and out["score"].iloc[0] == pytest.approx(1000 + out["score"].iloc[0] - 1000)

    done, progress, log = run_batch(workspace, output={"path": "out/over.csv"}, error_threshold=0, **common)
    assert done.status == "Failed"
    assert "more than error_threshold=0" in log


def test_a_rerun_resumes_where_the_first_run_stopped(workspace, scored_root):
    fixed = scored_root / "fixed"
    spec = dict(scoring_script="score.py", code="code", input={"table": "features", "url": "sqlite:///wh.db"},
                output={"table": "scores", "url": "sqlite:///wh.db"}, key_columns=["id"], mini_batch_size=100, error_threshold=0,
                retry_settings={"max_retries": 0, "timeout": 60}, environment_variables={"FAIL_AT": "500", "FIXED": str(fixed)})
    first, progress, log = run_batch(workspace, **spec)
    assert first.status == "Failed", log
    scored_first = progress["mini_batches_scored"]
    assert 1 <= scored_first <= 5
    fixed.touch()  # "the data was fixed"
    again = workspace.jobs.rerun(first.id)
    done = wait_job(workspace, again.id, 240)
    assert done.status == "Completed", workspace.jobs.logs(again.id).text
    progress = json.loads((workspace.jobs.job_dir(again.id) / "progress.json").read_text())
    assert progress["mini_batches_skipped"] == scored_first
    assert progress["mini_batches_scored"] == 10 - scored_first
    with sqlite3.connect(scored_root / "wh.db") as conn:
        n, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM scores").fetchone()
    assert n == distinct == 1_000


def test_a_mini_batch_over_its_timeout_is_stopped_and_retried(workspace, scored_root):
    done, progress, log = run_batch(
        workspace, scoring_script="score.py", code="code", input={"path": "input.csv"}, output_action="summary_only",
        key_columns=["id"], mini_batch_size=250, max_concurrency=2, retry_settings={"max_retries": 2, "timeout": 3},
        environment_variables={"SLOW_AT": "250", "SLOW_MARK": str(scored_root / "slow-once")},
    )
    assert done.status == "Completed", log
    assert "timed out after 3 s (retry_settings.timeout); retrying" in log
    assert progress["mini_batches_scored"] == 4 and progress["retries"] == 1 and progress["mini_batches_failed"] == 0


def test_files_mode_hands_file_paths_to_run(workspace):
    root = workspace.root_dir
    (root / "docs").mkdir()
    for i in range(5):
        (root / "docs" / f"d{i}.csv").write_text("x\n" + "\n".join(["1"] * (i + 1)) + "\n")
    (root / "count.py").write_text("def run(files):\n    return [sum(1 for _ in open(f)) - 1 for f in files]\n")
    done, progress, log = run_batch(workspace, scoring_script="count.py", input={"path": "docs"}, mini_batch_unit="files",
                                    mini_batch_size=2, output={"path": "counts.parquet"})
    assert done.status == "Completed", log
    out = pd.read_parquet(root / "counts.parquet")
    assert out["file"].tolist() == [f"d{i}.csv" for i in range(5)] and out["prediction"].tolist() == [1, 2, 3, 4, 5]
    assert progress["mini_batches_total"] == 3
