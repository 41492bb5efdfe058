"""Monitors and data assets: a baseline (or the data judged) is a data asset version, resolved when
each run's job starts, recorded on the run and in the lineage; what was collected in a window
becomes a data asset version of its own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest

from jupyter_mlservice.core.data.schemas import DataCreate
from jupyter_mlservice.core.errors import InvalidRequest, NotFound
from jupyter_mlservice.core.monitoring.schemas import CollectedRegister, MonitorCreate, MonitorUpdate

from .conftest import seed_workspace
from .test_monitoring_monitors import iris_frame, make_workspace, wait_run, write_collection


@pytest.fixture(scope="module")
def ws(tmp_path_factory, mlflow_template):
    root = tmp_path_factory.mktemp("monitoring-data") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    iris_frame(2000, seed=0).to_csv(root / "train.csv", index=False)
    iris_frame(2000, seed=1, shift={"petal_length": 1.5}).to_csv(root / "train-shifted.csv", index=False)
    iris_frame(500, seed=2).to_parquet(root / "scoring-day1.parquet", index=False)
    # seed 3 would make sepal_length a chance alarm too (resampling 150 flowers; alpha 0.05 is a rate, not never)
    iris_frame(500, seed=4, shift={"sepal_width": 0.8}).to_parquet(root / "scoring-day2.parquet", index=False)
    ws = make_workspace(root)
    ws.data.create(DataCreate(name="iris-train", path="train.csv", profile=False))
    yield ws
    ws.stop()


def drifted(ws, monitor: str, run_id: int) -> set[str]:
    return {f.feature for f in ws.monitors.run(monitor, run_id).features if f.signal == "data_drift" and f.breached}


def test_a_baseline_data_asset_is_read_at_its_latest_version_when_each_run_starts(ws):
    write_collection(ws, "nightly", iris_frame(400, seed=5))
    ws.monitors.create(MonitorCreate(name="nightly-drift", batch="nightly", baseline="data:iris-train", signals=["data_drift"]))
    first = wait_run(ws, "nightly-drift", ws.monitors.run_now("nightly-drift").id)
    assert first.data == {"baseline": "iris-train@1"} and first.breached is False and first.rows == 400
    jobs = [j.id for j in ws.data.lineage("iris-train@1").jobs]
    assert first.job_id in jobs  # the run's job read that version (lineage edge "input")

    ws.data.create(DataCreate(name="iris-train", path="train-shifted.csv", profile=False))  # version 2
    second = wait_run(ws, "nightly-drift", ws.monitors.run_now("nightly-drift").id)
    assert second.data == {"baseline": "iris-train@2"} and second.breached is True
    assert drifted(ws, "nightly-drift", second.id) == {"petal_length"}  # judged against the new baseline
    assert ws.monitors.get("nightly-drift").baseline == "data:iris-train"

    ws.monitors.update("nightly-drift", MonitorUpdate(baseline="data:iris-train@1"))
    pinned = wait_run(ws, "nightly-drift", ws.monitors.run_now("nightly-drift").id)
    assert pinned.data == {"baseline": "iris-train@1"} and pinned.breached is False
    ws.monitors.delete("nightly-drift")


def test_a_monitor_judges_each_new_version_of_a_data_asset(ws):
    ws.data.create(DataCreate(name="scoring", path="scoring-day1.parquet", profile=False))
    monitor = ws.monitors.create(MonitorCreate(name="scoring-drift", current="data:scoring", baseline="data:iris-train@1",
                                               signals=["data_drift", "data_quality"]))  # fmt: skip
    assert monitor.current == "data:scoring" and monitor.endpoint is None and monitor.batch is None
    day1 = wait_run(ws, "scoring-drift", ws.monitors.run_now("scoring-drift").id)
    assert day1.data == {"baseline": "iris-train@1", "current": "scoring@1"}
    assert day1.rows == 500 and day1.breached is False and day1.window_start == day1.window_end

    ws.data.create(DataCreate(name="scoring", path="scoring-day2.parquet", profile=False))
    day2 = wait_run(ws, "scoring-drift", ws.monitors.run_now("scoring-drift").id)
    assert day2.data == {"baseline": "iris-train@1", "current": "scoring@2"} and day2.breached is True
    assert drifted(ws, "scoring-drift", day2.id) == {"sepal_width"}
    ws.monitors.delete("scoring-drift")


def test_what_was_collected_in_a_window_becomes_a_data_asset_version(ws):
    now = datetime.now(timezone.utc)
    write_collection(ws, "weekly", iris_frame(300, seed=6), at=now - timedelta(hours=3))  # outside the window
    write_collection(ws, "weekly", iris_frame(250, seed=7), at=now - timedelta(minutes=30))
    v = ws.monitors.register_collected("weekly", CollectedRegister(since=now - timedelta(hours=1)))
    assert v.ref == "data:weekly-inputs@1" and v.kind == "folder" and v.mode == "copy" and v.digest.startswith("sha256:")
    assert v.tags["mlservice.collected"] == "weekly"
    files = [ws.data.file_path("weekly-inputs", 1, f.path) for f in ws.data.files("weekly-inputs", 1).items]
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == 250 == v.row_count
    assert {"sepal_length", "time", "request_id"} <= set(pq.read_schema(files[0]).names)

    # ...which a monitor can judge, like any other version
    ws.monitors.create(MonitorCreate(name="weekly-check", current=v.ref, baseline="train.csv", signals=["data_drift"]))
    run = wait_run(ws, "weekly-check", ws.monitors.run_now("weekly-check").id)
    assert run.rows == 250 and run.breached is False and run.data == {"current": "weekly-inputs@1"}
    ws.monitors.delete("weekly-check")

    again = ws.monitors.register_collected("weekly", CollectedRegister(since=now - timedelta(hours=4), name="weekly-all"))
    assert again.ref == "data:weekly-all@1"
    with pytest.raises(InvalidRequest, match="collected no inputs between"):
        ws.monitors.register_collected("weekly", CollectedRegister(since=now - timedelta(days=3), until=now - timedelta(days=2)))
    with pytest.raises(NotFound, match="nothing was collected under 'ghost'"):
        ws.monitors.register_collected("ghost", CollectedRegister(since=now - timedelta(hours=1)))


def test_data_references_are_checked_when_the_monitor_is_made(ws):
    cases = [
        (dict(batch="nightly", baseline="data:nope"), "baseline 'data:nope': no data asset named 'nope'"),
        (dict(batch="nightly", baseline="data:iris-train@9"), "has no version 9"),
        (dict(current="data:scoring@7", baseline="train.csv"), "current 'data:scoring@7'"),
    ]
    for overrides, message in cases:
        with pytest.raises(InvalidRequest, match=message):
            ws.monitors.create(MonitorCreate(name="bad", **overrides))
    with pytest.raises(ValueError, match="current is a data asset reference"):
        MonitorCreate(name="bad", current="scoring.parquet", baseline="train.csv")
    with pytest.raises(ValueError, match="give one of endpoint="):
        MonitorCreate(name="bad", batch="nightly", current="data:scoring", baseline="train.csv")
    assert [m.name for m in ws.monitors.list().items if m.name == "bad"] == []
