"""Mirror traffic rules the UI relies on, checked before anything is stored (no scoring process)."""

from __future__ import annotations

import pytest

from jupyter_mlservice.core.endpoints.schemas import EndpointCreate
from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.endpoints.tables import DeploymentRow, EndpointRow
from jupyter_mlservice.core.timeutil import utcnow


@pytest.fixture
def endpoint(workspace):
    service = workspace.endpoints
    service.create_endpoint(EndpointCreate(name="mirrored", auth_mode="none"))
    now = utcnow()
    with workspace.store.session() as s:
        for name in ("blue", "green", "teal"):
            # served once (applied), so only the rules under test can refuse traffic
            s.add(DeploymentRow(endpoint="mirrored", name=name, spec={}, applied={"served": True}, status="Healthy", created_at=now, updated_at=now))
        s.get(EndpointRow, "mirrored").traffic = {"blue": 100}
    return service


def _stored_mirror(workspace) -> dict:
    with workspace.store.session() as s:
        return dict(s.get(EndpointRow, "mirrored").mirror_traffic or {})


def test_mirror_copies_at_most_half_of_the_requests_and_nothing_is_stored_beyond(workspace, endpoint):
    with pytest.raises(InvalidRequest, match="at most 50% of requests in total; it adds up to 60"):
        endpoint.set_traffic("mirrored", {"green": 30, "teal": 30}, mirror=True)
    assert _stored_mirror(workspace) == {}


def test_a_deployment_takes_live_or_mirror_traffic_not_both(workspace, endpoint):
    with pytest.raises(InvalidRequest, match="not both: blue"):
        endpoint.set_traffic("mirrored", {"blue": 10}, mirror=True)
    with pytest.raises(InvalidRequest, match="no deployment named purple"):
        endpoint.set_traffic("mirrored", {"purple": 10}, mirror=True)
    assert _stored_mirror(workspace) == {}
