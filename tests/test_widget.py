"""The live run widget: what the kernel sends, and the static summary where no frontend runs it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from .test_magics import WIDGET_MIME, NotebookKernel, errors, widget_outputs

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kernel(shared_server, tmp_path_factory):
    with NotebookKernel(shared_server, tmp_path_factory.mktemp("nb")) as k:
        k.run("from jupyter_mlservice import MLService\nml = MLService()")
        yield k


@pytest.fixture(scope="module")
def finished_job(shared_server):
    source = "import mlflow\nprint('training')\nfor i in range(3):\n    mlflow.log_metric('loss', 1.0 / (i + 1), step=i)\nmlflow.log_param('alpha', 0.5)"
    return shared_server.client().jobs.submit(source=source, experiment="widget", display_name="trained").wait(timeout=120)


def test_a_job_as_the_last_expression_of_a_cell_shows_the_live_widget(kernel, finished_job):
    cell = kernel.run(f"job = ml.jobs.get({finished_job.id!r})\njob")
    assert not errors(cell), cell.outputs
    [out] = widget_outputs(cell)
    assert out["output_type"] == "execute_result"
    state = kernel.widget_state(out)
    assert state["job_id"] == finished_job.id
    assert state["_model_module"] == "jupyter_mlservice" and state["_model_name"] == "JobWidgetModel"
    assert state["summary"]["status"] == "Completed" and state["summary"]["display_name"] == "trained"
    # Renderers without widgets fall back to these.
    assert finished_job.id in out["data"]["text/plain"]
    assert "jp-mlservice-job-summary" in out["data"]["text/html"]


def test_job_show_displays_the_widget(kernel, finished_job):
    cell = kernel.run(f"w = ml.jobs.get({finished_job.id!r}).show()")
    [out] = widget_outputs(cell)
    assert out["output_type"] == "display_data"
    assert kernel.widget_state(out)["job_id"] == finished_job.id


def test_the_kernel_sends_no_updates_the_browser_view_polls(kernel, shared_server):
    # A running job's widget: the model carries the id and a summary; nothing else is synced
    # from kernel threads (the view fetches status, metrics and logs itself).
    cell = kernel.run("job = ml.jobs.submit(source='import time; time.sleep(60)')\njob.show();")
    [out] = widget_outputs(cell)
    state = kernel.widget_state(out)
    try:
        own = {k for k in state if not k.startswith("_") and k not in ("layout", "tabbable", "tooltip")}
        assert own == {"job_id", "summary"}
        assert state["summary"]["status"] not in ("Completed", "Failed", "Canceled")
    finally:
        shared_server.client().jobs.get(state["job_id"]).cancel()


def test_outside_a_kernel_a_job_shows_a_static_summary(shared_server, finished_job):
    job = shared_server.client().jobs.get(finished_job.id)
    bundle = job._repr_mimebundle_()
    assert WIDGET_MIME not in bundle
    assert finished_job.id in bundle["text/html"] and "Completed" in bundle["text/html"]
    assert bundle["text/plain"] == repr(job)


def test_static_summary_has_status_params_last_metrics_and_log_tail(shared_server, finished_job):
    from jupyter_mlservice.widgets import JobWidget

    widget = JobWidget(shared_server.client().jobs.get(finished_job.id)).refresh()
    html = widget._repr_mimebundle_()["text/html"]
    for text in ("Completed", "trained", "alpha=0.5", "loss=0.3333", "training"):
        assert text in html, text
    widget.close()


def test_nbconvert_renders_the_static_summary(kernel, finished_job):
    from nbconvert import HTMLExporter

    cell = kernel.run(f"ml.jobs.get({finished_job.id!r})")
    nb = nbformat.v4.new_notebook(cells=[cell])  # saved without widget state, as JupyterLab does by default
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert "jp-mlservice-job-summary" in body and finished_job.id in body and "Completed" in body


def test_the_python_widget_names_the_view_the_frontend_registers():
    from jupyter_mlservice.widgets import MODULE_NAME, MODULE_VERSION, JobWidget

    version_ts = (REPO / "src" / "widget" / "version.ts").read_text()
    assert re.search(rf"MODULE_NAME = '{MODULE_NAME}'", version_ts)
    # Both sides ship in one wheel, so the kernel accepts whatever version the view registers.
    assert MODULE_VERSION == "*"
    widget_ts = (REPO / "src" / "widget" / "widget.tsx").read_text()
    traits = JobWidget.class_own_traits()
    for name in ("_model_name", "_view_name"):
        assert f"'{traits[name].default_value}'" in widget_ts
    assert "job_id: ''" in widget_ts and "summary: {}" in widget_ts
    plugin_ts = (REPO / "src" / "widget" / "plugin.ts").read_text()
    assert "registerWidget" in plugin_ts and "JobWidgetView" in plugin_ts
    assert "widgetPlugin" in (REPO / "src" / "index.ts").read_text()
