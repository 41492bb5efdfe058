"""Triggers: each kind fires once per cause with a real job; exactly once across two processes
and a crash; enable/disable; fire now; bad input; SDK, CLI and REST on a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest

from jupyter_mlservice.core.data.schemas import DataCreate
from jupyter_mlservice.core.errors import Conflict, InvalidRequest
from jupyter_mlservice.core.timeutil import utcnow
from jupyter_mlservice.core.triggers import TAG_FIRING, TriggerController, TriggerService
from jupyter_mlservice.core.triggers.schemas import TriggerCreate, TriggerUpdate
from jupyter_mlservice.core.triggers.tables import TriggerFiringRow

from .batch_fixtures import register_model
from .conftest import wait_for, wait_job

ECHO = {"kind": "command", "command": "echo cause={{ cause.ref }}", "experiment": "triggers"}


def add_version(ws, name: str, text: str) -> int:
    path = ws.root_dir / "raw" / f"{name}-{abs(hash(text))}.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"x,y\n{text}\n")
    return ws.data.create(DataCreate(name=name, path=str(path.relative_to(ws.root_dir)), profile=False)).version


def firings(ws, name: str) -> list:
    return list(reversed(ws.triggers.firings(name).items))  # oldest first


def fired(ws, name: str, count: int) -> list:
    """Wait until the trigger has fired `count` times and every firing has its job (then check no more come)."""
    ws.trigger_controller.wait_ticks(2)
    items = wait_for(lambda: (f := firings(ws, name)) and len(f) >= count and all(x.state != "claimed" for x in f) and f,
                     timeout=60, what=f"{count} firing(s) of {name}")
    ws.trigger_controller.wait_ticks(2)
    assert len(firings(ws, name)) == count, [f.cause for f in firings(ws, name)]
    return items


def log_of(ws, job_id: str) -> str:
    return (ws.jobs_dir / job_id / "output.log").read_text()


def test_a_new_data_version_runs_the_job_once_with_that_version_as_its_input(workspace):
    ws = workspace
    add_version(ws, "iris", "1,2")  # exists before the trigger: does not fire
    run = {**ECHO, "command": "echo cause={{ cause.ref }} read=$(wc -l < ${{inputs.train}})", "inputs": {"train": "{{ cause.ref }}"}}
    t = ws.triggers.create(TriggerCreate(name="retrain", on={"data": "iris"}, run=run), user="alice")
    assert (t.kind, t.seen, t.firings, t.created_by) == ("data", {"version": 1}, 0, "alice")
    ws.trigger_controller.wait_ticks(2)
    assert firings(ws, "retrain") == []

    assert add_version(ws, "iris", "3,4\n5,6") == 2
    [f] = fired(ws, "retrain", 1)
    assert f.cause["kind"] == "data" and f.cause["ref"] == "data:iris@2" and f.cause["digest"].startswith("sha256:")
    job = wait_job(ws, f.job_id)
    assert job.status.value == "Completed", log_of(ws, job.id)
    assert "cause=data:iris@2 read=3" in log_of(ws, job.id)
    assert job.id in ws.data.lineage("iris@2").model_dump_json()  # the job read exactly that version
    assert ws.jobs.row(job.id).tags[TAG_FIRING] == str(f.id)
    from jupyter_mlservice.core.lineage import DATA_VERSION, Node

    graph = ws.lineage.graph(Node(DATA_VERSION, "iris@2"), "downstream")  # data version -> trigger -> the job it started
    assert {(e.src_type, e.src_id, e.relation, e.dst_type, e.dst_id) for e in graph.edges} >= {
        ("data_version", "iris@2", "fired", "trigger", "retrain"), ("trigger", "retrain", "started", "job", job.id)}

    add_version(ws, "iris", "7,8")
    later = fired(ws, "retrain", 2)
    assert [x.cause["version"] for x in later] == [2, 3]
    shown = ws.triggers.get("retrain")
    assert shown.firings == 2 and shown.seen == {"version": 3} and shown.last_firings[0].cause["version"] == 3


def test_model_versions_aliases_and_tags_each_fire_once(workspace):
    ws = workspace
    uri = ws.experiments.tracking_uri
    register_model(uri, uri, "iris", alias="champion")  # v1, before the triggers
    ws.triggers.create(TriggerCreate(name="on-version", on={"model": "iris"}, run={**ECHO, "command": "echo v={{ cause.version }}"}))
    ws.triggers.create(TriggerCreate(name="on-alias", on={"model": "iris", "alias": "champion"}, run={**ECHO, "command": "echo {{ cause.ref }}={{ cause.version }}"}))
    ws.triggers.create(TriggerCreate(name="on-tag", on={"model": "iris", "tag": "approved=yes"}, run={**ECHO, "command": "echo tagged {{ cause.version }}"}))

    register_model(uri, uri, "iris", alias="staging")  # v2, registered through MLflow itself, not the server
    [f] = fired(ws, "on-version", 1)
    assert (f.cause["kind"], f.cause["version"], f.cause["ref"]) == ("model", 2, "iris:2")
    assert "v=2" in log_of(ws, wait_job(ws, f.job_id).id)
    assert firings(ws, "on-alias") == [] and firings(ws, "on-tag") == []

    ws.models.set_alias("iris", "champion", 2)
    [a] = fired(ws, "on-alias", 1)
    assert (a.cause["kind"], a.cause["alias"], a.cause["version"]) == ("model_alias", "champion", 2)
    ws.models.set_alias("iris", "champion", 1)  # moving back is a new cause too
    assert [x.cause["version"] for x in fired(ws, "on-alias", 2)] == [2, 1]

    ws.models.update_version("iris", "2", None, {"approved": "no"})
    ws.trigger_controller.wait_ticks(2)
    assert firings(ws, "on-tag") == []
    ws.models.update_version("iris", "2", None, {"approved": "yes"})
    [g] = fired(ws, "on-tag", 1)
    assert (g.cause["kind"], g.cause["version"], g.cause["tag"]) == ("model_tag", 2, "approved=yes")
    ws.models.update_version("iris", "2", None, {"other": "1"})  # still tagged: no second firing
    fired(ws, "on-tag", 1)
    assert len(firings(ws, "on-version")) == 1


def test_a_monitor_alert_fires_the_trigger_with_the_alert(workspace):
    from jupyter_mlservice.core.monitoring.tables import AlertRow

    ws = workspace

    def alert(monitor: str) -> int:
        # the row a monitor run writes when it raises an alert (tests/test_monitoring_monitors.py runs real ones)
        now = utcnow()
        row = AlertRow(monitor=monitor, run_id=abs(hash((monitor, now))) % 10**9, job_id="job-x", created_at=now, window_start=now,
                       window_end=now, message=f"{monitor}: drift in f0", signals=[], notify=False, delivery="none")
        with ws.store.session() as s:
            s.add(row)
            s.flush()
            return row.id

    with pytest.raises(InvalidRequest, match="no monitor named 'nope'"):
        ws.triggers.create(TriggerCreate(name="a", on={"alert": "nope"}, run=ECHO))
    ws.triggers.create(TriggerCreate(name="any-alert", on={"alert": "*"}, run={**ECHO, "command": "echo {{ cause.monitor }}: {{ cause.message }}"}))
    first = alert("iris-drift")
    [f] = fired(ws, "any-alert", 1)
    assert (f.cause["kind"], f.cause["alert_id"], f.cause["monitor"]) == ("alert", first, "iris-drift")
    assert "iris-drift: iris-drift: drift in f0" in log_of(ws, wait_job(ws, f.job_id).id)
    alert("other")
    alert("other")
    assert [x.cause["monitor"] for x in fired(ws, "any-alert", 3)] == ["iris-drift", "other", "other"]


def test_a_cron_trigger_fires_once_per_slot_and_only_the_latest_missed_one(workspace):
    ws = workspace
    now = [utcnow().replace(second=0, microsecond=0) + timedelta(seconds=30)]
    ws.triggers.firing.clock = lambda: now[0]
    with pytest.raises(InvalidRequest, match="cron"):
        ws.triggers.create(TriggerCreate(name="bad", on={"cron": "61 * * * *"}, run=ECHO))
    ws.triggers.create(TriggerCreate(name="hourly", on={"cron": "*/10 * * * *"}, run={**ECHO, "command": "echo {{ cause.scheduled_time }}"}))
    ws.trigger_controller.wait_ticks(2)
    assert firings(ws, "hourly") == []
    now[0] += timedelta(minutes=10)
    [f] = fired(ws, "hourly", 1)
    assert f.cause["kind"] == "cron"
    now[0] += timedelta(minutes=35)  # three slots passed while "down": the latest fires, once
    later = fired(ws, "hourly", 2)
    assert later[1].cause["scheduled_time"] > f.cause["scheduled_time"]


def test_two_servers_on_one_store_fire_each_cause_once_and_a_dead_claim_is_finished_once(workspace):
    ws = workspace
    ws.trigger_controller.stop()  # this test drives two controllers by hand
    add_version(ws, "sales", "1,1")
    ws.triggers.create(TriggerCreate(name="both", on={"data": "sales"}, run=ECHO))
    other = TriggerService(ws.store, ws.jobs, ws.models)  # a second server process on the same store
    loops = [ws.trigger_controller, TriggerController(other)]
    for text in ("2,2", "3,3", "4,4"):
        add_version(ws, "sales", text)
        for loop in loops * 2:
            loop.run_once()
    assert [f.cause["version"] for f in firings(ws, "both")] == [2, 3, 4]
    jobs = [j for j in ws.jobs.list(limit=100).items if j.tags.get("mlservice.trigger") == "both"]
    assert len(jobs) == 3

    # a process that died after claiming a cause and before submitting its job
    row = ws.triggers.row("both")
    stale = utcnow() - timedelta(minutes=30)
    with ws.store.session() as s:
        dead = TriggerFiringRow(trigger_id=row.id, cause_key="data:sales@9", cause={"kind": "data", "ref": "data:sales@9"}, state="claimed",
                                claimed_by="elsewhere:1:dead", claimed_at=stale, created_at=stale, updated_at=stale)
        s.add(dead)
        s.flush()
        dead_id = dead.id
    for loop in loops * 2:
        loop.run_once()
    finished = ws.triggers.firing.row(dead_id)
    assert finished.state == "submitted" and finished.job_id
    assert [j.id for j in ws.jobs.list(limit=100).items if j.tags.get(TAG_FIRING) == str(dead_id)] == [finished.job_id]


def test_disable_enable_fire_now_and_bad_input(workspace):
    ws = workspace
    add_version(ws, "iris", "1,2")
    for bad, match in [
        ({"on": {"data": "iris", "model": "m"}, "run": ECHO}, "exactly one of data, model, alert or cron"),
        ({"on": {"data": "iris", "alias": "a"}, "run": ECHO}, "alias and tag go with model"),
        ({"on": {"data": "nope"}, "run": ECHO}, "no data asset named 'nope'"),
        ({"on": {"model": "nope"}, "run": ECHO}, "no registered model named 'nope'"),
        ({"on": {"data": "iris"}, "run": {"command": "true"}}, "run needs a kind"),
        ({"on": {"data": "iris"}, "run": {**ECHO, "command": "echo {{ cause.verison }}"}}, "verison"),
        ({"on": {"data": "iris"}, "run": {**ECHO, "timeout_s": -1}}, "run.timeout_s"),
    ]:
        with pytest.raises((InvalidRequest, ValueError), match=match):
            ws.triggers.create(TriggerCreate(name="t", **bad))
    assert ws.triggers.list().items == []
    ws.triggers.create(TriggerCreate(name="t", on={"data": "iris"}, run=ECHO, enabled=False))
    with pytest.raises(Conflict):
        ws.triggers.create(TriggerCreate(name="t", on={"data": "iris"}, run=ECHO))

    add_version(ws, "iris", "3,4")  # while disabled: never fires
    ws.trigger_controller.wait_ticks(2)
    assert firings(ws, "t") == []
    assert ws.triggers.set_enabled("t", True).seen == {"version": 2}
    ws.trigger_controller.wait_ticks(2)
    assert firings(ws, "t") == []

    manual = ws.triggers.fire_now("t", {"ref": "data:iris@1"})
    assert manual.cause["kind"] == "manual" and manual.cause["ref"] == "data:iris@1" and manual.state == "submitted"
    assert "cause=data:iris@1" in log_of(ws, wait_job(ws, manual.job_id).id)
    default = ws.triggers.fire_now("t")  # the newest thing watched
    assert default.cause["ref"] == "data:iris@2"

    ws.triggers.update("t", TriggerUpdate(run={**ECHO, "command": "exit 3"}))
    add_version(ws, "iris", "5,6")
    [*_, f] = fired(ws, "t", 3)
    assert wait_job(ws, f.job_id).status.value == "Failed"
    broken = ws.triggers.update("t", TriggerUpdate(run={"kind": "notebook", "notebook": "gone.ipynb", "experiment": "triggers"}))
    assert broken.name == "t"
    add_version(ws, "iris", "7,8")
    [*_, g] = fired(ws, "t", 4)
    assert g.state == "failed" and "gone.ipynb" in g.reason
    ws.triggers.delete("t")
    assert ws.triggers.list().items == []


def test_sdk_cli_and_rest(shared_server):
    ml = shared_server.client()
    root = shared_server.root
    (root / "raw").mkdir()
    (root / "raw" / "a.csv").write_text("x\n1\n")
    ml.data.create("events", path="raw/a.csv", profile=False)
    t = ml.triggers.create("on-events", on={"data": "events"}, run={"command": "echo got {{ cause.ref }}", "experiment": "triggers"})
    assert t.kind == "data" and t.enabled and [x.name for x in ml.triggers.list()] == ["on-events"]
    job = ml.triggers.fire_now("on-events")
    job.wait(timeout=120)
    assert job.status == "Completed" and "got data:events@1" in job.logs()
    assert ml.triggers.firings("on-events")[0]["job_id"] == job.id
    (root / "raw" / "b.csv").write_text("x\n2\n")
    ml.data.create("events", path="raw/b.csv", profile=False)
    wait_for(lambda: len(ml.triggers.firings("on-events")) == 2, timeout=60, what="the new version's firing")
    assert ml.triggers.get("on-events").last_firings[0]["cause"]["ref"] == "data:events@2"
    graph = ml.lineage("trigger", "on-events", "downstream")  # the whole graph as JSON, from the SDK
    assert {e["dst_id"] for e in graph["edges"] if e["relation"] == "started"} == {f["job_id"] for f in ml.triggers.firings("on-events")}
    assert not ml.triggers.disable("on-events").enabled

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "jupyter_mlservice.cli", "trigger", *args, "--url", shared_server.url,
                               "--token", shared_server.token], capture_output=True, text=True, timeout=120)

    made = cli("create", "cli-trigger", "--on-data", "events", "--command", "echo {{ cause.ref }}", "--json")
    assert made.returncode == 0, made.stderr
    assert {k: v for k, v in json.loads(made.stdout)["on"].items() if v is not None} == {"data": "events", "time_zone": "UTC"}
    listed = cli("list")
    assert "cli-trigger" in listed.stdout and "on-events" in listed.stdout
    fire = cli("fire", "cli-trigger", "--cause-json", '{"ref": "data:events@1"}', "--wait")
    assert fire.returncode == 0 and "Completed" in fire.stdout, fire.stdout + fire.stderr
    shown = cli("show", "cli-trigger")
    assert "manual data:events@1" in shown.stdout
    exported = subprocess.run([sys.executable, "-m", "jupyter_mlservice.cli", "lineage", "data_version", "events@2", "--json",
                               "--url", shared_server.url, "--token", shared_server.token], capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0 and json.loads(exported.stdout)["root"]["id"] == "events@2", exported.stderr
    bad = cli("create", "x", "--command", "true")
    assert bad.returncode != 0 and "--on-data" in bad.stderr
    assert cli("delete", "cli-trigger").returncode == 0

    import requests

    headers = {"Authorization": f"token {shared_server.token}"}
    api = shared_server.url + "mlservice/api/triggers"
    assert requests.get(api).status_code in (401, 403)  # Jupyter auth: no token, no answer
    for body in (b"\xff\xfe", b'{"name": "r", "on": {"data": "events"}}', b'{"name": "r", "on": {}, "run": {"kind": "command", "command": "true"}}'):
        r = requests.post(api, data=body, headers=headers)
        assert r.status_code == 400, (body, r.status_code, r.text)
    assert requests.post(api + "/nope/fire", headers=headers).status_code == 404
    assert requests.delete(api + "/on-events", headers=headers).status_code == 204
    assert requests.delete(api + "/on-events", headers=headers).status_code == 404


def test_a_trigger_runs_a_pipeline_with_the_cause_as_a_parameter(workspace):
    ws = workspace
    add_version(ws, "events", "1,1")
    pipeline = {"name": "retrain-pipe", "inputs": {"ref": {"type": "str"}},
                "jobs": {"say": {"command": "echo retraining on ${{inputs.ref}}", "inputs": {"ref": "${{parent.inputs.ref}}"}}}}
    with pytest.raises(InvalidRequest, match="jobs"):
        ws.triggers.create(TriggerCreate(name="bad", on={"data": "events"}, run={"pipeline": {**pipeline, "jobs": {}}}))
    ws.triggers.create(TriggerCreate(name="pipe", on={"data": "events"},
                                     run={"pipeline": pipeline, "parameters": {"ref": "{{ cause.ref }}"}, "experiment": "triggered"}))
    add_version(ws, "events", "2,2")
    [f] = fired(ws, "pipe", 1)
    assert f.state == "submitted", f.reason
    run = wait_for(lambda: (r := ws.pipelines.get(f.job_id)).status in ("Completed", "Failed") and r, 120, what="the pipeline run")
    assert run.status == "Completed" and run.job.tags["mlservice.trigger"] == "pipe"
    # the step got the new version (data:events@2, which a pipeline hands to its step as that version's files)
    assert "/data/events/2/" in ws.jobs.logs(run.steps[0].job_id).text
