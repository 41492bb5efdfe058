"""Monitoring through REST (in a Jupyter server, auth on, events), the SDK and the CLI."""

from __future__ import annotations

import asyncio
import json

import pytest

from jupyter_mlservice.core.errors import Conflict, InvalidRequest, NotFound

from .test_handlers import call, expect_error
from .test_monitoring_monitors import Receiver, iris_frame, write_collection
from .test_sdk_cli import cli

MONITOR_EVENTS = "https://events.jupyter.org/jupyter_mlservice/monitor"


class _Workspace:
    """write_collection needs only the workspace folder."""

    def __init__(self, root):
        self.workspace_dir = root / ".mlservice"


async def wait_run(jp_fetch, name: str, timeout: float = 300) -> dict:
    for _ in range(int(timeout / 0.5)):
        runs = (await call(jp_fetch, "GET", f"/monitors/{name}/runs"))["items"]
        if runs and runs[0]["state"] != "Running":
            return runs[0]
        await asyncio.sleep(0.5)
    raise AssertionError(f"the run of {name} did not end")


@pytest.mark.timeout(600)
async def test_monitors_over_rest_with_events(jp_fetch, jp_serverapp, jp_root_dir):
    iris_frame(2000, seed=0).to_csv(jp_root_dir / "baseline.csv", index=False)
    write_collection(_Workspace(jp_root_dir), "scoring", iris_frame(400, seed=2, shift={"petal_width": 1.2}))
    seen = []

    async def listener(logger, schema_id, data):
        seen.append(dict(data))

    jp_serverapp.event_logger.add_listener(schema_id=MONITOR_EVENTS, listener=listener)
    receiver = Receiver()
    try:
        body = {"name": "scoring-drift", "batch": "scoring", "baseline": "baseline.csv", "window": "1h",
                "signals": ["data_drift", {"type": "data_quality", "out_of_range_rate": 0.05}], "alert": {"webhook": receiver.url}}  # fmt: skip
        created = await call(jp_fetch, "POST", "/monitors", body)
        assert created["name"] == "scoring-drift" and created["schedule_name"] is None and created["signals"][1]["out_of_range_rate"] == 0.05
        assert [m["name"] for m in (await call(jp_fetch, "GET", "/monitors"))["items"]] == ["scoring-drift"]
        patched = await call(jp_fetch, "PATCH", "/monitors/scoring-drift", {"schedule": {"cron": "0 4 * * *"}, "description": "nightly"})
        assert patched["schedule_name"] == "monitor-scoring-drift" and patched["next_run_at"] and patched["description"] == "nightly"
        assert (await call(jp_fetch, "POST", "/monitors/scoring-drift/disable"))["enabled"] is False
        assert (await call(jp_fetch, "GET", "/schedules/monitor-scoring-drift"))["enabled"] is False

        run = await call(jp_fetch, "POST", "/monitors/scoring-drift/run")
        assert run["state"] == "Running" and run["trigger"] == "manual"
        done = await wait_run(jp_fetch, "scoring-drift")
        assert done["state"] == "Completed" and done["breached"] and done["rows"] == 400, done
        detail = await call(jp_fetch, "GET", f"/monitors/scoring-drift/runs/{done['id']}")
        assert {f["feature"] for f in detail["features"] if f["breached"] and f["signal"] == "data_drift"} == {"petal_width"}
        assert detail["histograms"]["petal_width"]["labels"]
        heat = await call(jp_fetch, "GET", "/monitors/scoring-drift/features", params={"signal": "data_drift"})
        assert set(heat["features"]) == {"sepal_length", "sepal_width", "petal_length", "petal_width"}
        alerts = (await call(jp_fetch, "GET", "/monitors/scoring-drift/alerts"))["items"]
        assert len(alerts) == 1 and alerts[0]["run_id"] == done["id"]
        assert (await call(jp_fetch, "GET", "/alerts", params={"after": "0"}))["items"][0]["id"] == alerts[0]["id"]
        for _ in range(100):
            if {e["action"] for e in seen} >= {"run", "alert"}:
                break
            await asyncio.sleep(0.1)
        alert_event = next(e for e in seen if e["action"] == "alert")
        assert alert_event["monitor"] == "scoring-drift" and alert_event["notify"] is True and "data_drift" in alert_event["signals"]
        assert receiver.url not in json.dumps(seen)  # events carry no webhook URL
        run_event = next(e for e in seen if e["action"] == "run")
        assert run_event["state"] == "Completed" and run_event["breached"] is True

        # errors: 400 naming the field, 404, 409
        err = await expect_error(jp_fetch, 400, "POST", "/monitors", {"name": "x", "batch": "scoring", "baseline": "baseline.csv", "window": "soon"})
        assert "window" in err["message"]
        err = await expect_error(jp_fetch, 400, "POST", "/monitors", {"name": "x", "batch": "scoring", "baseline": "nowhere.csv"})
        assert "matches no CSV or Parquet file" in err["message"]
        await expect_error(jp_fetch, 409, "POST", "/monitors", body)
        await expect_error(jp_fetch, 404, "GET", "/monitors/ghost")
        await expect_error(jp_fetch, 404, "GET", "/monitors/scoring-drift/runs/999")
        await expect_error(jp_fetch, 400, "GET", "/monitors/scoring-drift/runs/latest")
        await expect_error(jp_fetch, 404, "GET", "/endpoints/ghost/series")
        await expect_error(jp_fetch, 400, "GET", "/alerts", params={"after": "yesterday"})
        await call(jp_fetch, "DELETE", "/monitors/scoring-drift")
        await expect_error(jp_fetch, 404, "GET", "/schedules/monitor-scoring-drift")
    finally:
        receiver.close()


@pytest.mark.timeout(900)
def test_sdk_and_cli_parity(shared_server):
    root = shared_server.root
    iris_frame(2000, seed=0).to_csv(root / "baseline.csv", index=False)
    write_collection(_Workspace(root), "weekly", iris_frame(300, seed=4))
    ml = shared_server.client()
    m = ml.monitors.create("weekly-quality", batch="weekly", baseline="baseline.csv", signals=["data_quality"], window="6h",
                           schedule="30 2 * * 1")  # fmt: skip
    assert m.schedule_name == "monitor-weekly-quality" and m.schedule["cron"] == "30 2 * * 1" and m.enabled
    run = ml.monitors.run_now("weekly-quality").wait(timeout=300)
    assert run.state == "Completed" and run.breached is False and run.rows == 300
    assert {r["feature"] for r in run.results("data_quality")} == {"sepal_length", "sepal_width", "petal_length", "petal_width"}
    assert run.drifted == [] and ml.monitors.alerts("weekly-quality") == []
    assert [r.id for r in ml.monitors.get("weekly-quality").runs()] == [run.id]
    assert ml.monitors.update("weekly-quality", window="1d").window == "1d"
    with pytest.raises(InvalidRequest, match="per_feature"):
        ml.monitors.update("weekly-quality", signals=[{"type": "data_drift", "per_feature": {"species": {"method": "ks"}}}])
    with pytest.raises(NotFound):
        ml.monitors.get("nope")
    with pytest.raises(Conflict):
        ml.monitors.create("weekly-quality", batch="weekly", baseline="baseline.csv")

    listed = json.loads(cli(shared_server, "monitor", "list", "--json").stdout)
    assert [x["name"] for x in listed] == ["weekly-quality"]
    out = cli(shared_server, "monitor", "show", "weekly-quality").stdout
    assert "monitor weekly-quality on batch weekly" in out and f"run {run.id} (manual" in out and ": ok;" in out
    out = cli(shared_server, "monitor", "results", "weekly-quality", str(run.id), "--signal", "data_quality").stdout
    assert "petal_width" in out and out.count("BREACHED") == 1  # the column title only
    created = cli(shared_server, "monitor", "create", "from-cli", "--batch", "weekly", "--baseline", "baseline.csv",
                  "--signal", "data_drift", "--cron", "0 * * * *", "--webhook", "http://127.0.0.1:9/hook").stdout  # fmt: skip
    assert "created monitor from-cli; next run at" in created
    assert ml.monitors.get("from-cli").alert == {"webhook": "http://127.0.0.1:9/hook", "notify": True}
    assert "disabled" in cli(shared_server, "monitor", "disable", "from-cli").stdout and not ml.monitors.get("from-cli").enabled
    ran = cli(shared_server, "monitor", "run", "from-cli", "--wait")
    assert ": ok;" in ran.stdout and "300 rows" in ran.stdout
    bad = cli(shared_server, "monitor", "create", "x", "--batch", "weekly", "--baseline", "missing.csv", check=False)
    assert bad.returncode == 1 and "matches no CSV or Parquet file" in bad.stderr
    assert cli(shared_server, "monitor", "alerts", "--json").stdout.strip() == "[]"
    cli(shared_server, "monitor", "delete", "from-cli")
    ml.monitors.delete("weekly-quality")
    assert ml.monitors.list() == []
