"""Notebook jobs on pre-started kernels: papermill parameters, per-cell progress, failures, HTML."""

from __future__ import annotations

import json

import nbformat
import psutil

from jupyter_mlservice.core.jobs.schemas import NotebookJobSpec

from .conftest import wait_for, wait_job


def write_notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def ready_kernels(ws):
    return list((ws.workspace_dir / "kernels" / "python3" / "ready").glob("*.json"))


def test_pooled_kernels_run_each_job_once_with_its_parameters_and_no_leaks(workspace):
    root = workspace.root_dir
    write_notebook(root / "report.ipynb", [
        ("day = 'x'\nn = 1", ["parameters"]),
        ("import os\nseen = globals().get('seen', 0) + 1\nprint(day, n * 2, seen, os.environ['MLSERVICE_JOB_ID'], os.getcwd())", None),
    ])
    workspace.kernel_pool.demand()
    wait_for(lambda: ready_kernels(workspace), 120, what="a pre-started kernel")
    outputs, ids = [], []
    for i in range(2):
        job = workspace.jobs.submit(NotebookJobSpec(notebook="report.ipynb", parameters={"day": f"d{i}", "n": 21}))
        done = wait_job(workspace, job.id, 120)
        assert done.status == "Completed", workspace.jobs.logs(job.id).text
        out_dir = workspace.jobs.job_dir(job.id) / "outputs"
        nb = nbformat.read(out_dir / "report.ipynb", as_version=4)
        # papermill's semantics: an injected-parameters cell right after the parameters cell
        assert nb.cells[1].metadata.tags == ["injected-parameters"]
        assert "day = 'd" in nb.cells[1].source and nb.metadata.papermill.parameters["n"] == 21
        outputs.append(nb.cells[2].outputs[0]["text"])
        ids.append(job.id)
        assert (out_dir / "report.html").stat().st_size > 1000
        progress = json.loads((workspace.jobs.job_dir(job.id) / "progress.json").read_text())
        assert progress["status"] == "completed" and progress["cells_done"] == progress["cells_total"] == 3
        if i == 0:
            assert progress["kernel"] == "pooled"
            wait_for(lambda: ready_kernels(workspace), 120, what="the pool to refill")
    # each job sees its own parameters, id and working folder; `seen` is 1 again in the second
    # job: a fresh kernel, no state from the first
    assert outputs == [f"d0 42 1 {ids[0]} {root}\n", f"d1 42 1 {ids[1]} {root}\n"]


def test_progress_is_visible_while_running_and_a_failure_names_the_cell(workspace):
    root = workspace.root_dir
    write_notebook(root / "slow.ipynb", [
        ("import time", None),
        ("print('first'); time.sleep(1)", None),
        ("time.sleep(4)", None),
        ("1 / 0", None),
        ("print('never')", None),
    ])
    job = workspace.jobs.submit(NotebookJobSpec(notebook="slow.ipynb"))
    progress_path = workspace.jobs.job_dir(job.id) / "progress.json"
    out = workspace.jobs.job_dir(job.id) / "outputs" / "slow.ipynb"

    def mid_run():
        try:
            p = json.loads(progress_path.read_text())
        except (OSError, ValueError):
            return None
        return p if p.get("current_cell") == 2 else None

    p = wait_for(mid_run, 120, interval=0.1, what="cell 3 to be running")
    assert p["status"] == "running" and p["cells_done"] == 2 and p["cells_total"] == 5
    partial = nbformat.read(out, as_version=4)  # the executed notebook so far, readable mid-run
    assert partial.cells[1].outputs[0]["text"] == "first\n"
    done = wait_job(workspace, job.id, 120)
    assert done.status == "Failed"
    log = workspace.jobs.logs(job.id).text
    assert "notebook failed in cell 4 (In [4]): ZeroDivisionError: division by zero" in log
    p = json.loads(progress_path.read_text())
    assert p["failed_cell"] == {"index": 3, "execution_count": 4, "ename": "ZeroDivisionError", "evalue": "division by zero"}
    nb = nbformat.read(out, as_version=4)
    assert "An Exception was encountered at" in nb.cells[0].source and "In [4]" in nb.cells[0].source
    assert "papermill-error-cell-tag" in nb.cells[5].metadata.tags  # the failing cell (after the two markers)
    assert nb.cells[6].outputs == [] and nb.metadata.papermill.status == "failed"
    assert (out.with_suffix(".html")).exists()


def test_canceling_a_notebook_job_stops_its_pooled_kernel(workspace):
    root = workspace.root_dir
    write_notebook(root / "long.ipynb", [("import os, time\nprint(os.getpid(), flush=True)\ntime.sleep(300)", None)])
    workspace.kernel_pool.demand()
    wait_for(lambda: ready_kernels(workspace), 120, what="a pre-started kernel")
    job = workspace.jobs.submit(NotebookJobSpec(notebook="long.ipynb"))
    claimed = workspace.workspace_dir / "kernels" / "python3" / "claimed"
    info = wait_for(lambda: [json.loads(p.read_text()) for p in claimed.glob("*.json")], 120, what="a claimed kernel")[0]
    pid = info["mlservice_pid"]
    assert psutil.pid_exists(pid)
    wait_for(lambda: (workspace.jobs.progress(job.id).model_extra or {}).get("current_cell") is not None, 60, what="the cell running")
    workspace.jobs.cancel(job.id)
    assert wait_job(workspace, job.id, 60).status == "Canceled"
    wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, 30, what="the kernel to stop")
