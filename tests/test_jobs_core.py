"""The job lifecycle, tested on the core services without a Jupyter server."""

from __future__ import annotations

import os
import subprocess

import nbformat
import psutil
import pytest

from jupyter_mlservice.core.errors import Conflict, InvalidRequest, NotFound
from jupyter_mlservice.core.jobs.schemas import CodeJobSpec, CommandJobSpec, NotebookJobSpec
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import wait_for, wait_job


def test_command_job_runs_as_an_mlflow_run_with_its_env(workspace):
    job = workspace.jobs.submit(
        CommandJobSpec(
            command='echo "run=$MLFLOW_RUN_ID exp=$MLFLOW_EXPERIMENT_ID job=$MLSERVICE_JOB_ID extra=$EXTRA"',
            experiment="exp-a",
            environment_variables={"EXTRA": "yes"},
            tags={"team": "ml"},
        )
    )
    assert job.status == "Queued" and job.run_id
    done = wait_job(workspace, job.id)
    assert done.status == "Completed", done.error
    assert done.exit_code == 0 and done.started_at and done.ended_at and done.duration_s >= 0
    text = workspace.jobs.logs(job.id).text
    assert f"run={job.run_id}" in text and f"job={job.id}" in text and "extra=yes" in text
    assert f"exp={done.experiment_id}" in text
    run = workspace.experiments.client.get_run(job.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlservice.job_id"] == job.id
    assert run.data.tags["mlservice.target"] == "local"
    assert run.data.tags["team"] == "ml"
    assert workspace.experiments.client.get_experiment(run.info.experiment_id).name == "exp-a"


def test_failed_command_records_exit_code_and_reason(workspace):
    job = workspace.jobs.submit(CommandJobSpec(command="echo boom >&2; exit 3"))
    done = wait_job(workspace, job.id)
    assert done.status == "Failed" and done.exit_code == 3
    assert "exited with code 3" in done.error
    assert "boom" in workspace.jobs.logs(job.id).text
    assert workspace.experiments.client.get_run(job.run_id).info.status == "FAILED"


def test_code_job_gets_parameters_as_globals_and_logs_metrics(workspace):
    source = "import mlflow\nmlflow.log_metric('double', alpha * 2)\nprint('alpha is', alpha)\n"
    job = workspace.jobs.submit(CodeJobSpec(source=source, parameters={"alpha": 21}))
    done = wait_job(workspace, job.id)
    assert done.status == "Completed", workspace.jobs.logs(job.id).text
    assert "alpha is 21" in workspace.jobs.logs(job.id).text
    assert workspace.jobs.metrics(job.id).metrics["double"][0].value == 42


def test_code_job_traceback_points_at_the_users_line(workspace):
    job = workspace.jobs.submit(CodeJobSpec(source="x = 1\nraise ValueError('bad input')\n"))
    done = wait_job(workspace, job.id)
    assert done.status == "Failed"
    log = workspace.jobs.logs(job.id).text
    assert 'File "__mlrun__.py", line 2' in log and "ValueError: bad input" in log


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_notebook_job_injects_parameters_and_keeps_the_executed_notebook(workspace):
    root = workspace.root_dir
    _notebook(
        root / "train.ipynb",
        [
            ("alpha = 0.1\nsteps = 2", ["parameters"]),
            ("import mlflow\nfor i in range(steps):\n    mlflow.log_metric('loss', alpha / (i + 1), step=i)\nprint('alpha', alpha)", None),
        ],
    )
    job = workspace.jobs.submit(NotebookJobSpec(notebook="train.ipynb", parameters={"alpha": 0.5, "steps": 3}))
    done = wait_job(workspace, job.id, timeout=120)
    assert done.status == "Completed", workspace.jobs.logs(job.id).text
    executed = nbformat.read(workspace.jobs_dir / job.id / "outputs" / "train.ipynb", as_version=4)
    # papermill semantics: an injected-parameters cell right after the tagged one
    assert "injected-parameters" in executed.cells[1].metadata.get("tags", [])
    assert "alpha = 0.5" in executed.cells[1].source
    assert [p.value for p in workspace.jobs.metrics(job.id).metrics["loss"]] == [0.5, 0.25, 0.5 / 3]
    paths = [a.path for a in workspace.jobs.artifacts(job.id)]
    assert "train.ipynb" in paths and "logs/output.log" in paths


def test_failing_notebook_names_the_cell(workspace):
    _notebook(workspace.root_dir / "bad.ipynb", [("x = 1", None), ("raise RuntimeError('nope')", None)])
    job = workspace.jobs.submit(NotebookJobSpec(notebook="bad.ipynb"))
    done = wait_job(workspace, job.id, timeout=120)
    assert done.status == "Failed"
    assert "failed in cell" in workspace.jobs.logs(job.id).text


def test_code_snapshot_is_taken_at_submit(workspace):
    code = workspace.root_dir / "src"
    code.mkdir()
    (code / "train.py").write_text("import time; time.sleep(0.5); print(open('data.txt').read())")
    (code / "data.txt").write_text("version-1")
    job = workspace.jobs.submit(CommandJobSpec(command="python train.py", code="src"))
    (code / "data.txt").write_text("version-2")  # edited after submit
    done = wait_job(workspace, job.id)
    assert done.status == "Completed"
    assert "version-1" in workspace.jobs.logs(job.id).text


def test_code_folder_over_the_size_limit_is_a_clear_error(workspace):
    code = workspace.root_dir / "big"
    code.mkdir()
    workspace.jobs.max_snapshot_bytes = 1000
    (code / "data.bin").write_bytes(b"0" * 5000)
    with pytest.raises(InvalidRequest, match="snapshot limit"):
        workspace.jobs.submit(CommandJobSpec(command="true", code="big"))
    with pytest.raises(InvalidRequest, match="does not exist"):
        workspace.jobs.submit(CommandJobSpec(command="true", code="missing"))


def test_git_commit_is_recorded(workspace):
    code = workspace.root_dir / "repo"
    code.mkdir()
    (code / "a.py").write_text("print(1)")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "x"]):
        subprocess.run(cmd, cwd=code, check=True, env=env)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=code, capture_output=True, text=True).stdout.strip()
    job = workspace.jobs.submit(CommandJobSpec(command="python a.py", code="repo"))
    assert job.git_commit == sha
    assert workspace.experiments.client.get_run(job.run_id).data.tags["mlflow.source.git.commit"] == sha


def test_max_concurrency_queues_fifo(workspace):
    workspace.targets.create(TargetCreate(name="one", type="local", settings={"max_concurrency": 1}))
    jobs = [
        workspace.jobs.submit(CommandJobSpec(command=f"sleep 0.3; echo {i}", target="one", display_name=f"j{i}"))
        for i in range(3)
    ]
    seen_running = set()

    def all_done():
        states = [workspace.jobs.get(j.id) for j in jobs]
        running = [s for s in states if s.status in ("Preparing", "Running", "Finalizing")]
        assert len(running) <= 1, [s.status for s in states]
        seen_running.update(s.id for s in running)
        return all(s.status.is_terminal for s in states)

    wait_for(all_done, 60, interval=0.02, what="three jobs")
    done = [workspace.jobs.get(j.id) for j in jobs]
    assert all(d.status == "Completed" for d in done)
    starts = [d.started_at for d in done]
    assert starts == sorted(starts)  # FIFO
    assert done[0].ended_at <= done[1].started_at and done[1].ended_at <= done[2].started_at


def test_cancel_kills_the_whole_process_group(workspace, tmp_path):
    pidfile = tmp_path / "child.pid"
    job = workspace.jobs.submit(CommandJobSpec(command=f"sleep 300 & echo $! > {pidfile}; wait"))
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="child pid")
    child = int(pidfile.read_text())
    assert psutil.pid_exists(child)
    workspace.jobs.cancel(job.id)
    done = wait_job(workspace, job.id, timeout=30)
    assert done.status == "Canceled"
    wait_for(lambda: not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE, 15, what="grandchild to die")
    assert workspace.experiments.client.get_run(job.run_id).info.status == "KILLED"


def test_cancel_of_a_queued_job_is_immediate_and_of_an_ended_one_a_conflict(workspace):
    workspace.targets.create(TargetCreate(name="one", type="local", settings={"max_concurrency": 1}))
    first = workspace.jobs.submit(CommandJobSpec(command="sleep 5", target="one"))
    second = workspace.jobs.submit(CommandJobSpec(command="echo never", target="one"))
    assert workspace.jobs.cancel(second.id).status == "Canceled"
    workspace.jobs.cancel(first.id)
    assert wait_job(workspace, first.id).status == "Canceled"
    with pytest.raises(Conflict):
        workspace.jobs.cancel(first.id)
    assert "never" not in workspace.jobs.logs(second.id).text


def test_timeout_fails_the_job_with_a_reason(workspace):
    job = workspace.jobs.submit(CommandJobSpec(command="sleep 60", timeout_s=0.5))
    done = wait_job(workspace, job.id, timeout=30)
    assert done.status == "Failed"
    assert "timed out after 0.5 s" in done.error


def test_max_retries_reruns_a_failed_job(workspace, tmp_path):
    marker = tmp_path / "count"
    # fails on the first two attempts, succeeds on the third
    cmd = f'n=$(cat {marker} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {marker}; echo "attempt $MLSERVICE_ATTEMPT"; [ $n -ge 3 ]'
    job = workspace.jobs.submit(CommandJobSpec(command=cmd, max_retries=2))
    done = wait_job(workspace, job.id)
    assert done.status == "Completed"
    assert done.attempt == 3
    assert [a.exit_code for a in done.attempts] == [1, 1, 0]
    assert "attempt 3" in workspace.jobs.logs(job.id).text


def test_retries_run_out(workspace):
    job = workspace.jobs.submit(CommandJobSpec(command="exit 1", max_retries=1))
    done = wait_job(workspace, job.id)
    assert done.status == "Failed" and done.attempt == 2 and len(done.attempts) == 2


def test_logs_are_readable_incrementally_while_running(workspace):
    job = workspace.jobs.submit(CommandJobSpec(command="echo first; sleep 1.5; echo second"))
    chunk = wait_for(lambda: (c := workspace.jobs.logs(job.id)).text and c, what="first line")
    assert "first" in chunk.text and "second" not in chunk.text and not chunk.complete
    wait_job(workspace, job.id)
    rest = workspace.jobs.logs(job.id, chunk.offset)
    assert "second" in rest.text and "first" not in rest.text
    final = workspace.jobs.logs(job.id, rest.offset)
    assert final.text == "" and final.complete


def test_log_chunks_never_split_a_character(workspace):
    job = workspace.jobs.submit(CodeJobSpec(source="print('é' * 10)"))
    wait_job(workspace, job.id)
    log = workspace.jobs.logs(job.id).text
    assert "é" * 10 in log


def test_targets_crud_and_validation(workspace):
    names = [t.name for t in workspace.targets.list().items]
    assert "local" in names
    local = workspace.targets.get("local")
    assert local.capacity == os.cpu_count()
    with pytest.raises(InvalidRequest, match="max_concurrency"):
        workspace.targets.create(TargetCreate(name="bad", type="local", settings={"max_concurrency": 0}))
    with pytest.raises(InvalidRequest, match="unknown target type"):
        workspace.targets.create(TargetCreate(name="bad", type="nope"))
    workspace.targets.create(TargetCreate(name="small", type="local", settings={"max_concurrency": 1}))
    with pytest.raises(Conflict):
        workspace.targets.create(TargetCreate(name="small", type="local"))
    job = workspace.jobs.submit(CommandJobSpec(command="sleep 3", target="small"))
    with pytest.raises(Conflict, match="queued or running"):
        workspace.targets.delete("small")
    workspace.jobs.cancel(job.id)
    wait_job(workspace, job.id)
    workspace.targets.delete("small")
    with pytest.raises(NotFound):
        workspace.targets.get("small")
    with pytest.raises(NotFound):
        workspace.jobs.submit(CommandJobSpec(command="true", target="small"))


def test_local_target_refuses_gpus(workspace):
    spec = CommandJobSpec(command="true")
    data = spec.model_dump()
    with pytest.raises(InvalidRequest, match="no GPUs"):
        workspace.backends["local"].check_job({}, {**data, "resources": {"gpu": 1}})


def test_list_filters_and_paginates(workspace):
    for i in range(5):
        workspace.jobs.submit(CommandJobSpec(command="true", experiment="even" if i % 2 == 0 else "odd"))
    page = workspace.jobs.list(limit=2)
    assert len(page.items) == 2 and page.next_cursor
    seen = [j.id for j in page.items]
    while page.next_cursor:
        page = workspace.jobs.list(limit=2, cursor=page.next_cursor)
        seen += [j.id for j in page.items]
    assert len(seen) == len(set(seen)) == 5
    assert len(workspace.jobs.list(experiment="even").items) == 3
    # kind: one, or several comma-separated (the Sweeps area lists sweep,automl)
    assert len(workspace.jobs.list(kind="notebook").items) == 0
    assert len(workspace.jobs.list(kind="sweep, command").items) == 5
    with pytest.raises(InvalidRequest, match="unknown status"):
        workspace.jobs.list(status="Nope")
    with pytest.raises(InvalidRequest, match="cursor"):
        workspace.jobs.list(cursor="garbage!")


def test_outputs_folder_becomes_artifacts(workspace):
    job = workspace.jobs.submit(CommandJobSpec(command='echo 42 > "$MLSERVICE_OUTPUT_DIR/answer.txt"'))
    assert wait_job(workspace, job.id).status == "Completed"
    assert "answer.txt" in [a.path for a in workspace.jobs.artifacts(job.id)]


def test_rerun_uses_the_original_snapshot(workspace):
    code = workspace.root_dir / "src"
    code.mkdir()
    (code / "v.txt").write_text("one")
    job = workspace.jobs.submit(CommandJobSpec(command="cat v.txt", code="src"))
    wait_job(workspace, job.id)
    (code / "v.txt").write_text("two")
    again = workspace.jobs.rerun(job.id)
    assert wait_job(workspace, again.id).status == "Completed"
    assert "one" in workspace.jobs.logs(again.id).text
    assert again.tags["mlservice.rerun_of"] == job.id


def test_list_filters_by_tag_in_the_database(workspace):
    tagged = [workspace.jobs.submit(CommandJobSpec(command="true", tags={"team": "a" if i < 3 else "b"})) for i in range(5)]
    page = workspace.jobs.list(tag={"team": "a"}, limit=2)
    ids = [j.id for j in page.items]
    page = workspace.jobs.list(tag={"team": "a"}, limit=2, cursor=page.next_cursor)
    ids += [j.id for j in page.items]
    assert sorted(ids) == sorted(j.id for j in tagged[:3]) and page.next_cursor is None
