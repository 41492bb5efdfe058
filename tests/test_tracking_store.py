"""The batching MLflow tracking store that jobs log through (core/tracking).

Jobs are real subprocesses with ``MLFLOW_TRACKING_URI=batching_uri(...)`` and ``MLFLOW_RUN_ID`` of
a pre-created run, logging with plain ``mlflow.log_metric`` into a real SQLite MLflow store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from jupyter_mlservice.core.tracking import (
    artifact_root_of,
    batching_uri,
    inner_uri,
    plugin_pythonpath,
)
from jupyter_mlservice.core.tracking.store_setup import prepare_sqlite_tracking_db

JOB = textwrap.dedent(
    """
    import sys, time
    import mlflow

    n, pause = int(sys.argv[1]), float(sys.argv[2])
    mlflow.log_param("lr", 0.1)
    mlflow.log_params({"epochs": n, "optimizer": "sgd"})
    mlflow.set_tag("stage", "train")
    for i in range(n):
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
    print("logged", n, flush=True)
    time.sleep(pause)
    """
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    # Creating the MLflow schema takes seconds; the tests share one database, each with its runs.
    tmp_path = tmp_path_factory.mktemp("tracking")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    store = prepare_sqlite_tracking_db(uri, str(tmp_path / "artifacts"))
    return {"uri": uri, "store": store, "tmp": tmp_path}


def _new_run(store) -> str:
    return store.create_run("0", "", int(time.time() * 1000), [], None).info.run_id


def _job_env(ws, run_id: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    pythonpath = plugin_pythonpath(str(ws["tmp"] / "plugin"))
    if env.get("PYTHONPATH"):
        pythonpath.append(env["PYTHONPATH"])
    env.update(
        MLFLOW_TRACKING_URI=batching_uri(ws["uri"], str(ws["tmp"] / "artifacts")),
        MLFLOW_REGISTRY_URI=ws["uri"],
        MLFLOW_RUN_ID=run_id,
        PYTHONPATH=os.pathsep.join(pythonpath),
    )
    return env


def _start_job(ws, run_id: str, n: int, pause: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", JOB, str(n), str(pause)],
        env=_job_env(ws, run_id),
        cwd=ws["tmp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _client(ws):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=batching_uri(ws["uri"]), registry_uri=ws["uri"])


def test_batching_uri_round_trips_any_inner_uri():
    for inner in [
        "sqlite:////tmp/a b/mlflow.db",
        "sqlite:////tmp/x.db?timeout=30",
        "http://127.0.0.1:5000/prefix?x=1&y=%2F#frag",
        "postgresql://user:p%40ss@db:5432/mlflow",
    ]:
        outer = batching_uri(inner, "/tmp/art?x")
        assert outer.startswith("mlservice-batch://")
        assert inner_uri(outer) == inner
        assert artifact_root_of(outer) == "/tmp/art?x"
    assert artifact_root_of(batching_uri("http://h:5000")) is None
    with pytest.raises(ValueError):
        inner_uri("sqlite:////tmp/x.db")


def test_mlflow_resolves_the_batching_scheme_to_the_batching_store(workspace):
    from mlflow.tracking._tracking_service.utils import _get_store

    from jupyter_mlservice.core.tracking.batching_store import BatchingTrackingStore

    store = _get_store(batching_uri(workspace["uri"]))
    assert isinstance(store, BatchingTrackingStore)
    assert store.inner_uri == workspace["uri"]
    # Reads are delegated to the wrapped SQLite store.
    assert store.get_experiment("0").name == "Default"


def test_workspace_db_is_in_wal_mode_and_default_experiment_uses_artifact_root(workspace):
    import sqlite3

    conn = sqlite3.connect(workspace["tmp"] / "mlflow.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    location = workspace["store"].get_experiment("0").artifact_location
    assert location.endswith("artifacts/0")
    assert str(workspace["tmp"]) in location


def test_eight_concurrent_jobs_store_every_value(workspace):
    store = workspace["store"]
    runs = [_new_run(store) for _ in range(8)]
    jobs = [_start_job(workspace, run_id, 1000) for run_id in runs]
    outputs = [job.communicate(timeout=240)[0] for job in jobs]
    for job, out in zip(jobs, outputs):
        assert job.returncode == 0, out
        assert "database is locked" not in out.lower(), out
        assert "logged 1000" in out
    for run_id in runs:
        history = store.get_metric_history(run_id, "loss")
        assert sorted(m.step for m in history) == list(range(1000))
        run = store.get_run(run_id)
        assert run.data.params == {"lr": "0.1", "epochs": "1000", "optimizer": "sgd"}
        assert run.data.tags["stage"] == "train"
        # MLflow's own exit hook ended the run after the queue was written.
        assert run.info.status == "FINISHED"


def test_values_are_visible_while_the_job_runs(workspace):
    store = workspace["store"]
    run_id = _new_run(store)
    job = _start_job(workspace, run_id, 200, pause=60)
    try:
        assert job.stdout.readline().strip() == "logged 200"
        logged_at = time.monotonic()
        while len(store.get_metric_history(run_id, "loss")) < 200:
            assert job.poll() is None, "the job must still be running"
            assert time.monotonic() - logged_at < 5, "values not visible within 5 s"
            time.sleep(0.1)
        assert job.poll() is None
        assert store.get_run(run_id).data.params["optimizer"] == "sgd"
    finally:
        job.kill()
        job.wait()


def test_values_queued_right_before_exit_are_not_lost(workspace):
    store = workspace["store"]
    run_id = _new_run(store)
    code = textwrap.dedent(
        """
        import mlflow
        for i in range(2500):
            mlflow.log_metric("acc", i / 2500, step=i)
        mlflow.set_tag("last", "yes")
        mlflow.end_run()  # explicit end right after logging: the queue is written first
        client = mlflow.MlflowClient()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=_job_env(workspace, run_id),
        cwd=workspace["tmp"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(store.get_metric_history(run_id, "acc")) == 2500
    run = store.get_run(run_id)
    assert run.data.tags["last"] == "yes"
    assert run.info.status == "FINISHED"


def test_mistakes_are_raised_to_the_caller_not_lost_in_the_background(workspace):
    from mlflow.exceptions import MlflowException

    client = _client(workspace)
    run_id = _new_run(workspace["store"])
    with pytest.raises(MlflowException, match="Invalid value"):
        client.log_metric(run_id, "loss", "not a number")
    with pytest.raises(MlflowException):
        client.log_metric(run_id, "bad//name", 1.0)
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")  # same value again is fine, as in MLflow
    with pytest.raises(MlflowException, match="Changing param values is not allowed"):
        client.log_param(run_id, "lr", "0.2")
    with pytest.raises(MlflowException):
        client.log_metric("0" * 32, "loss", 1.0)  # no such run
    client.log_metric(run_id, "nan", float("nan"))
    # A read through the same store sees what was queued before it.
    history = client.get_metric_history(run_id, "nan")
    assert len(history) == 1
    assert client.get_run(run_id).data.params == {"lr": "0.1"}

    deleted = _new_run(workspace["store"])
    workspace["store"].delete_run(deleted)
    with pytest.raises(MlflowException, match="must be in the 'active' state"):
        client.log_metric(deleted, "loss", 1.0)


def test_async_logging_api_goes_through_the_same_queue(workspace):
    client = _client(workspace)
    run_id = _new_run(workspace["store"])
    ops = [client.log_metric(run_id, "m", i, step=i, synchronous=False) for i in range(50)]
    for op in ops:
        op.wait()
    assert len(workspace["store"].get_metric_history(run_id, "m")) == 50


def test_batches_respect_mlflow_limits(workspace):
    from mlflow.entities import Metric, Param, RunTag

    client = _client(workspace)
    run_id = _new_run(workspace["store"])
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric("m", float(i), now, i) for i in range(2500)],
        params=[Param(f"p{i}", str(i)) for i in range(250)],
        tags=[RunTag(f"t{i}", "x" * 5000) for i in range(150)],
    )
    run = client.get_run(run_id)  # flushes first
    assert len(run.data.params) == 250
    assert sum(k.startswith("t") for k in run.data.tags) == 150
    assert len(workspace["store"].get_metric_history(run_id, "m")) == 2500


def test_a_writer_holding_the_database_delays_logging_but_never_fails_it(workspace):
    import sqlite3

    client = _client(workspace)
    run_id = _new_run(workspace["store"])
    client.log_metric(run_id, "warm", 0.0)
    client.get_run(run_id)  # the queue is empty again
    holder = sqlite3.connect(workspace["tmp"] / "mlflow.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for i in range(300):
            client.log_metric(run_id, "m", float(i), step=i)  # returns at once: only queued
        time.sleep(1.5)  # the writer thread is now waiting for the lock
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert len(client.get_metric_history(run_id, "m")) == 300


def test_transient_lock_errors_are_retried_and_kept_out_of_the_log(workspace, caplog):
    """Fault injection: a call that fails like a locked SQLite database twice, then works."""
    import logging

    import sqlalchemy.exc
    from mlflow.exceptions import MlflowException
    from mlflow.tracking._tracking_service.utils import _get_store

    store = _get_store(batching_uri(workspace["uri"]))
    mlflow_db_log = logging.getLogger("mlflow.store.db.utils")
    attempts = []

    def flaky(value):
        attempts.append(value)
        if len(attempts) < 3:
            err = sqlalchemy.exc.OperationalError("INSERT", {}, Exception("database is locked"))
            mlflow_db_log.error("SQLAlchemy database error: %s", err)  # what MLflow logs
            raise MlflowException(str(err)) from err
        return value

    with caplog.at_level(logging.INFO):
        assert store._retrying(flaky, 7) == 7
    assert len(attempts) == 3
    assert "database is locked" not in caplog.text

    def broken():
        raise MlflowException("Invalid value")

    with pytest.raises(MlflowException, match="Invalid value"):
        store._retrying(broken)


@pytest.mark.slow
def test_jobs_can_log_through_an_mlflow_tracking_server(tmp_path):
    """The wrapped URI may be an MLflow server; mlflow-artifacts: locations still resolve."""
    import signal
    import socket

    import requests
    from mlflow import MlflowClient

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
            "--artifacts-destination", str(tmp_path / "server-artifacts"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    inner = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{inner}/health", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "mlflow server did not start"
            assert server.poll() is None, "mlflow server exited"
            time.sleep(0.5)
        client = MlflowClient(inner)
        run_id = client.create_run("0").info.run_id
        (tmp_path / "note.txt").write_text("hello")
        code = textwrap.dedent(
            f"""
            import mlflow
            for i in range(500):
                mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
            mlflow.log_param("lr", 0.1)
            mlflow.log_artifact({str(tmp_path / 'note.txt')!r})
            """
        )
        env = dict(os.environ, MLFLOW_TRACKING_URI=batching_uri(inner), MLFLOW_REGISTRY_URI=inner,
                   MLFLOW_RUN_ID=run_id)
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert len(client.get_metric_history(run_id, "loss")) == 500
        run = client.get_run(run_id)
        assert run.data.params == {"lr": "0.1"}
        assert run.info.status == "FINISHED"
        assert [f.path for f in client.list_artifacts(run_id)] == ["note.txt"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
