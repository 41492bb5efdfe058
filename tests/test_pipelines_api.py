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
    for step, where in [
        ({"command": "true", "inputs": {"x": [1, 2]}}, "jobs.a.inputs.x"),
        ({"command": "true", "resources": {"gpu": 1}}, "jobs.a.target 'local': local targets have no GPUs"),
        ({"command": "true", "environment_variables": {"MLFLOW_RUN_ID": "x"}}, "jobs.a"),
        ({"command": "true", "outputs": {"o": {"type": "table"}}}, "jobs.a.outputs.o"),
        ({"command": "echo ${{parent.inputs.x}} ok"}, "jobs.a"),
        ({"notebook": "missing.ipynb"}, "jobs.a.notebook"),
        ({"command": "true", "code": "no/such/folder"}, "jobs.a.code"),
        ({"command": "true", "inputs": {"d": "data:nothing@1"}}, "jobs.a.inputs.d"),
    ]:
        code, message = await _error(jp_fetch, "pipelines", {"pipeline": {"jobs": {"a": step}}})
        assert code == 400 and where in message, (step, message)
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


# ---- the SDK, the DSL and the CLI against a real server; a restart mid-run ---------------------

from jupyter_mlservice.pipelines import Input, Output, component, pipeline  # noqa: E402

from .conftest import LiveServer, wait_for  # noqa: E402


@component
def double(numbers: Input("folder"), doubled: Output("folder"), factor: int = 2):
    import pathlib

    n = int(pathlib.Path(numbers, "n.txt").read_text())
    pathlib.Path(doubled, "n.txt").write_text(str(n * factor))


COUNT_YAML = """
name: seed
type: command
code: ./src
command: python seed.py ${{inputs.start}} ${{outputs.out}}
inputs:
  start: {type: integer}
outputs:
  out: {type: uri_folder}
"""


def test_dsl_yaml_components_cli_and_a_restart_mid_run(server_root, tmp_path):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    comp_dir = server_root / "components"
    (comp_dir / "src").mkdir(parents=True)
    (comp_dir / "src" / "seed.py").write_text("import sys, pathlib\npathlib.Path(sys.argv[2], 'n.txt').write_text(sys.argv[1])\n")
    (comp_dir / "seed.yaml").write_text(COUNT_YAML)
    server = LiveServer(server_root).start()
    try:
        ml = server.client()
        seed = ml.components.load(comp_dir / "seed.yaml")
        registered = ml.components.create(seed)
        assert (registered.name, registered.version) == ("seed", 1) and ml.components.get("seed@1").version == 1

        @pipeline(default_target="local")
        def doubling(start: int = 3):
            s = registered(start=start)
            d = double(numbers=s.outputs.out, factor=5).with_resources(cpu=1)
            return {"result": d.outputs.doubled}

        run = ml.pipelines.submit(doubling(start=4), experiment="dsl").wait(timeout=120)
        assert run.status == "Completed", run.error
        assert [(s.name, s.status, s.component) for s in run.steps] == [("seed", "completed", "seed@1"), ("double", "completed", "double")]
        assert Path(run.outputs["result"], "n.txt").read_text() == "20"
        assert ml.pipelines.submit(doubling(start=4)).wait(timeout=120).step("double").status == "reused"

        # the CLI: a YAML file with -p, then show
        gate = tmp_path / "gate"
        (server_root / "slow.pipeline.yaml").write_text(f"""
name: slow
inputs: {{word: hello}}
jobs:
  wait:
    type: command
    command: while [ ! -f {gate} ]; do sleep 0.1; done; echo ${{{{inputs.word}}}} > ${{{{outputs.out}}}}/w.txt
    inputs: {{word: "${{{{parent.inputs.word}}}}"}}
    outputs: {{out: {{type: uri_folder}}}}
  after:
    type: command
    command: cat ${{{{inputs.data}}}}/w.txt
    inputs: {{data: "${{{{parent.jobs.wait.outputs.out}}}}"}}
""")
        env = {**__import__("os").environ, "MLSERVICE_URL": server.url, "MLSERVICE_TOKEN": server.token}
        out = subprocess.run([sys.executable, "-m", "jupyter_mlservice.cli", "pipeline", "submit", str(server_root / "slow.pipeline.yaml"),
                              "-p", "word=bonjour", "--json"], capture_output=True, text=True, env=env, check=True)
        run_id = json.loads(out.stdout)["id"]
        wait_for(lambda: ml.pipelines.get(run_id).step("wait").job_status == "Running", 60, what="the first step to run")
        first_job = ml.pipelines.get(run_id).step("wait").job_id

        server.stop(signal.SIGKILL)  # mid-run: the step's process outlives the server
        server = LiveServer(server_root, port=server.port).start()
        ml = server.client()
        gate.touch()
        run = ml.pipelines.get(run_id).wait(timeout=120)
        assert run.status == "Completed", run.error
        assert run.step("wait").job_id == first_job  # re-attached, never rerun
        assert len(run.children()) == 2
        assert "bonjour" in ml.jobs.get(run.step("after").job_id).logs()
        shown = subprocess.run([sys.executable, "-m", "jupyter_mlservice.cli", "pipeline", "show", run_id], capture_output=True, text=True,
                               env=env, check=True).stdout
        assert "completed" in shown and first_job in shown
        listed = subprocess.run([sys.executable, "-m", "jupyter_mlservice.cli", "component", "list"], capture_output=True, text=True,
                                env=env, check=True).stdout
        assert "seed" in listed
    finally:
        server.stop()
