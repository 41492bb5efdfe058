"""Endpoint lifecycle under load: zero-downtime rollouts, mirror traffic, failed rollouts, crashes."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import pytest
import requests

from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointFailed, EndpointProcess

from .conftest import wait_for
from .serving_fixtures import IRIS_COLUMNS, ROWS, save_iris_model

SPLIT = {"dataframe_split": {"columns": IRIS_COLUMNS, "data": ROWS}}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("lifecycle")
    save_iris_model(root / "m1", c=1.0)
    save_iris_model(root / "m2", c=0.01)
    config = EndpointConfig(
        name="life",
        deployments=[
            DeploymentConfig(name="blue", model_path=str(root / "m1")),
            DeploymentConfig(name="green", model_path=str(root / "m2")),
        ],
        traffic={"blue": 100, "green": 0},
    )
    ep = EndpointProcess.start(config, root / "state")
    ep.models = root
    yield ep
    ep.stop()
    assert not ep.alive()


class Client(threading.Thread):
    """Posts continuously; one keep-alive session plus one fresh connection per request."""

    def __init__(self, endpoint: EndpointProcess, fresh_connections: bool):
        super().__init__(daemon=True)
        self.url = f"{endpoint.base_url}/score"
        self.headers = {"Authorization": f"Bearer {endpoint.config.primary_key}"}
        self.fresh = fresh_connections
        self.stop = threading.Event()
        self.codes: Counter = Counter()
        self.deployments: list[str] = []
        self.errors: list[str] = []

    def run(self) -> None:
        session = requests.Session()
        deadline = time.monotonic() + 240  # bounded even if the test never stops it
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                post = requests.post if self.fresh else session.post
                r = post(self.url, json=SPLIT, headers=self.headers, timeout=30)
                self.codes[r.status_code] += 1
                self.deployments.append(r.headers.get("mlservice-deployment", "?"))
            except requests.RequestException as exc:
                self.errors.append(repr(exc))
        session.close()


def serving_pids(endpoint: EndpointProcess) -> set[int]:
    import json

    return {w["pid"] for w in json.loads((endpoint.state_dir / "status.json").read_text())["workers"] if w["serving"]}


def test_rollouts_under_load_lose_no_request(endpoint):
    clients = [Client(endpoint, fresh_connections=False), Client(endpoint, fresh_connections=True)]
    for c in clients:
        c.start()
    wait_for(lambda: all(sum(c.codes.values()) > 5 for c in clients), what="clients warming up")

    config = endpoint.config
    serving = serving_pids(endpoint)
    status = endpoint.reconfigure(config.model_copy(update={"traffic": {"blue": 0, "green": 100}}))
    # a traffic shift is taken in place: same workers, no model loaded again, no new generation
    assert status.generation == 1 and status.deployments["green"].state == "Healthy"
    assert serving_pids(endpoint) == serving
    seen_after_shift = len(clients[0].deployments)
    wait_for(lambda: len(clients[0].deployments) > seen_after_shift + 5, what="requests after the shift")
    assert clients[0].deployments[-1] == "green"

    # Replace green's model in place (a new model version behind the same deployment).
    green = config.deployment("green").model_copy(update={"model_path": str(endpoint.models / "m1")})
    status = endpoint.reconfigure(
        endpoint.config.model_copy(update={"deployments": [config.deployment("blue"), green]})
    )
    assert status.generation == 2 and serving_pids(endpoint).isdisjoint(serving)  # new workers load the new model
    count = sum(clients[1].codes.values())
    wait_for(lambda: sum(clients[1].codes.values()) > count + 5, what="requests after the model swap")

    for c in clients:
        c.stop.set()
        c.join(timeout=60)
    for c in clients:
        assert c.errors == [], c.errors[:3]
        assert set(c.codes) == {200}, c.codes
        assert sum(c.codes.values()) > 20


def test_mirror_traffic_copies_requests_and_drops_the_answers(endpoint):
    config = endpoint.config
    endpoint.reconfigure(
        config.model_copy(update={"traffic": {"blue": 100, "green": 0}, "mirror_traffic": {"green": 50}})
    )
    headers = {"Authorization": f"Bearer {config.primary_key}"}
    with requests.Session() as s:
        answered_by = {s.post(f"{endpoint.base_url}/score", json=SPLIT, headers=headers).headers[
            "mlservice-deployment"] for _ in range(60)}  # fmt: skip

    assert answered_by == {"blue"}

    def mirrored() -> int:
        text = requests.get(f"{endpoint.base_url}/metrics", headers=headers).text
        for line in text.splitlines():
            if line.startswith('mlservice_mirrored_requests_total{endpoint="life",deployment="green"}'):
                return int(line.rsplit(" ", 1)[1])
        return 0

    assert 10 <= wait_for(mirrored, timeout=10, what="mirror counts") <= 55


def test_a_rollout_that_fails_leaves_the_old_generation_serving(endpoint):
    before = endpoint.status()
    config = endpoint.config
    bad = config.deployment("blue").model_copy(update={"model_path": str(endpoint.models / "missing")})
    with pytest.raises(EndpointFailed, match="blue"):
        endpoint.reconfigure(config.model_copy(update={"deployments": [bad, config.deployment("green")]}))
    after = endpoint.status()
    assert after.generation == before.generation and after.rollout_error
    headers = {"Authorization": f"Bearer {config.primary_key}"}
    assert requests.post(f"{endpoint.base_url}/score", json=SPLIT, headers=headers).status_code == 200
    endpoint.reconfigure(config)  # back to a good config for the next test


def test_a_killed_worker_is_restarted_and_the_endpoint_recovers(endpoint):
    import json

    status = json.loads((endpoint.state_dir / "status.json").read_text())
    victim = next(w["pid"] for w in status["workers"] if w["serving"])
    restarts = status["restarts"]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: endpoint.status().restarts > restarts, timeout=30, what="restart")
    headers = {"Authorization": f"Bearer {endpoint.config.primary_key}"}
    # Connections made while no worker is up wait in the listen backlog instead of failing.
    r = requests.post(f"{endpoint.base_url}/score", json=SPLIT, headers=headers, timeout=60)
    assert r.status_code == 200
    wait_for(lambda: endpoint.status().deployments["blue"].state == "Healthy", timeout=60, what="healthy again")
