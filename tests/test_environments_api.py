"""Environments through the REST API, the SDK and the CLI of a real server (`mlservice serve`)."""

from __future__ import annotations

import json

import pytest
import requests

from jupyter_mlservice.core.errors import InvalidRequest, NotFound

from .conftest import LiveServer, seed_workspace
from .test_sdk_cli import cli

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def server(tmp_path_factory, mlflow_template, environments_dir):
    root = tmp_path_factory.mktemp("env-api") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    server = LiveServer(root, args=[f"--MLServiceApp.environments_dir={environments_dir}"]).start()
    yield server
    server.stop()


def test_sdk_creates_builds_and_uses_an_environment(server):
    ml = server.client()
    env = ml.environments.create(name="api-env", requirements=["inflection==0.5.1"], build=False)
    assert env.reference == "api-env@1" and env.state in ("NotBuilt", "Ready")
    assert "inflection==0.5.1" in env.resolved and "mlflow-skinny" in {r.split("==")[0] for r in env.resolved}
    env = ml.environments.build("api-env@1")
    assert env.state == "Ready"
    assert "building environment" in ml.environments.logs("api-env") or "resolve:" in ml.environments.logs("api-env")
    assert [e.reference for e in ml.environments.list()] == ["api-env@1"]
    job = ml.jobs.submit(command="python -c 'import inflection; print(inflection.underscore(\"ApiEnv\"))'", environment="api-env")
    job.wait(timeout=300)
    assert job.status == "Completed" and "api_env" in job.logs()
    assert job.spec["environment"] == "api-env@1"


def test_sdk_errors_name_what_to_change(server):
    ml = server.client()
    with pytest.raises(NotFound, match="no environment named 'ghost'"):
        ml.environments.get("ghost@1")
    with pytest.raises(InvalidRequest, match="exactly one of"):
        ml.environments.create(name="x")
    with pytest.raises(InvalidRequest, match="not a pip requirement"):
        ml.environments.create(name="x", requirements=["scikit-learn=1.2.2"])
    with pytest.raises(NotFound, match="no environment named 'ghost'"):
        ml.jobs.submit(command="true", environment="ghost")


def test_rest_requires_auth(server):
    assert requests.get(server.url + "mlservice/api/environments", timeout=10).status_code in (401, 403)


def test_cli_lists_shows_and_reads_logs(server):
    listed = json.loads(cli(server, "environment", "list", "--json").stdout)
    assert "api-env@1" in [e["reference"] for e in listed]
    shown = json.loads(cli(server, "environment", "show", "api-env@1", "--json").stdout)
    assert shown["state"] == "Ready"
    assert "api-env@1" in cli(server, "environment", "list").stdout
    assert "inflection" in cli(server, "environment", "logs", "api-env@1").stdout
