"""Pipelines over REST: submit, watch, cancel, rerun, draw a YAML file; bad input is a 400."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError

PIPE_YAML = """
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
name: yamlchain
inputs:
  greeting: hello
settings:
  default_compute: local
jobs:
  write:
    type: command
    command: python -c "import sys,pathlib; pathlib.Path(sys.argv[1],'g.txt').write_text(sys.argv[2])" ${{outputs.out}} ${{inputs.text}}
    inputs:
      text: ${{parent.inputs.greeting}}
    outputs:
      out:
        type: uri_folder
  read:
    type: command
    command: cat ${{inputs.data}}/g.txt
    inputs:
      data: ${{parent.jobs.write.outputs.out}}
outputs:
  written: ${{parent.jobs.write.outputs.out}}
"""


async def _fetch(jp_fetch, path, method="GET", body=None):
    kw = {"method": method}
    if body is not None:
        kw["body"] = json.dumps(body)
    r = await jp_fetch("mlservice", "api", *path.split("/"), **kw)
    return r.code, json.loads(r.body)


async def _error(jp_fetch, path, body):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("mlservice", "api", *path.split("/"), method="POST", body=json.dumps(body))
    return err.value.code, json.loads(err.value.response.body)["message"]


async def _wait(jp_fetch, run_id, statuses=("Completed", "Failed", "Canceled")):
    for _ in range(1200):
        _, run = await _fetch(jp_fetch, f"pipelines/{run_id}")
        if run["status"] in statuses:
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"pipeline {run_id} did not end: {run}")


async def test_submit_a_yaml_pipeline_then_see_its_graph_steps_and_outputs(jp_fetch):
    code, graph = await _fetch(jp_fetch, "pipelines/graph", "POST", {"yaml": PIPE_YAML})
    assert code == 200 and [s["name"] for s in graph["steps"]] == ["write", "read"]
    assert {"from_step": "write", "from_port": "out", "to_step": "read", "to_port": "data", "kind": "folder"} in graph["edges"]

    from jupyter_mlservice.core.pipelines.service import spec_from_yaml

    spec = spec_from_yaml(PIPE_YAML).model_dump(mode="json")
    code, run = await _fetch(jp_fetch, "pipelines", "POST", {"pipeline": spec, "experiment": "yaml", "parameters": {"greeting": "hi"}})
    assert code == 201 and run["status"] in ("Queued", "Running") and run["name"] == "yamlchain"
    run = await _wait(jp_fetch, run["id"])
    assert run["status"] == "Completed", run
    assert [s["status"] for s in run["steps"]] == ["completed", "completed"]
    assert run["steps"][0]["inputs"] == {"text": "hi"} and run["outputs"]["written"].endswith("/steps/write/out")
    code, log = await _fetch(jp_fetch, f"jobs/{run['steps'][1]['job_id']}/logs")
    assert "hi" in log["text"]
    code, page = await _fetch(jp_fetch, "pipelines")
    assert [p["id"] for p in page["items"]] == [run["id"]]

    code, again = await _fetch(jp_fetch, f"pipelines/{run['id']}/rerun", "POST", {"from_step": "read"})
    again = await _wait(jp_fetch, again["id"])
    assert [s["status"] for s in again["steps"]] == ["reused", "completed"]
    assert again["steps"][0]["reused_from"] == run["steps"][0]["job_id"]


async def test_bad_pipelines_are_400s_naming_step_and_port(jp_fetch):
    bad_yaml = PIPE_YAML.replace("${{parent.jobs.write.outputs.out}}\n", "${{parent.jobs.write.outputs.nope}}\n", 1)
    code, message = await _error(jp_fetch, "pipelines/graph", {"yaml": bad_yaml})
    assert code == 400 and "jobs.read.inputs.data" in message and "no output 'nope'" in message
    code, message = await _error(jp_fetch, "pipelines/graph", {"yaml": "jobs: [unclosed"})
    assert code == 400 and "not valid YAML" in message
    code, message = await _error(jp_fetch, "pipelines", {"pipeline": {"jobs": {}}})
    assert code == 400 and "jobs" in message
    step = {"component": {"command": "echo ${{inputs.n}}", "inputs": {"n": {"type": "int"}}}}
    code, message = await _error(jp_fetch, "pipelines", {"pipeline": {"jobs": {"a": step}}})
    assert code == 400 and "jobs.a.inputs.n is required" in message
    code, message = await _error(jp_fetch, "pipelines", {"pipeline": {"jobs": {"a": {"command": "true"}}}, "parameters": {"x": 1}})
    assert code == 400 and "parameters.x" in message
    code, message = await _error(jp_fetch, "pipelines/job-000000000000/rerun", {"from_step": "a"})
    assert code == 404
    code, message = await _error(jp_fetch, "components", {"name": "1bad", "command": "true"})
    assert code == 400 and "name" in message


async def test_components_are_versioned_and_pipelines_reference_them(jp_fetch):
    comp = {"name": "echo", "command": "echo ${{inputs.word}} > ${{outputs.out}}/w.txt", "inputs": {"word": "string"},
            "outputs": {"out": "uri_folder"}}
    code, v1 = await _fetch(jp_fetch, "components", "POST", comp)
    assert code == 201 and v1["version"] == 1 and v1["inputs"]["word"]["type"] == "str"
    code, v2 = await _fetch(jp_fetch, "components", "POST", {**comp, "description": "second"})
    assert v2["version"] == 2
    code, got = await _fetch(jp_fetch, "components/echo/versions/1")
    assert got["version"] == 1 and got["digest"] == v1["digest"]
    code, latest = await _fetch(jp_fetch, "components/echo")
    assert latest["version"] == 2
    code, page = await _fetch(jp_fetch, "components")
    assert [(c["name"], c["version"]) for c in page["items"]] == [("echo", 1), ("echo", 2)]
    code, message = await _error(jp_fetch, "pipelines", {"pipeline": {"jobs": {"a": {"component": "echo@9", "inputs": {"word": "x"}}}}})
    assert code == 400 and "echo@9" in message
    code, run = await _fetch(jp_fetch, "pipelines", "POST", {"pipeline": {"jobs": {"a": {"component": "echo@1", "inputs": {"word": "x"}}}}})
    run = await _wait(jp_fetch, run["id"])
    assert run["status"] == "Completed" and run["steps"][0]["component"] == "echo@1"


async def test_cancel_over_rest(jp_fetch):
    body = {"pipeline": {"jobs": {"slow": {"command": "sleep 60", "outputs": {"o": None}},
                                  "after": {"command": "true", "inputs": {"x": "${{parent.jobs.slow.outputs.o}}"}}}}}
    code, run = await _fetch(jp_fetch, "pipelines", "POST", body)
    for _ in range(600):
        _, run = await _fetch(jp_fetch, f"pipelines/{run['id']}")
        if run["steps"][0]["job_status"] == "Running":
            break
        await asyncio.sleep(0.1)
    code, _ = await _fetch(jp_fetch, f"pipelines/{run['id']}/cancel", "POST", {})
    run = await _wait(jp_fetch, run["id"])
    assert run["status"] == "Canceled" and [s["status"] for s in run["steps"]] == ["canceled", "skipped"]
