"""Schedules and batch jobs through a real `mlservice serve`: SDK, CLI, REST, a real minute."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter

import pytest

from jupyter_mlservice.core.errors import InvalidRequest, NotFound

from .batch_fixtures import make_frame, register_model, write_sqlite
from .conftest import LiveServer, wait_for
from .test_schedules_notebook import write_notebook


def cli(server, group, cmd, *args):
    proc = subprocess.run([sys.executable, "-m", "jupyter_mlservice.cli", group, cmd, "--url", server.url, "--token", server.token, *args],
                          capture_output=True, text=True, timeout=120)
    return proc


def test_sdk_contract_for_schedules(shared_server):
    ml = shared_server.client()
    write_notebook(shared_server.root / "report.ipynb", [("day = ''", ["parameters"]), ("print('report for', day)", None)])
    s = ml.schedules.create(name="nightly", cron="0 2 * * *", time_zone="Europe/Paris",
                            job={"notebook": "report.ipynb", "parameters": {"day": "{{ scheduled_date }}"}},
                            catch_up="latest", max_concurrent_runs=1)
    assert s.enabled and s.next_run_at is not None and s.next_run_at.minute == 0
    assert [x.name for x in ml.schedules.list()] == ["nightly"]
    assert ml.schedules.get("nightly").next_run_at == s.next_run_at
    assert ml.schedules.disable("nightly").next_run_at is None
    assert ml.schedules.enable("nightly").next_run_at == s.next_run_at
    job = ml.schedules.run_now("nightly")
    job.wait(timeout=180)
    assert job.status == "Completed", job.logs()
    assert [j.id for j in ml.jobs.list(schedule="nightly")] == [job.id]
    assert job.progress()["cells_done"] == 3  # with the injected-parameters cell
    runs = ml.schedules.runs("nightly")
    assert runs[0]["trigger"] == "manual" and runs[0]["job_status"] == "Completed"
    s = ml.schedules.update("nightly", cron="30 3 * * 1-5", max_concurrent_runs=2)
    assert s.cron == "30 3 * * 1-5" and s.max_concurrent_runs == 2
    with pytest.raises(InvalidRequest, match="five-field cron"):
        ml.schedules.update("nightly", cron="at 3")
    with pytest.raises(InvalidRequest, match="IANA"):
        ml.schedules.create(name="x", cron="0 2 * * *", time_zone="Nowhere/City", job={"command": "true"})
    ml.schedules.delete("nightly")
    with pytest.raises(NotFound):
        ml.schedules.get("nightly")


def test_cli_schedule_and_batch_commands(shared_server):
    ml = shared_server.client()
    root = shared_server.root
    info = ml.info()
    register_model(info["tracking_uri"], info["tracking_uri"], "iris")
    write_sqlite(root / "warehouse.db", make_frame(3_000))
    out = cli(shared_server, "schedule", "create", "every5", "--every", "5 minutes", "--command", "echo hi {{ scheduled_time }}")
    assert out.returncode == 0, out.stderr
    listed = json.loads(cli(shared_server, "schedule", "list", "--json").stdout)
    assert [s["name"] for s in listed] == ["every5"] and listed[0]["when"] == "every 5 minutes"
    run = cli(shared_server, "schedule", "run", "every5", "--wait")
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout + run.stderr
    shown = cli(shared_server, "schedule", "show", "every5")
    assert "manual" in shown.stdout and "Completed" in shown.stdout
    assert cli(shared_server, "schedule", "disable", "every5").returncode == 0
    assert cli(shared_server, "schedule", "delete", "every5").returncode == 0
    bad = cli(shared_server, "schedule", "create", "bad", "--cron", "nope", "--command", "true")
    assert bad.returncode == 1 and "five-field cron" in bad.stderr

    sub = cli(shared_server, "batch", "submit", "--model", "iris@champion", "--input-url", "sqlite:///warehouse.db",
              "--sql", "select * from features", "--output-url", "sqlite:///warehouse.db", "--output-table", "predictions",
              "--key-column", "id", "--mini-batch-size", "1000", "--wait", "--json")
    assert sub.returncode == 0, sub.stdout + sub.stderr
    job_id = json.loads(sub.stdout)["id"]
    progress = json.loads(cli(shared_server, "batch", "progress", job_id, "--json").stdout)
    assert progress["mini_batches_done"] == progress["mini_batches_total"] == 3 and progress["job_status"] == "Completed"


def test_sdk_batch_submit_is_a_job(shared_server):
    ml = shared_server.client()
    root = shared_server.root
    info = ml.info()
    register_model(info["tracking_uri"], info["tracking_uri"], "lin2")
    (root / "data").mkdir(exist_ok=True)
    make_frame(5_000).to_parquet(root / "data" / "f.parquet")
    job = ml.batch.submit(model="lin2@champion", input={"path": "data/*.parquet"}, output={"path": "out/predictions.parquet"},
                          key_columns=["id"], mini_batch_size=2_000, max_concurrency=2, error_threshold=10)
    assert job.kind == "batch"
    job.wait(timeout=300)
    assert job.status == "Completed", job.logs()
    assert "mlservice-batch: done: 3 mini-batch(es) scored" in job.logs()
    assert job.progress()["rows_done"] == 5_000
    assert "rows_scored" in job.metrics()
    with pytest.raises(InvalidRequest, match="input.path"):
        ml.batch.submit(model="lin2@champion", input={"path": "nothing/*.parquet"}, output={"path": "o.parquet"})


def test_a_schedule_fires_every_minute_for_real_and_survives_a_kill(server_root):
    """A real clock: a minutely schedule fires, the server is killed (SIGKILL) and restarted,
    and each minute still has exactly one run."""
    server = LiveServer(server_root).start()
    try:
        ml = server.client()
        ml.schedules.create(name="minutely", cron="* * * * *", job={"command": "echo tick {{ scheduled_time }}"}, catch_up="latest")

        def fired(n):
            return lambda: len([r for r in ml.schedules.runs("minutely") if r["state"] == "submitted"]) >= n and True

        wait_for(fired(1), 150, interval=1, what="the first minutely run")
        server.stop(sig=signal.SIGKILL)
        server = LiveServer(server_root, port=server.port).start()
        ml = server.client()
        assert ml.schedules.get("minutely").enabled
        wait_for(fired(2), 150, interval=1, what="a run after the restart")
        runs = ml.schedules.runs("minutely")
        slots = Counter(r["scheduled_time"] for r in runs)
        assert max(slots.values()) == 1
        jobs = ml.jobs.list(schedule="minutely")
        assert len({j.tags["mlservice.scheduled_time"] for j in jobs}) == len(jobs)
        first = jobs[-1].wait(timeout=120)
        assert first.status == "Completed" and "tick " in first.logs()
    finally:
        server.stop()
