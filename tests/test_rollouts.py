"""Progressive rollouts on real endpoints: steps with approval and a restart in the middle, no
request dropped while traffic moves; a candidate that fails some inputs caught while mirrored;
a slow one rolled back on latency; too little traffic pauses; bad input."""

from __future__ import annotations

import textwrap
import threading
from collections import Counter

import pytest
import requests

from jupyter_mlservice.core.endpoints.schemas import DeploymentCreate, EndpointCreate
from jupyter_mlservice.core.errors import Conflict, InvalidRequest
from jupyter_mlservice.core.rollouts import RolloutController, RolloutService
from jupyter_mlservice.core.rollouts.schemas import RolloutCreate, RolloutPlan
from jupyter_mlservice.core.timeutil import utcnow

from .conftest import wait_for
from .serving_fixtures import ROWS, save_iris_model, write_script

SCRIPT = textwrap.dedent(
    """
    import json
    import os
    import time

    import joblib
    import numpy as np


    def init():
        global model
        model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model.pkl"))


    def run(raw_data):
        data = np.asarray(json.loads(raw_data)["data"])
        behaviour = os.environ.get("BEHAVIOUR", "ok")
        if behaviour == "fail_some" and data[0][0] > 6:
            raise ValueError("cannot score long sepals")
        if behaviour == "slow":
            time.sleep(0.3)
        return {"predictions": model.predict(data).tolist()}
    """
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory, mlflow_template):
    from .data_fixtures import start_workspace

    ws = start_workspace(tmp_path_factory.mktemp("rollouts"), mlflow_template)
    files = ws.root_dir / "files"
    save_iris_model(files / "m1", c=1.0)
    save_iris_model(files / "m2", c=0.5)
    ws.models.register("iris", local_path=str(files / "m1"))
    ws.models.register("iris", local_path=str(files / "m2"))
    write_script(files / "code", SCRIPT)
    yield ws
    ws.stop()


def serving(ws, endpoint: str, behaviour: str = "ok") -> str:
    """An endpoint whose deployment `blue` (iris:1, a scoring script) takes all traffic; its scoring URI."""
    ws.endpoints.create_endpoint(EndpointCreate(name=endpoint, auth_mode="none"))
    ws.endpoints.create_deployment(endpoint, DeploymentCreate(name="blue", model="iris:1", code="files/code", scoring_script="score.py",
                                                              environment_variables={"BEHAVIOUR": behaviour}))
    wait_for(lambda: ws.endpoints.get_endpoint(endpoint).traffic == {"blue": 100} and
             ws.endpoints.get_deployment(endpoint, "blue").status == "Healthy", 300, what=f"{endpoint}/blue serving")
    return ws.endpoints.get_endpoint(endpoint).scoring_uri


class Client(threading.Thread):
    """Sends requests all along and counts what came back (a status, or the connection error)."""

    def __init__(self, uri: str):
        super().__init__(daemon=True)
        self.uri, self.seen, self.stop = uri, Counter(), threading.Event()

    def run(self):
        session = requests.Session()
        i = 0
        while not self.stop.is_set():
            try:
                self.seen[session.post(self.uri, json={"data": [ROWS[i % len(ROWS)]]}, timeout=10).status_code] += 1
            except requests.RequestException as exc:
                self.seen[type(exc).__name__] += 1
            i += 1
            self.stop.wait(0.02)

    def finish(self) -> Counter:
        self.stop.set()
        self.join(30)
        return self.seen


def settings(behaviour: str) -> dict:
    return {"code": "files/code", "scoring_script": "score.py", "environment_variables": {"BEHAVIOUR": behaviour}}


def state(rollouts, rollout_id: str, *states: str):
    return wait_for(lambda: (r := rollouts.get(rollout_id)).state in states and r, 300, what=f"rollout {rollout_id} in {states}")


def test_a_rollout_moves_by_steps_waits_for_approval_survives_a_restart_and_drops_nothing(ws):
    uri = serving(ws, "steps")
    client = Client(uri)
    client.start()
    try:
        plan = RolloutPlan(steps=[50, 100], interval_s=3, min_requests=5, grace_s=1)
        before = utcnow()
        r = ws.rollouts.start(RolloutCreate(endpoint="steps", model="iris:2", plan=plan, require_approval=True,
                                            deployment_settings=settings("ok")), user="alice")
        assert (r.state, r.baseline, r.candidate, r.model, r.created_by) == ("Creating", "blue", "v2", "iris:2", "alice")
        state(ws.rollouts, r.id, "Progressing")
        assert ws.endpoints.get_endpoint("steps").traffic == {"blue": 50, "v2": 50}

        # "the server restarts" mid-step: the next one's loop picks the rollout up from the store
        ws.rollout_controller.stop()
        restarted = RolloutService(ws.store, ws.endpoints, ws.models)
        loop = RolloutController(restarted, interval=0.2)
        restarted.on_change = loop.wake
        loop.start()
        try:
            waiting = state(restarted, r.id, "AwaitingApproval")
            assert waiting.traffic_percent == 50 and ws.endpoints.get_endpoint("steps").traffic == {"blue": 50, "v2": 50}
            [first] = waiting.history
            assert first.phase == "step 50%" and first.decision == "passed" and first.candidate["requests"] >= 5
            assert first.candidate["errors"] == 0 and first.baseline["requests"] >= 1
            approved = restarted.approve(r.id, user="carol")
            assert approved.approved_by == "carol" and approved.approved_at is not None
            done = state(restarted, r.id, "Completed")
            wait_for(lambda: restarted.get(r.id).baseline_deleted, 120, what="the baseline deleted after the grace period")
        finally:
            loop.stop()
            ws.rollout_controller.start()
        assert [h.phase for h in done.history] == ["step 50%", "step 100%"] and done.traffic_percent == 100
        assert ws.endpoints.get_endpoint("steps").traffic == {"v2": 100}
        assert ws.endpoints.get_endpoint("steps").deployments == ["v2"]
        assert ws.models.resolve("iris@champion").version == "2"
        assert ws.models.alias_history("iris", "champion").items[0].version == "2"
        # what served when: every split the endpoint went through, and what served before the rollout
        history = ws.endpoints.history("steps").items
        splits = [h.traffic for i, h in enumerate(history) if i == 0 or h.traffic != history[i - 1].traffic]
        assert splits[:3] == [{"v2": 100}, {"blue": 50, "v2": 50}, {"blue": 100}]
        assert history[0].models == {"v2": "iris:2"}  # after the baseline was deleted
        then = ws.endpoints.history("steps", at=before).items[0]
        assert then.traffic == {"blue": 100} and then.models == {"blue": "iris:1"}
        with pytest.raises(Conflict, match="deployment 'blue' has been deleted"):
            ws.endpoints.restore("steps", before)
        from jupyter_mlservice.core.lineage import MODEL_VERSION, Node

        graph = ws.lineage.graph(Node(MODEL_VERSION, "iris:2"), "downstream")  # model version -> rollout -> deployment
        assert {(e.src_id, e.relation, e.dst_id) for e in graph.edges} >= {("iris:2", "rolled_out", r.id), (r.id, "deployed", "steps/v2")}
        assert {n.id: n.details for n in graph.nodes}[r.id]["state"] == "Completed"
    finally:
        seen = client.finish()
    assert set(seen) == {200} and seen[200] > 50, seen  # no refused, dropped or failed request while traffic moved


def test_a_candidate_that_fails_some_inputs_is_caught_while_mirrored_and_clients_never_see_it(ws):
    uri = serving(ws, "mirror")
    client = Client(uri)
    client.start()
    try:
        plan = RolloutPlan(steps=[100], interval_s=2, mirror_first_s=600, min_requests=6, rollback_if={"error_rate": 0.05})
        r = ws.rollouts.start(RolloutCreate(endpoint="mirror", model="iris:2", plan=plan, deployment_settings=settings("fail_some")))
        back = state(ws.rollouts, r.id, "RolledBack")
    finally:
        seen = client.finish()
    [judged] = back.history
    assert judged.phase == "mirror" and judged.decision == "rolled_back" and judged.candidate["errors"] > 0
    assert "error rate" in back.reason and back.reason.startswith("mirror:")
    ep = ws.endpoints.get_endpoint("mirror")
    assert ep.traffic == {"blue": 100} and ep.mirror_traffic == {} and "v2" in ep.deployments  # kept at 0% for a look
    assert set(seen) == {200}, seen  # every client got the baseline's answer


def test_a_slow_candidate_is_rolled_back_on_latency(ws):
    uri = serving(ws, "slow")
    client = Client(uri)
    client.start()
    try:
        plan = RolloutPlan(steps=[50, 100], interval_s=60, min_requests=5, rollback_if={"error_rate": None, "p99_ms": 100})
        r = ws.rollouts.start(RolloutCreate(endpoint="slow", model="iris:2", plan=plan, deployment_settings=settings("slow")))
        back = state(ws.rollouts, r.id, "RolledBack")
    finally:
        seen = client.finish()
    assert back.history[-1].phase == "step 50%" and back.history[-1].candidate["p99_ms"] > 100
    assert "p99 latency" in back.reason
    assert ws.endpoints.get_endpoint("slow").traffic == {"blue": 100}
    assert set(seen) == {200}, seen


def test_too_little_traffic_pauses_and_bad_input_is_refused(ws):
    serving(ws, "quiet")
    for body, match in [
        ({"endpoint": "nope", "model": "iris:2"}, "no endpoint named 'nope'"),
        ({"endpoint": "quiet", "model": "iris:9"}, "has no version 9"),
        ({"endpoint": "quiet", "model": "iris:2", "deployment": "blue"}, "already has a deployment named 'blue'"),
        ({"endpoint": "quiet", "model": "iris:2", "deployment_settings": {"gpu": 1}}, "cannot be set here"),
    ]:
        with pytest.raises((InvalidRequest, Conflict), match=match):
            ws.rollouts.start(RolloutCreate(**body))
    for plan, match in [({"steps": [10, 50]}, "last step must be 100"), ({"steps": [50, 10, 100]}, "increasing")]:
        with pytest.raises(ValueError, match=match):
            RolloutPlan(**plan)
    assert ws.endpoints.get_endpoint("quiet").deployments == ["blue"]  # nothing created by the refusals

    before = utcnow()
    r = ws.rollouts.start(RolloutCreate(endpoint="quiet", model="iris:2", plan=RolloutPlan(steps=[100], interval_s=1, min_requests=5),
                                        deployment_settings=settings("ok")))
    with pytest.raises(Conflict, match="still in progress"):
        ws.rollouts.start(RolloutCreate(endpoint="quiet", model="iris:1", deployment="other"))
    paused = state(ws.rollouts, r.id, "Paused")
    assert paused.reason.startswith("Inconclusive") and paused.traffic_percent == 100 and paused.history == []
    assert ws.endpoints.get_endpoint("quiet").traffic == {"v2": 100}  # it takes the traffic but is never promoted
    # one click back to what served before the rollout started (blue still serves iris:1)
    assert ws.endpoints.restore("quiet", before).traffic == {"blue": 100}
    aborted = ws.rollouts.abort(r.id, user="dave")
    assert aborted.state == "RolledBack" and aborted.reason == "aborted by dave"
    assert ws.endpoints.get_endpoint("quiet").traffic == {"blue": 100}
    with pytest.raises(Conflict, match="has ended"):
        ws.rollouts.approve(r.id)


def test_a_trigger_on_the_gate_verdict_starts_a_rollout_that_completes(ws):
    """The end of the automation loop: a version tagged gate=passed (a pipeline's gate step tags it)
    fires a trigger whose action is a rollout; it completes by itself while clients call."""
    from jupyter_mlservice.core.lineage import TRIGGER, Node
    from jupyter_mlservice.core.triggers.schemas import TriggerCreate

    uri = serving(ws, "auto")
    client = Client(uri)
    client.start()
    try:
        with pytest.raises(InvalidRequest, match="run.rollout"):
            ws.triggers.create(TriggerCreate(name="bad", on={"model": "iris", "tag": "gate=passed"}, run={"rollout": {"endpoint": "auto"}}))
        ws.triggers.create(TriggerCreate(name="promote", on={"model": "iris", "tag": "gate=passed"}, run={"rollout": {
            "endpoint": "auto", "model": "{{ cause.ref }}", "plan": {"steps": [50, 100], "interval_s": 2, "min_requests": 3, "grace_s": 0},
            "deployment_settings": settings("ok")}}))
        ws.models.update_version("iris", "2", None, {"gate": "passed"})
        firing = wait_for(lambda: (f := ws.triggers.firings("promote").items) and f[0].state != "claimed" and f[0], 60,
                          what="the trigger's firing")
        assert firing.state == "submitted" and firing.rollout_id, firing.reason
        done = state(ws.rollouts, firing.rollout_id, "Completed", "RolledBack")
    finally:
        seen = client.finish()
    assert done.state == "Completed" and done.model == "iris:2" and done.created_by == "trigger:promote", done.reason
    assert ws.endpoints.get_endpoint("auto").traffic == {"v2": 100}
    graph = ws.lineage.graph(Node(TRIGGER, "promote"), "downstream")
    assert ("promote", "started", done.id) in {(e.src_id, e.relation, e.dst_id) for e in graph.edges}
    assert set(seen) == {200}, seen


def test_a_dry_run_judges_the_plan_on_mirrored_traffic_and_promotes_nothing(ws):
    uri = serving(ws, "dry")
    client = Client(uri)
    client.start()
    try:
        plan = RolloutPlan(steps=[50, 100], interval_s=2, min_requests=3)
        r = ws.rollouts.start(RolloutCreate(endpoint="dry", model="iris:2", plan=plan, dry_run=True, deployment_settings=settings("ok")))
        mirrored = state(ws.rollouts, r.id, "Progressing")
        assert mirrored.traffic_percent == 0 and ws.endpoints.get_endpoint("dry").traffic == {"blue": 100}
        done = state(ws.rollouts, r.id, "Completed", "RolledBack")
    finally:
        seen = client.finish()
    assert done.state == "Completed" and done.reason.startswith("dry run"), done.reason
    assert [h.phase for h in done.history] == ["step 50% (mirrored)", "step 100% (mirrored)"]
    assert all(h.candidate["requests"] >= 3 for h in done.history)  # it was judged on copies of real requests
    ep = ws.endpoints.get_endpoint("dry")
    assert ep.traffic == {"blue": 100} and ep.mirror_traffic == {} and not done.baseline_deleted
    assert set(seen) == {200}, seen


def test_an_alert_of_a_monitor_watching_the_endpoint_rolls_back_when_drift_is_watched(ws):
    import pandas as pd

    from jupyter_mlservice.core.monitoring.schemas import MonitorCreate
    from jupyter_mlservice.core.monitoring.tables import AlertRow

    uri = serving(ws, "watched")
    pd.DataFrame(ROWS * 10, columns=["f0", "f1", "f2", "f3"]).to_csv(ws.root_dir / "files" / "base.csv", index=False)
    ws.monitors.create(MonitorCreate(name="watch", endpoint="watched", baseline="files/base.csv", window="1h"))
    client = Client(uri)
    client.start()
    try:
        plan = RolloutPlan(steps=[50, 100], interval_s=600, min_requests=3, rollback_if={"error_rate": None, "drift": ["watch"]})
        r = ws.rollouts.start(RolloutCreate(endpoint="watched", model="iris:2", plan=plan, deployment_settings=settings("ok")))
        state(ws.rollouts, r.id, "Progressing")
        now = utcnow()
        with ws.store.session() as s:  # the row a run of the monitor writes when it finds drift
            s.add(AlertRow(monitor="watch", run_id=987654, job_id="job-x", created_at=now, window_start=now, window_end=now,
                           message="watch: data drift in f2 (psi 0.41)", signals=[], notify=False, delivery="none"))
        back = state(ws.rollouts, r.id, "RolledBack")
    finally:
        seen = client.finish()
    assert "monitor watch raised an alert during the rollout: watch: data drift in f2" in back.reason
    assert ws.endpoints.get_endpoint("watched").traffic == {"blue": 100}
    assert set(seen) == {200}, seen
