"""Monitors end to end on a real workspace: an endpoint collecting its traffic, runs as jobs,
per-feature results, alerts POSTed to a local webhook with retries, schedules, restarts, batch
jobs collecting, and the endpoint time series."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from jupyter_mlservice.core.endpoints.schemas import DeploymentCreate, EndpointCreate
from jupyter_mlservice.core.errors import Conflict, InvalidRequest, NotFound
from jupyter_mlservice.core.monitoring.collection import Collector, collected_dir
from jupyter_mlservice.core.monitoring.schemas import MonitorCreate, MonitorUpdate
from jupyter_mlservice.core.monitoring.tables import EndpointSampleRow
from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

from .conftest import seed_workspace, wait_for, wait_job
from .event_schemas import fits
from .serving_fixtures import IRIS_COLUMNS, save_iris_model

RUN_TIMEOUT = 300  # a run job imports numpy, scipy, pyarrow and MLflow: slow on a busy machine


class Receiver:
    """A webhook on 127.0.0.1 that answers with the statuses it is given, then 200."""

    def __init__(self, statuses: list[int] | None = None, port: int = 0):
        self.statuses = list(statuses or [])
        self.calls: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.calls.append({"body": body, "alert_id": self.headers.get("X-Mlservice-Alert-Id")})
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def iris_frame(rows: int, seed: int, shift: dict[str, float] | None = None) -> pd.DataFrame:
    from sklearn.datasets import load_iris

    x, _ = load_iris(return_X_y=True, as_frame=True)
    x.columns = IRIS_COLUMNS
    rng = np.random.default_rng(seed)
    out = x.sample(rows, replace=True, random_state=seed).reset_index(drop=True) + rng.normal(0, 0.05, (rows, 4))
    for col, delta in (shift or {}).items():
        out[col] += delta
    return out


def make_workspace(root: Path, **kw) -> Workspace:
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, **kw))
    ws.monitors.alert_backoff_s = 0.2  # retries within a test's patience
    ws.start()
    return ws


def wait_run(ws, monitor: str, run_id: int | None = None, timeout: float = RUN_TIMEOUT):
    def done():
        runs = ws.monitors.runs(monitor).items
        run = next((r for r in runs if run_id is None or r.id == run_id), None)
        return run if run is not None and run.state != "Running" else None

    run = wait_for(done, timeout, interval=0.3, what=f"a run of monitor {monitor} to end")
    assert run.state == "Completed", f"{run.error}\n{ws.jobs.logs(run.job_id).text[-3000:]}"
    return run


# ---- an endpoint that collects ----------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory, mlflow_template):
    root = tmp_path_factory.mktemp("monitoring") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    save_iris_model(root / "model")
    iris_frame(3000, seed=0).to_csv(root / "baseline.csv", index=False)
    ws = make_workspace(root, series_interval_s=0.5)
    ws.models.register("iris-mon", local_path=str(root / "model"))
    ws.endpoints.create_endpoint(EndpointCreate(name="iris"))
    ws.endpoints.create_deployment("iris", DeploymentCreate(name="blue", model="iris-mon:1", collect={"sample_rate": 1.0}))
    wait_for(lambda: ws.endpoints.get_deployment("iris", "blue").status == "Healthy", 300, interval=0.5, what="deployment blue")
    receiver = Receiver()
    yield ws, root, receiver
    receiver.close()
    ws.stop()
    ws.endpoints.controller.stop_serving("iris")


def send(ws, frame: pd.DataFrame, chunk: int = 25) -> None:
    ep, key = ws.endpoints.get_endpoint("iris"), ws.endpoints.keys("iris").primary
    for i in range(0, len(frame), chunk):
        body = {"dataframe_split": {"columns": IRIS_COLUMNS, "data": frame.iloc[i : i + chunk].values.tolist()}}
        resp = requests.post(ep.base_uri + "/invocations", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert resp.status_code == 200, resp.text


def test_the_deployment_shows_and_keeps_its_collect_settings(world):
    ws, _, _ = world
    blue = ws.endpoints.get_deployment("iris", "blue")
    assert blue.collect.model_dump() == {"inputs": True, "outputs": True, "sample_rate": 1.0}


def test_a_monitor_finds_drift_in_shifted_traffic_and_its_webhook_gets_the_alert(world):
    ws, root, receiver = world
    receiver.statuses[:] = [500, 503]  # the receiver fails twice; the third attempt lands
    alerts, events = [], []
    unsubscribe = ws.monitors.subscribe(alerts.append)
    # `monitor` events on the workspace's bus: (action, the rest of the payload)
    ws.events.subscribe(lambda area, data: events.append((data["action"], {k: v for k, v in fits("monitor", data).items() if k != "action"}))
                        if area == "monitor" else None)
    send(ws, iris_frame(500, seed=1, shift={"petal_length": 2.0}))
    ws.monitors.create(MonitorCreate(
        name="iris-drift", endpoint="iris", baseline="baseline.csv", window="1h",
        signals=["data_drift", "prediction_drift", "data_quality", "weighted_drift"], alert={"webhook": receiver.url},
    ))  # fmt: skip
    wait_for(lambda: ws.endpoints.metrics("iris")["deployments"]["blue"].get("collected", 0) >= 20, 60, what="collected requests")
    started = ws.monitors.run_now("iris-drift")
    assert started.state == "Running" and started.trigger == "manual" and ws.jobs.get(started.job_id).kind == "command"
    run = wait_run(ws, "iris-drift", started.id)
    assert run.breached and run.rows == 500 and run.baseline_rows == 3000
    summary = {s.type: s for s in run.signals}
    assert summary["data_drift"].breaches == ["petal_length"] and summary["prediction_drift"].breached
    assert summary["data_quality"].breaches == ["petal_length"]  # a third of the values beyond the baseline's maximum
    detail = ws.monitors.run("iris-drift", run.id)
    drift = {f.feature: f for f in detail.features if f.signal == "data_drift"}
    assert set(drift) == set(IRIS_COLUMNS) and drift["petal_length"].statistic > 0.5 and drift["petal_length"].method == "wasserstein"
    assert not drift["sepal_width"].breached and 0 < drift["petal_length"].importance <= 1
    assert set(detail.histograms) == set(IRIS_COLUMNS) | {"prediction"}
    hist = detail.histograms["petal_length"]
    assert sum(hist.window) == pytest.approx(1) and len(hist.labels) == len(hist.baseline)

    # the alert: a row, an event, the subscribers, and the webhook after two failed attempts
    (alert,) = ws.monitors.alerts("iris-drift").items
    assert alert.run_id == run.id and "data_drift breached (petal_length)" in alert.message
    wait_for(lambda: ws.monitors.alerts("iris-drift").items[0].delivery == "delivered", 60, what="the webhook delivery")
    alert = ws.monitors.alerts("iris-drift").items[0]
    assert alert.attempts == 3 and alert.last_status == 200 and alert.delivered_at is not None
    assert [c["alert_id"] for c in receiver.calls] == [str(alert.id)] * 3
    assert receiver.calls[-1]["body"]["monitor"] == "iris-drift" and receiver.calls[-1]["body"]["run_id"] == run.id
    assert [a.id for a in alerts] == [alert.id]
    assert ("alert", {"monitor": "iris-drift", "alert_id": alert.id, "run_id": run.id, "job_id": run.job_id, "message": alert.message,
                      "notify": True, "signals": ["data_drift", "prediction_drift", "data_quality", "weighted_drift"]}) in events  # fmt: skip
    assert any(kind == "run" and data["run_id"] == run.id and data["breached"] for kind, data in events)
    unsubscribe()

    # history: the feature's statistic over runs, for the heatmap
    series = ws.monitors.feature_series("iris-drift", "data_drift")
    assert [p.run_id for p in series.features["petal_length"]] == [run.id] and series.features["petal_length"][0].breached


def test_a_scheduled_monitor_runs_on_its_schedule_and_fires_the_webhook(world):
    ws, _, receiver = world
    receiver.statuses[:] = []
    before = len(receiver.calls)
    monitor = ws.monitors.create(MonitorCreate(name="iris-hourly", endpoint="iris", baseline="baseline.csv", window="1h",
                                               schedule={"cron": "* * * * *"}, alert={"webhook": receiver.url}))  # fmt: skip
    assert monitor.schedule_name == "monitor-iris-hourly" and monitor.next_run_at is not None
    schedule = ws.schedules.get("monitor-iris-hourly")
    assert schedule.enabled and schedule.job["tags"]["mlservice.monitor"] == "iris-hourly"
    run = wait_run(ws, "iris-hourly", timeout=RUN_TIMEOUT + 90)
    assert run.trigger == "schedule" and run.breached
    assert run.window_end.second == 0 and run.window_end - run.window_start == timedelta(hours=1)
    assert ws.jobs.get(run.job_id).tags["mlservice.schedule"] == "monitor-iris-hourly"
    wait_for(lambda: len(receiver.calls) > before, 60, what="the scheduled run's webhook")
    assert receiver.calls[before]["body"]["monitor"] == "iris-hourly"

    # disabling the monitor disables its schedule; deleting it deletes the schedule, not the jobs
    assert not ws.monitors.set_enabled("iris-hourly", False).enabled
    assert not ws.schedules.get("monitor-iris-hourly").enabled
    assert ws.monitors.set_enabled("iris-hourly", True).next_run_at is not None
    ws.monitors.update("iris-hourly", MonitorUpdate(schedule=None))
    with pytest.raises(NotFound):
        ws.schedules.get("monitor-iris-hourly")
    ws.monitors.delete("iris-hourly")
    with pytest.raises(NotFound):
        ws.monitors.get("iris-hourly")
    assert ws.jobs.get(run.job_id).status == "Completed"


def test_bad_settings_get_errors_that_say_what_to_change(world):
    ws, root, _ = world
    (root / "notes.txt").write_text("x")
    cases = [
        (dict(endpoint="nope"), "no endpoint named 'nope'"),
        (dict(endpoint="iris", deployment="red"), "has no deployment 'red'"),
        (dict(endpoint="iris", baseline="missing.csv"), "matches no CSV or Parquet file"),
        (dict(endpoint="iris", features=["petal_length", "colour"]), "no column 'colour'"),
        (dict(endpoint="iris", signals=[{"type": "data_drift", "method": "chi_squared"}]), "does not apply to numeric"),
        (dict(endpoint="iris", baseline="data:iris@1"), "baseline 'data:iris@1': no data asset named 'iris'"),
        (dict(endpoint="iris", schedule={"cron": "every hour"}), "not a five-field cron"),
        (dict(endpoint="iris", schedule={"cron": "0 * * * *", "time_zone": "Mars/Olympus"}), "not an IANA time zone"),
    ]
    for overrides, message in cases:
        with pytest.raises(InvalidRequest, match=message):
            ws.monitors.create(MonitorCreate(**{"name": "bad", "baseline": "baseline.csv", **overrides}))
    with pytest.raises(ValueError, match="not a window"):
        MonitorCreate(name="bad", endpoint="iris", baseline="baseline.csv", window="an hour")
    with pytest.raises(ValueError, match="endpoint= .* batch= .* or current="):
        MonitorCreate(name="bad", baseline="baseline.csv")
    ws.monitors.create(MonitorCreate(name="twice", endpoint="iris", baseline="baseline.csv"))
    with pytest.raises(Conflict):
        ws.monitors.create(MonitorCreate(name="twice", endpoint="iris", baseline="baseline.csv"))
    ws.monitors.delete("twice")
    assert [m.name for m in ws.monitors.list().items if m.name == "bad"] == []  # nothing half-made
    from jupyter_mlservice.core.schedules.schemas import ScheduleCreate

    ws.schedules.create(ScheduleCreate(name="monitor-taken", cron="0 1 * * *", job={"kind": "command", "command": "true"}))
    with pytest.raises(Conflict, match="not this monitor's"):
        ws.monitors.create(MonitorCreate(name="taken", endpoint="iris", baseline="baseline.csv", schedule={"cron": "0 * * * *"}))
    ws.schedules.delete("monitor-taken")


def test_request_rate_errors_and_latency_are_kept_as_a_time_series(world):
    ws, _, _ = world
    wait_for(lambda: ws.monitors.sampler.ticks >= 2, 30, what="two samples")
    send(ws, iris_frame(200, seed=3))
    ep, key = ws.endpoints.get_endpoint("iris"), ws.endpoints.keys("iris").primary
    for _ in range(5):  # errors: a body the model cannot score
        requests.post(ep.base_uri + "/invocations", json={"dataframe_split": {"columns": ["x"], "data": [["a"]]}},
                      headers={"Authorization": f"Bearer {key}"}, timeout=30)  # fmt: skip

    def points():
        series = ws.monitors.series("iris", since=datetime.now(timezone.utc) - timedelta(minutes=10), step_s=1)
        pts = series.deployments.get("blue", [])
        return pts if sum(p.requests for p in pts) >= 13 and sum(p.errors for p in pts) >= 5 else None

    pts = wait_for(points, 60, what="the requests in the series")
    busy = [p for p in pts if p.requests]
    assert all(p.p50_ms is not None and p.p99_ms >= p.p50_ms > 0 for p in busy)
    assert any(p.error_rate > 0 for p in busy) and all(p.request_rate >= 0 for p in pts)
    # a series read at once ends with what the live counters add since the last stored sample
    ws.monitors.sampler.stop()
    try:
        before = sum(p.requests for p in ws.monitors.series("iris").deployments["blue"])
        send(ws, iris_frame(50, seed=4))  # two requests
        assert sum(p.requests for p in ws.monitors.series("iris").deployments["blue"]) == before + 2
        assert sum(p.requests for p in ws.monitors.series("iris", deployment="blue").deployments["blue"]) == before + 2
    finally:
        ws.monitors.sampler.start()
    # retention: points older than it are pruned
    with ws.store.session() as s:
        s.add(EndpointSampleRow(endpoint="iris", deployment="blue", time=datetime(2000, 1, 1), interval_s=1, requests=1, errors=0))
    ws.monitors.sampler._pruned = 0.0
    ws.monitors.sampler.wait_ticks(2)
    old = ws.monitors.series("iris", since=datetime(1999, 12, 31, tzinfo=timezone.utc), until=datetime(2000, 1, 2, tzinfo=timezone.utc))
    assert old.deployments == {}


# ---- batch collections and restarts -----------------------------------------------------------


def write_collection(ws, name: str, frame: pd.DataFrame, at: datetime | None = None) -> None:
    """What a batch job collecting under ``name`` leaves (same writer, same layout)."""
    c = Collector(collected_dir(ws.workspace_dir, name), "job-test", flush_interval=0.05)
    import pyarrow as pa

    when = (at or datetime.now(timezone.utc)).timestamp()
    for i in range(0, len(frame), 100):
        c.offer("table", pa.Table.from_pandas(frame.iloc[i : i + 100], preserve_index=False), None, when, 0.0)
    c.stop()
    assert c.written and not c.dropped


@pytest.fixture
def fresh(tmp_path, mlflow_template):
    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    iris_frame(2000, seed=0).to_csv(root / "baseline.csv", index=False)
    return root


def test_restart_ingests_a_run_once_and_resumes_its_alert_delivery(fresh):
    receiver = Receiver(statuses=[503] * 100)  # down for now
    ws = make_workspace(fresh)
    try:
        write_collection(ws, "nightly", iris_frame(400, seed=5, shift={"sepal_width": 1.5}))
        ws.monitors.create(MonitorCreate(name="nightly-drift", batch="nightly", baseline="baseline.csv", window="2h",
                                         schedule={"cron": "0 3 * * *"}, alert={"webhook": receiver.url}))  # fmt: skip
        ws.monitors.controller.stop()  # the server "dies" before it sees the run end
        started = ws.monitors.run_now("nightly-drift")
        wait_job(ws, started.job_id, RUN_TIMEOUT)
        assert ws.monitors.runs("nightly-drift").items[0].state == "Running"
    finally:
        ws.stop()

    ws = make_workspace(fresh)  # the next server ingests the finished job, raises one alert, tries the webhook
    try:
        run = wait_run(ws, "nightly-drift", started.id)
        assert run.breached and [s.breaches for s in run.signals if s.type == "data_drift"] == [["sepal_width"]]
        wait_for(lambda: ws.monitors.alerts("nightly-drift").items and ws.monitors.alerts("nightly-drift").items[0].attempts >= 2, 60)
        assert ws.monitors.alerts("nightly-drift").items[0].delivery == "pending"
        assert ws.schedules.get("monitor-nightly-drift").enabled  # the schedule was never lost
    finally:
        ws.stop()

    receiver.statuses[:] = []  # the receiver is back
    ws = make_workspace(fresh)
    try:
        wait_for(lambda: ws.monitors.alerts("nightly-drift").items[0].delivery == "delivered", 60, what="delivery after restart")
        (alert,) = ws.monitors.alerts("nightly-drift").items
        assert len(ws.monitors.runs("nightly-drift").items) == 1
        assert {c["alert_id"] for c in receiver.calls} == {str(alert.id)}  # retries of one alert, never a second alert
        assert ws.monitors.alerts(after=alert.id).items == [] and ws.monitors.alerts(after=0).items[0].id == alert.id
    finally:
        ws.stop()
        receiver.close()


def test_a_webhook_that_refuses_for_good_or_never_answers_ends_failed_with_the_reason(fresh):
    ws = make_workspace(fresh)
    ws.monitors.alert_attempts = 3
    refusing = Receiver(statuses=[404] * 10)
    try:
        write_collection(ws, "daily", iris_frame(300, seed=6, shift={"petal_width": 1.0}))
        ws.monitors.create(MonitorCreate(name="refused", batch="daily", baseline="baseline.csv", alert={"webhook": refusing.url}))
        ws.monitors.create(MonitorCreate(name="unreachable", batch="daily", baseline="baseline.csv",
                                         alert={"webhook": "http://127.0.0.1:9/nobody-listens"}))  # fmt: skip
        for name in ("refused", "unreachable"):
            ws.monitors.run_now(name)
        for name in ("refused", "unreachable"):
            wait_run(ws, name)
            wait_for(lambda n=name: ws.monitors.alerts(n).items[0].delivery == "failed", 60, what=f"{name} delivery to fail")
        refused = ws.monitors.alerts("refused").items[0]
        assert refused.attempts == 1 and refused.last_status == 404 and "HTTP 404" in refused.last_error
        unreachable = ws.monitors.alerts("unreachable").items[0]
        assert unreachable.attempts == 3 and unreachable.last_status is None and "ConnectionError" in unreachable.last_error
    finally:
        refusing.close()
        ws.stop()


def test_unshifted_data_does_not_alarm_and_a_failed_run_says_why(fresh):
    ws = make_workspace(fresh)
    try:
        write_collection(ws, "calm", iris_frame(800, seed=7))
        ws.monitors.create(MonitorCreate(name="calm", batch="calm", baseline="baseline.csv"))
        run = wait_run(ws, "calm", ws.monitors.run_now("calm").id)
        assert run.breached is False and run.rows == 800 and ws.monitors.alerts("calm").items == []
        (fresh / "baseline.csv").unlink()  # the baseline disappears: the next run fails and says why
        started = ws.monitors.run_now("calm")
        failed = wait_for(lambda: (r := ws.monitors.runs("calm").items[0]).state != "Running" and r, RUN_TIMEOUT)
        assert failed.id == started.id and failed.state == "Failed" and "matches no CSV or Parquet file" in failed.error
    finally:
        ws.stop()


@pytest.mark.timeout(900)
def test_a_batch_job_collects_what_it_scores_for_a_batch_monitor(fresh):
    ws = make_workspace(fresh)
    try:
        save_iris_model(fresh / "model")
        ws.models.register("iris-batch", local_path=str(fresh / "model"))
        frame = iris_frame(600, seed=8, shift={"petal_length": 1.5})
        frame.insert(0, "id", range(len(frame)))
        frame.to_parquet(fresh / "to-score.parquet")
        from jupyter_mlservice.core.jobs.schemas import BatchJobSpec

        job = ws.jobs.submit(BatchJobSpec.model_validate({
            "model": "iris-batch:1", "input": {"path": "to-score.parquet"}, "output": {"path": "scored.parquet"},
            "key_columns": ["id"], "mini_batch_size": 200, "collect": {"name": "weekly-scoring"},
        }))  # fmt: skip
        assert wait_job(ws, job.id, 600).status == "Completed", ws.jobs.logs(job.id).text
        summary = json.loads((ws.jobs.job_dir(job.id) / "outputs" / "batch_summary.json").read_text())
        assert summary["collection"]["collected"] == 3 and summary["collection"]["dropped"] == 0
        ws.monitors.create(MonitorCreate(name="weekly", batch="weekly-scoring", baseline="baseline.csv",
                                         features=IRIS_COLUMNS, signals=["data_drift", "prediction_drift", "weighted_drift"]))  # fmt: skip
        run = wait_run(ws, "weekly", ws.monitors.run_now("weekly").id)
        assert run.rows == 600 and run.breached
        kinds = {s.type: s for s in run.signals}
        assert kinds["data_drift"].breaches == ["petal_length"] and kinds["prediction_drift"].tested == 1
        assert kinds["weighted_drift"].summary["weighted_drift_share"] > 0.3  # petal length matters to this model
    finally:
        ws.stop()
