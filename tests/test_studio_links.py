"""Deep links into the ML Studio: /lab/mlservice/<area>/<id> is JupyterLab's page, not a 404."""

from __future__ import annotations

import json
import re

import pytest
from tornado.httpclient import HTTPClientError


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_mlservice": True, "jupyterlab": True},
            "allow_unauthenticated_access": False,
            "allow_root": True,
        },
        "MLServiceApp": {"poll_interval": 0.1},
        "LabApp": {"news_url": None},
    }


def page_config(body: bytes) -> dict:
    match = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', body, re.S)
    assert match, body[:500]
    return json.loads(match.group(1))


@pytest.mark.parametrize(
    "path",
    [
        ("lab", "mlservice"),
        ("lab", "mlservice", "jobs", "job-123"),
        ("lab", "mlservice", "models", "iris", "3"),
        ("lab", "workspaces", "team-a", "mlservice", "endpoints", "iris"),
    ],
)
async def test_a_studio_link_serves_jupyterlab_as_it_is(jp_fetch, path):
    response = await jp_fetch(*path)
    assert response.code == 200
    config = page_config(response.body)
    # No "Path Not Found" dialog sending the browser back to /lab: the studio's router takes it.
    assert "notFoundUrl" not in config
    assert config["mode"] == "multiple-document"
    assert config["treePath"] == ""
    assert config["workspace"] == ("team-a" if "workspaces" in path else "default")


async def test_other_unknown_lab_paths_are_still_not_found(jp_fetch):
    response = await jp_fetch("lab", "nothing-here")
    assert page_config(response.body)["notFoundUrl"].endswith("/lab/nothing-here")


async def test_a_studio_link_needs_the_user_to_be_logged_in(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lab", "mlservice", "jobs", "job-123", headers={"Authorization": ""}, follow_redirects=False)
    assert info.value.code in (302, 401, 403)
