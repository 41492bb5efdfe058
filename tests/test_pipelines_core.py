"""Pipelines in the core: real step jobs (local subprocesses), checked graphs, reuse, failures."""

from __future__ import annotations

import pytest

from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.pipelines.schemas import PipelineSubmit

from .conftest import wait_for

WRITE = "python -c \"import sys,pathlib; pathlib.Path(sys.argv[1]).joinpath('n.txt').write_text(sys.argv[2])\""
ADD = ("python -c \"import sys,pathlib; n=int(pathlib.Path(sys.argv[1]).joinpath('n.txt').read_text());"
       " pathlib.Path(sys.argv[2]).joinpath('n.txt').write_text(str(n+int(sys.argv[3])))\"")


def chain(start="${{parent.inputs.start}}", **settings):
    """prep -> add -> add2: each step writes a number one more than what it read."""
    return {
        "name": "chain",
        "inputs": {"start": {"type": "int", "default": 1}},
        "outputs": {"result": "${{parent.jobs.add2.outputs.out}}"},
        "settings": settings,
        "jobs": {
            "prep": {"type": "command", "command": f"{WRITE} ${{{{outputs.out}}}} ${{{{inputs.n}}}}", "inputs": {"n": start}, "outputs": {"out": None}},
            "add": {"command": f"{ADD} ${{{{inputs.data}}}} ${{{{outputs.out}}}} 1", "inputs": {"data": "${{parent.jobs.prep.outputs.out}}"},
                    "outputs": {"out": {"type": "folder"}}},
            "add2": {"command": f"{ADD} ${{{{inputs.data}}}} ${{{{outputs.out}}}} 1", "inputs": {"data": "${{parent.jobs.add.outputs.out}}"},
                     "outputs": {"out": {"type": "folder"}}},
        },
    }


def submit(ws, pipeline, **kw):
    return ws.pipelines.submit(PipelineSubmit.model_validate({"pipeline": pipeline, "experiment": "pipes", **kw}))


def wait_run(ws, run_id, timeout=120):
    return wait_for(lambda: (r := ws.pipelines.get(run_id)).status in ("Completed", "Failed", "Canceled") and r, timeout,
                    what=f"pipeline {run_id} to end")


def result(run):
    from pathlib import Path

    return int(Path(run.outputs["result"], "n.txt").read_text())


def test_a_three_step_chain_passes_folders_and_reuses_unchanged_steps(workspace):
    events = []
    workspace.events.subscribe(lambda area, payload: area == "pipeline" and events.append((payload["step"], payload["state"])))
    run = wait_run(workspace, submit(workspace, chain()).id)
    assert run.status == "Completed", run
    assert [s.status for s in run.steps] == ["completed"] * 3 and result(run) == 3
    assert all(s.job_id and workspace.jobs.get(s.job_id).parent_id == run.id for s in run.steps)
    assert {(e.from_step, e.to_step) for e in run.edges} >= {("prep", "add"), ("add", "add2"), (None, "prep"), ("add2", None)}

    again = wait_run(workspace, submit(workspace, chain()).id)
    assert [s.status for s in again.steps] == ["reused"] * 3 and result(again) == 3
    assert [s.reused_from for s in again.steps] == [s.job_id for s in run.steps]
    assert all(s.job_id is None for s in again.steps)
    assert events.index(("prep", "running")) < events.index(("prep", "completed")) < events.index(("add", "running"))
    assert ("add2", "reused") in events and events.count((None, "completed")) == 2

    changed = wait_run(workspace, submit(workspace, chain(), parameters={"start": 5}).id)
    assert [s.status for s in changed.steps] == ["completed"] * 3 and result(changed) == 7
    assert "parameters.n" in changed.steps[0].why and run.steps[0].job_id in changed.steps[0].why
    assert "inputs.data" in changed.steps[1].why

    forced = wait_run(workspace, submit(workspace, chain(), force_rerun=True).id)
    assert [s.status for s in forced.steps] == ["completed"] * 3 and "force_rerun" in forced.steps[0].why

    rerun = wait_run(workspace, workspace.pipelines.rerun(run.id, from_step="add").id)
    assert [s.status for s in rerun.steps] == ["reused", "completed", "completed"] and rerun.rerun_of == run.id


@pytest.mark.parametrize("change, message", [
    ({"jobs": {"a": {"command": "true", "inputs": {"x": "${{parent.jobs.b.outputs.o}}"}, "outputs": {"o": None}},
               "b": {"command": "true", "inputs": {"x": "${{parent.jobs.a.outputs.o}}"}, "outputs": {"o": None}}}},
     "cycle: a -> b -> a"),
    ({"jobs": {"a": {"command": "true", "inputs": {"x": "${{parent.jobs.nope.outputs.o}}"}}}}, "jobs.a.inputs.x"),
    ({"jobs": {"a": {"command": "true", "outputs": {"o": None}}, "b": {"command": "true", "inputs": {"x": "${{parent.jobs.a.outputs.p}}"}}}},
     "step 'a' has no output 'p'"),
    ({"jobs": {"a": {"command": "true", "outputs": {"o": None}},
               "b": {"component": {"command": "echo ${{inputs.n}}", "inputs": {"n": {"type": "int"}}}, "inputs": {"n": "${{parent.jobs.a.outputs.o}}"}}}},
     "jobs.b.inputs.n is a int but is fed a folder"),
    ({"jobs": {"b": {"component": {"command": "echo ${{inputs.n}}", "inputs": {"n": {"type": "int"}}}}}}, "jobs.b.inputs.n is required"),
    ({"jobs": {"b": {"component": {"command": "echo ${{inputs.n}}", "inputs": {"n": {"type": "int"}}}, "inputs": {"m": 1}}}},
     "jobs.b.inputs.m: component 'b' has no input 'm'"),
    ({"jobs": {"a": {"command": "echo ${{inputs.x}}"}}}, "jobs.a: the command uses ${{inputs.x}}"),
    ({"jobs": {"a": {"command": "true", "target": "nowhere"}}}, "jobs.a.target"),
])
def test_bad_pipelines_are_refused_naming_the_step_and_port(workspace, change, message):
    from jupyter_mlservice.core.jobs.tables import JobRow
    from sqlalchemy import func, select

    with workspace.store.session() as s:
        before = s.scalar(select(func.count()).select_from(JobRow))
    with pytest.raises(InvalidRequest) as err:
        submit(workspace, {"name": "bad", **change})
    assert message in err.value.message
    with workspace.store.session() as s:
        assert s.scalar(select(func.count()).select_from(JobRow)) == before  # nothing written


def test_a_failing_step_is_retried_then_skips_what_depends_on_it(workspace, tmp_path):
    flaky = tmp_path / "tries"
    pipeline = {
        "name": "fails",
        "settings": {"continue_on_step_failure": True},
        "jobs": {
            # fails on its first try, succeeds on the retry
            "flaky": {"command": f"echo x >> {flaky}; test $(wc -l < {flaky}) -ge 2", "max_retries": 1, "outputs": {"o": None}},
            "broken": {"command": "exit 3", "outputs": {"o": None}},
            "after": {"command": "true", "inputs": {"x": "${{parent.jobs.broken.outputs.o}}"}},
            "alone": {"command": "true", "inputs": {"x": "${{parent.jobs.flaky.outputs.o}}"}},
            "slowpoke": {"command": "sleep 60", "timeout_s": 0.5},
        },
    }
    run = wait_run(workspace, submit(workspace, pipeline).id)
    steps = {s.name: s for s in run.steps}
    assert run.status == "Failed" and "broken" in run.error
    assert steps["flaky"].status == "completed" and workspace.jobs.get(steps["flaky"].job_id).attempt == 2
    assert steps["broken"].status == "failed"
    assert steps["after"].status == "skipped" and "broken" in steps["after"].error
    assert steps["alone"].status == "completed"  # continue_on_step_failure: independent steps go on
    assert steps["slowpoke"].status == "failed" and "timeout" in (steps["slowpoke"].error or "").lower()


def test_without_continue_on_step_failure_the_rest_is_skipped(workspace):
    pipeline = {"name": "stops", "jobs": {"broken": {"command": "exit 1", "outputs": {"o": None}},
                                          "after": {"command": "true", "inputs": {"x": "${{parent.jobs.broken.outputs.o}}"}}}}
    run = wait_run(workspace, submit(workspace, pipeline).id)
    assert run.status == "Failed" and [s.status for s in run.steps] == ["failed", "skipped"]


def test_cancel_cancels_running_steps_and_skips_the_rest(workspace):
    pipeline = {"name": "slow", "jobs": {"slow": {"command": "sleep 60", "outputs": {"o": None}},
                                         "after": {"command": "true", "inputs": {"x": "${{parent.jobs.slow.outputs.o}}"}}}}
    run = submit(workspace, pipeline)
    wait_for(lambda: workspace.pipelines.get(run.id).steps[0].job_status == "Running", 60, what="the slow step to run")
    workspace.pipelines.cancel(run.id)
    run = wait_run(workspace, run.id)
    assert run.status == "Canceled"
    assert [s.status for s in run.steps] == ["canceled", "skipped"]
    assert workspace.jobs.get(run.steps[0].job_id).status.value == "Canceled"


def test_a_schedule_runs_a_pipeline_with_templated_parameters(workspace):
    from jupyter_mlservice.core.schedules.schemas import ScheduleCreate

    pipeline = {"name": "nightly", "inputs": {"day": {"type": "str"}},
                "jobs": {"say": {"command": "echo day=${{inputs.day}}", "inputs": {"day": "${{parent.inputs.day}}"}}}}
    with pytest.raises(InvalidRequest) as err:
        workspace.schedules.create(ScheduleCreate(name="bad", cron="0 2 * * *", job={"pipeline": {**pipeline, "jobs": {}}}))
    assert "jobs" in err.value.message
    workspace.schedules.create(ScheduleCreate(name="nightly", cron="0 2 * * *", enabled=False,
                                              job={"pipeline": pipeline, "parameters": {"day": "{{ scheduled_date }}"}, "experiment": "nightly"}))
    run = workspace.schedules.run_now("nightly")
    assert run.state == "submitted", run
    pipe = wait_run(workspace, run.job_id)
    assert pipe.status == "Completed" and pipe.job.tags["mlservice.schedule"] == "nightly"
    text = workspace.jobs.logs(pipe.steps[0].job_id).text
    assert f"day={pipe.inputs['day']}" in text and pipe.inputs["day"][:2] == "20"


def test_reuse_follows_content_not_paths_and_outputs_register_as_data(workspace, in_root):
    from jupyter_mlservice.core.data.schemas import DataCreate

    (in_root / "raw").mkdir()
    (in_root / "raw" / "n.txt").write_text("10")
    workspace.data.create(DataCreate(name="nums", path=str(in_root / "raw"), profile=False))
    pipeline = {
        "name": "assets",
        "inputs": {"src": {"type": "folder"}},
        "jobs": {
            "from_asset": {"command": f"{ADD} ${{{{inputs.data}}}} ${{{{outputs.out}}}} 1", "inputs": {"data": "data:nums"},
                           "outputs": {"out": {"type": "folder", "register_as": "nums-plus-one"}}},
            "from_path": {"command": f"{ADD} ${{{{inputs.data}}}} ${{{{outputs.out}}}} 2", "inputs": {"data": "${{parent.inputs.src}}"},
                          "outputs": {"out": None}},
        },
    }
    first = wait_run(workspace, submit(workspace, pipeline, parameters={"src": "files/raw"}).id)
    assert first.status == "Completed", first
    steps = {s.name: s for s in first.steps}
    assert steps["from_asset"].inputs == {"data": "data:nums@1"}
    registered = workspace.data.resolve("data:nums-plus-one")
    assert registered.version == 1

    (in_root / "raw" / "n.txt").write_text("20")  # changed in place: same path, new content
    second = wait_run(workspace, submit(workspace, pipeline, parameters={"src": "files/raw"}).id)
    steps = {s.name: s for s in second.steps}
    assert steps["from_asset"].status == "reused"  # the registered version's content did not change
    assert steps["from_path"].status == "completed" and "inputs.data" in steps["from_path"].why


def test_a_notebook_step_gets_its_inputs_as_parameters_and_writes_its_output_folder(workspace, in_root):
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("n = 0\ndata = ''\nout = ''")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import pathlib\nm = int(pathlib.Path(data, 'n.txt').read_text())\npathlib.Path(out, 'n.txt').write_text(str(m * n))")]
    nbformat.write(nb, in_root / "times.ipynb")
    pipeline = {
        "name": "withnotebook",
        "outputs": {"result": "${{parent.jobs.times.outputs.out}}"},
        "jobs": {
            "prep": {"command": f"{WRITE} ${{{{outputs.out}}}} 6", "outputs": {"out": None}},
            "times": {"type": "notebook", "notebook": "files/times.ipynb", "inputs": {"data": "${{parent.jobs.prep.outputs.out}}", "n": 7},
                      "outputs": {"out": None}},
        },
    }
    run = wait_run(workspace, submit(workspace, pipeline).id, timeout=240)
    assert run.status == "Completed", (run.error, [s.error for s in run.steps])
    assert result(run) == 42 and run.steps[1].kind == "notebook"


def test_an_output_registered_as_a_model_becomes_a_model_version(workspace):
    pipeline = {"name": "tomodel", "jobs": {"train": {"command": f"{WRITE} ${{{{outputs.model}}}} 1",
                                                       "outputs": {"model": {"type": "folder", "register_as": "model:pipe-model"}}}}}
    run = wait_run(workspace, submit(workspace, pipeline).id)
    assert run.status == "Completed", (run.error, run.steps[0].error)
    mv = workspace.models.resolve("pipe-model")
    assert mv.version == "1"
    from jupyter_mlservice.core.lineage import MODEL_VERSION, Node

    edges = workspace.lineage.edges_to([Node(MODEL_VERSION, "pipe-model:1")], ["registered"])
    assert [e.src_id for e in edges] == [run.steps[0].job_id]


def test_a_run_whose_stored_spec_cannot_be_read_ends_failed_saying_so(workspace):
    from sqlalchemy import update

    from jupyter_mlservice.core.jobs.tables import JobRow

    workspace.pipeline_controller.stop()  # the damage is done before the controller sees the run
    run = submit(workspace, {"name": "damaged", "jobs": {"a": {"command": "true"}}})
    with workspace.store.session() as s:
        s.execute(update(JobRow).where(JobRow.id == run.id).values(spec={"submit": {"pipeline": {"jobs": "nope"}}}))
    workspace.pipeline_controller.start()
    job = wait_for(lambda: (j := workspace.jobs.get(run.id)).status.is_terminal and j, 60, what="the damaged run to end")
    assert job.status.value == "Failed" and "stored pipeline spec cannot be read" in job.error
    shown = workspace.pipelines.get(run.id)
    assert shown.status == "Failed" and shown.steps == [] and "cannot be read" in shown.error


def test_a_component_that_is_not_deterministic_is_never_reused(workspace):
    pipeline = {"name": "dice", "jobs": {"roll": {"command": f"{WRITE} ${{{{outputs.out}}}} 4", "deterministic": False, "outputs": {"out": None}}}}
    first = wait_run(workspace, submit(workspace, pipeline).id)
    second = wait_run(workspace, submit(workspace, pipeline).id)
    assert [first.steps[0].status, second.steps[0].status] == ["completed", "completed"]
    assert "not deterministic" in second.steps[0].why
