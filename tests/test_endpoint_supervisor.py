"""A killed endpoint supervisor: the keeper holds the listening socket, so no connection is
refused while a new supervisor starts, and the old supervisor's workers (even one stuck in a
request) exit within their bounded grace instead of living on holding memory."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter

import psutil
import pytest
import requests

from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointProcess
from jupyter_mlservice.core.serving.worker import DRAIN_GRACE_S, SHUTDOWN_S, WATCHDOG_MARGIN_S

from .conftest import wait_for
from .serving_fixtures import IRIS_COLUMNS, ROWS, save_iris_model

STUCK_SCRIPT = """
import time

def init():
    pass

def run(raw):
    if "stuck" in raw:
        time.sleep(3600)  # a request that never finishes
    return {"ok": True}
"""
SPLIT = {"dataframe_split": {"columns": IRIS_COLUMNS, "data": ROWS}}


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("kept")
    save_iris_model(tmp_path / "model")
    code = tmp_path / "code"
    code.mkdir()
    (code / "score.py").write_text(STUCK_SCRIPT)
    common = {"model_path": str(tmp_path / "model"), "model_name": "iris", "model_version": "1", "replicas": 2}
    config = EndpointConfig(name="kept", auth_mode="none", traffic={"blue": 100}, deployments=[
        DeploymentConfig(name="blue", **common),
        DeploymentConfig(name="slow", scoring_script="score.py", code_dir=str(code), **common),
    ])  # fmt: skip
    ep = EndpointProcess.start(config, tmp_path / "state", timeout=600)
    yield ep
    ep.stop()


@pytest.mark.timeout(900)
def test_a_killed_supervisor_refuses_no_connection_and_leaves_no_worker(endpoint):
    status = json.loads((endpoint.state_dir / "status.json").read_text())
    supervisor, workers = status["pid"], [w["pid"] for w in status["workers"]]
    assert supervisor != endpoint.pid and len(workers) == 2  # the handle's pid is the keeper

    stuck = threading.Thread(
        target=lambda: _quietly(requests.post, f"{endpoint.base_url}/score", data="stuck", headers={"mlservice-deployment": "slow"}, timeout=120),
        daemon=True,
    )
    stuck.start()
    outcomes: Counter = Counter()
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                outcomes[requests.post(f"{endpoint.base_url}/invocations", json=SPLIT, timeout=300).status_code] += 1
            except requests.ConnectionError:
                outcomes["refused"] += 1

    clients = [threading.Thread(target=client, daemon=True) for _ in range(2)]
    for c in clients:
        c.start()
    wait_for(lambda: outcomes[200] >= 5, what="clients served before the kill")

    os.kill(supervisor, signal.SIGKILL)
    grace = DRAIN_GRACE_S + SHUTDOWN_S + WATCHDOG_MARGIN_S
    # every worker of the dead supervisor exits, the stuck one included, within its grace
    wait_for(lambda: not any(_alive(p) for p in workers), timeout=grace + 30, interval=0.2, what="the old workers to exit")

    def serving_again() -> bool:
        now = json.loads((endpoint.state_dir / "status.json").read_text())
        return now["pid"] != supervisor and now["deployments"].get("blue", {}).get("state") == "Healthy"

    wait_for(serving_again, timeout=600, interval=0.2, what="a new supervisor serving")
    served = outcomes[200]
    wait_for(lambda: outcomes[200] >= served + 5, what="clients served after the restart")
    stop.set()
    for c in clients:
        c.join(timeout=320)
    assert outcomes["refused"] == 0, outcomes
    assert set(outcomes) <= {200, 504}, outcomes  # 504: queued behind the stuck request in its worker
    assert endpoint.alive() and _alive(endpoint.pid)


def test_stopping_the_endpoint_stops_keeper_supervisor_and_workers(endpoint):
    """(after the restart above: the new supervisor's workers go too)"""
    status = json.loads((endpoint.state_dir / "status.json").read_text())
    pids = [endpoint.pid, status["pid"], *(w["pid"] for w in status["workers"])]
    endpoint.stop()
    wait_for(lambda: not any(_alive(p) for p in pids), timeout=60, what="every process to end")


def _quietly(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except requests.RequestException:
        pass
