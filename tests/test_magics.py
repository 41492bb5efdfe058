"""`%%mlrun` and `%mlservice` in a real kernel (nbclient) against a real server."""

from __future__ import annotations

import os
import re
import signal
import threading

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import wait_for

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MLRUN_USAGE_LINE = "usage: %%mlrun [--target T]"


class NotebookKernel:
    """One kernel, driven cell by cell the way a notebook is; outputs as nbformat saves them."""

    def __init__(self, server, cwd):
        self.server = server
        self.nb = nbformat.v4.new_notebook()
        self.client = NotebookClient(
            self.nb, kernel_name="python3", timeout=180, allow_errors=True, resources={"metadata": {"path": str(cwd)}}
        )
        # What a kernel started by the server inherits: nothing else configures the magics.
        env = {**os.environ, "MLSERVICE_URL": server.url, "MLSERVICE_TOKEN": server.token}
        self._setup = self.client.setup_kernel(env=env)

    def __enter__(self) -> "NotebookKernel":
        self._setup.__enter__()
        self.run("%load_ext jupyter_mlservice")
        return self

    def __exit__(self, *exc) -> None:
        self._setup.__exit__(*exc)

    def run(self, source: str) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        self.client.execute_cell(cell, len(self.nb.cells) - 1)
        return cell

    def widget_state(self, output) -> dict:
        return self.client.widget_state[output["data"][WIDGET_MIME]["model_id"]]


def stderr(cell) -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stderr")


def errors(cell) -> list:
    return [o for o in cell.outputs if o["output_type"] == "error"]


def widget_outputs(cell) -> list:
    return [o for o in cell.outputs if WIDGET_MIME in o.get("data", {})]


def html_outputs(cell) -> str:
    return "".join(o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {}))


@pytest.fixture(scope="module")
def kernel(shared_server, tmp_path_factory):
    with NotebookKernel(shared_server, tmp_path_factory.mktemp("nb")) as k:
        yield k


@pytest.fixture(scope="module")
def ml(shared_server):
    return shared_server.client()


def test_mlrun_runs_the_cell_as_a_code_job_and_shows_the_live_widget(kernel, ml):
    cell = kernel.run("%%mlrun --experiment magics --name first\nprint('hello from the job')\nimport mlflow\nmlflow.log_metric('m', 1.5)")
    assert not errors(cell), cell.outputs
    [out] = widget_outputs(cell)
    state = kernel.widget_state(out)
    assert state["_model_module"] == "jupyter_mlservice" and state["_view_name"] == "JobWidgetView"
    job = ml.jobs.get(state["job_id"])
    assert job.kind == "code" and job.display_name == "first" and job.experiment == "magics"
    assert job.status == "Completed"
    assert job.spec["source"].startswith("print('hello from the job')")
    assert "hello from the job" in job.logs()
    assert job.metrics() == {"m": [1.5]}
    # Once the job ended, the output was refreshed: its static HTML holds the final state.
    assert "Completed" in out["data"]["text/html"] and state["summary"]["status"] == "Completed"
    # The handle stays in the kernel for later cells.
    assert kernel.run("print(_mlrun_job.id)").outputs[0]["text"].strip() == job.id


def test_mlrun_params_from_notebook_variables_and_literals(kernel, ml):
    kernel.run("alpha = 0.25\nlayers = [8, 4]\nimport numpy as np\nseed = np.int64(7)")
    cell = kernel.run(
        "%%mlrun --param alpha --param layers seed --param epochs=3 --param 'label=two words' --param flag=True\n"
        "print('types', type(alpha).__name__, type(epochs).__name__, type(flag).__name__)\n"
        "print('values', alpha, layers, seed, epochs, label, flag)"
    )
    assert not errors(cell), cell.outputs
    job = ml.jobs.get(kernel.widget_state(widget_outputs(cell)[0])["job_id"])
    assert job.spec["parameters"] == {"alpha": 0.25, "layers": [8, 4], "seed": 7, "epochs": 3, "label": "two words", "flag": True}
    log = job.logs()
    assert "types float int bool" in log
    assert "values 0.25 [8, 4] 7 3 two words True" in log


def test_mlrun_no_wait_returns_while_the_job_runs(kernel, ml):
    cell = kernel.run("%%mlrun --no-wait --name sleeper\nimport time\ntime.sleep(120)")
    assert not errors(cell), cell.outputs
    [out] = widget_outputs(cell)
    job = ml.jobs.get(kernel.widget_state(out)["job_id"])
    try:
        assert job.status not in ("Completed", "Failed", "Canceled")
    finally:
        job.cancel().wait(timeout=60)
    assert job.status == "Canceled"


def test_interrupting_the_cell_cancels_its_job(kernel, ml):
    def interrupt_once_running():
        job = wait_for(lambda: next((j for j in ml.jobs.list(limit=5) if j.display_name == "interrupted" and j.status == "Running"), None),
                       what="the interrupted job to run")
        os.kill(kernel.client.km.provisioner.pid, signal.SIGINT)  # what Kernel > Interrupt does
        return job

    waiter = threading.Thread(target=interrupt_once_running, daemon=True)
    waiter.start()
    cell = kernel.run("%%mlrun --name interrupted\nimport time\ntime.sleep(300)")
    waiter.join(10)
    [error] = errors(cell)
    assert error["ename"] == "KeyboardInterrupt"
    job_id = kernel.widget_state(widget_outputs(cell)[0])["job_id"]
    assert f"canceled job {job_id}" in stderr(cell)
    assert ml.jobs.get(job_id).wait(timeout=60).status == "Canceled"


def test_mlrun_failure_is_raised_short_with_the_job_id_and_log_tail(kernel):
    cell = kernel.run("%%mlrun --name failing\nprint('loading data')\nraise ValueError('bad input shape')")
    [out] = widget_outputs(cell)
    job_id = kernel.widget_state(out)["job_id"]
    [error] = errors(cell)
    assert error["ename"] == "JobRunFailed"
    assert f"job {job_id} Failed" in error["evalue"]
    text = "\n".join(error["traceback"])
    assert "loading data" in text and "ValueError: bad input shape" in text
    # Short: the job's lines, not the magic's Python frames.
    assert "magics.py" not in text and len(error["traceback"]) < 30


@pytest.mark.parametrize(
    "line, message",
    [
        ("%%mlrun --bogus", "unrecognized arguments: --bogus"),
        ("%%mlrun --target", "expected one argument"),
        ("%%mlrun --param 2x=1", "is not a valid Python name"),
        ("%%mlrun --param not_defined_here", "no variable named 'not_defined_here'"),
        ("%%mlrun --param handle", "must be JSON-serializable"),
        ("%%mlrun --param 'unclosed", "No closing quotation"),
    ],
)
def test_bad_mlrun_arguments_raise_usage_error_with_the_usage_line(kernel, ml, line, message):
    kernel.run("import threading\nhandle = threading.Lock()")
    before = len(ml.jobs.list(limit=None))
    cell = kernel.run(f"{line}\nprint('never submitted')")
    err = stderr(cell)
    assert "UsageError" in err and message in err
    assert MLRUN_USAGE_LINE in err
    assert not widget_outputs(cell)
    assert len(ml.jobs.list(limit=None)) == before


def test_mlrun_with_an_unknown_target_says_so(kernel):
    cell = kernel.run("%%mlrun --target no-such-target\nprint(1)")
    err = stderr(cell)
    assert "UsageError" in err and "no-such-target" in err


def test_mlservice_job_list_renders_an_html_table(kernel, ml):
    job = ml.jobs.submit(source="print('listed')", display_name="listed-job", experiment="magics").wait(timeout=120)
    cell = kernel.run("%mlservice job list --experiment magics")
    assert not errors(cell) and not stderr(cell), cell.outputs
    html = html_outputs(cell)
    assert html.startswith("<table") and "<th style='text-align:left'>status</th>" in html
    row = re.search(rf"<tr><td[^>]*>{job.id}</td>.*?</tr>", html)
    assert row and "Completed" in row.group(0) and "listed-job" in row.group(0)
    assert not any(o["output_type"] == "stream" and o["name"] == "stdout" for o in cell.outputs)


def test_mlservice_read_commands(kernel, ml):
    job = ml.jobs.submit(source="print('line one')\nprint('line two')", experiment="magics").wait(timeout=120)
    targets = html_outputs(kernel.run("%mlservice target list"))
    assert "<table" in targets and ">local<" in targets
    show = html_outputs(kernel.run(f"%mlservice job show {job.id}"))
    assert "<table" in show and f">{job.id}<" in show and ">Completed<" in show
    logs = html_outputs(kernel.run(f"%mlservice job logs {job.id}"))
    assert logs.startswith("<pre") and "line one\nline two" in logs


@pytest.mark.parametrize(
    "line, message",
    [
        ("%mlservice", "give a command"),
        ("%mlservice job lis", "invalid choice: 'lis'"),
        ("%mlservice job show", "the following arguments are required: id"),
        ("%mlservice serve", "run it in a terminal"),
    ],
)
def test_bad_mlservice_arguments_raise_usage_error(kernel, line, message):
    err = stderr(kernel.run(line))
    assert "UsageError" in err and message in err and "usage: %mlservice" in err


def test_mlservice_unknown_job_is_a_short_error(kernel):
    err = stderr(kernel.run("%mlservice job show job-000000000000"))
    assert "UsageError: mlservice:" in err and "job-000000000000" in err
