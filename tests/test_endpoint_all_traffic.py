""""Route all traffic once the deployment is Healthy" is desired state the server carries out."""

from __future__ import annotations

import pytest

from jupyter_mlservice.core.endpoints.schemas import DeploymentCreate, DeploymentUpdate, EndpointCreate, InvokeRequest
from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

from .conftest import wait_for
from .serving_fixtures import BROKEN_SCRIPT, IRIS_COLUMNS, ROWS, save_iris_model, write_script

SPLIT = {"dataframe_split": {"columns": IRIS_COLUMNS, "data": ROWS}}


@pytest.fixture
def iris(workspace, in_root):
    save_iris_model(in_root / "iris-model")
    workspace.models.register("iris-at", local_path=str(in_root / "iris-model"))
    events = []
    workspace.events.subscribe(lambda area, data: events.append(data) if area == "endpoint" else None)
    workspace.endpoints.create_endpoint(EndpointCreate(name="at", auth_mode="none"))
    yield events
    workspace.endpoints.delete_endpoint("at")


def _healthy(workspace, name):
    return lambda: workspace.endpoints.get_deployment("at", name).status == "Healthy"


@pytest.mark.timeout(900)
def test_a_deployment_asking_for_all_traffic_takes_it_once_healthy(workspace, iris):
    eps = workspace.endpoints
    eps.create_deployment("at", DeploymentCreate(name="blue", model="iris-at:1"))
    wait_for(_healthy(workspace, "blue"), 300, what="blue Healthy")
    assert eps.get_endpoint("at").traffic == {"blue": 100}

    green = eps.create_deployment("at", DeploymentCreate(name="green", model="iris-at:1", all_traffic=True))
    assert green.all_traffic_pending and green.traffic == 0
    wait_for(lambda: not eps.get_deployment("at", "green").all_traffic_pending, 300, what="green takes all traffic")
    # the request ends once the endpoint serves the new split: green answers every request now
    assert eps.get_endpoint("at").traffic == {"green": 100}
    assert {eps.invoke("at", InvokeRequest(data=SPLIT)).deployment for _ in range(5)} == {"green"}
    assert {"endpoint": "at", "deployment": "green", "action": "traffic", "status": "Healthy"} in iris

    # a PATCH without all_traffic keeps what an earlier one asked; with it, the traffic moves back
    eps.update_deployment("at", "blue", DeploymentUpdate(replicas=1, all_traffic=True))
    wait_for(lambda: eps.get_endpoint("at").traffic == {"blue": 100}, 300, what="blue takes all traffic back")


@pytest.mark.timeout(900)
def test_a_server_restart_does_not_strand_the_routing_and_a_failure_drops_it(workspace, iris, in_root):
    eps = workspace.endpoints
    eps.create_deployment("at", DeploymentCreate(name="blue", model="iris-at:1"))
    wait_for(_healthy(workspace, "blue"), 300, what="blue Healthy")
    workspace.endpoint_controller.stop()  # "the server stops" before green is served
    eps.create_deployment("at", DeploymentCreate(name="green", model="iris-at:1", all_traffic=True))
    assert eps.get_deployment("at", "green").status == "Creating"

    restarted = Workspace(WorkspaceConfig(root_dir=workspace.root_dir, poll_interval=0.1))  # the next server, on the same store
    restarted.start()
    eps = restarted.endpoints
    try:
        wait_for(lambda: not eps.get_deployment("at", "green").all_traffic_pending, 300, what="green takes all traffic after the restart")
        assert eps.get_endpoint("at").traffic == {"green": 100}
        # a deployment that fails drops its request; the traffic stays where it was
        code = write_script(in_root / "broken", BROKEN_SCRIPT)
        eps.create_deployment("at", DeploymentCreate(name="bad", model="iris-at:1", code=str(code), scoring_script="score.py", all_traffic=True))
        wait_for(lambda: eps.get_deployment("at", "bad").status == "Failed", 300, what="bad Failed")
        wait_for(lambda: not eps.get_deployment("at", "bad").all_traffic_pending, 60, what="the request dropped")
        assert eps.get_endpoint("at").traffic == {"green": 100}
    finally:
        restarted.stop()
