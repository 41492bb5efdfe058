"""Sweeps end to end on a core workspace: trials are child jobs, pruning cancels a trial with its
reason, a sweep that never sees its objective fails fast, a restart resumes without duplicates."""

from __future__ import annotations

import pytest

from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.targets.schemas import TargetCreate
from jupyter_mlservice.core.sweeps.engine import SweepEngine, open_storage
from jupyter_mlservice.core.sweeps.schemas import SweepCreate
from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

from .conftest import wait_for
from .event_schemas import fits

pytestmark = pytest.mark.timeout(900)

# A trial: logs `score` for `steps` steps, sleeping between them.
TRAIN = (
    "import time, mlflow\n"
    "levels = {'good': 0.9, 'bad': 0.2, 'ok': 0.6}\n"
    "for step in range(steps):\n"
    "    level = levels[quality] if quality in levels else float(quality)\n"
    "    mlflow.log_metric('score', level * (step + 1) / steps, step=step)\n"
    "    time.sleep(pause)\n"
)


def wait_sweep(ws, sweep_id, timeout=600):
    return wait_for(lambda: (j := ws.jobs.get(sweep_id)).status.is_terminal and ws.sweeps.get(sweep_id), timeout, interval=0.2, what=f"sweep {sweep_id}")


def test_trials_are_child_jobs_nested_in_the_sweeps_run_and_the_best_is_found(workspace):
    # one slot: a sweep that took a slot itself would never run a trial
    workspace.targets.create(TargetCreate(name="one", type="local", settings={"max_concurrency": 1}))
    events = []
    workspace.events.subscribe(lambda area, data: events.append(fits("sweep", data)) if area == "sweep" else None)
    command = "python -c \"import mlflow, sys; x = float(sys.argv[1]); mlflow.log_metric('score', -(x - 1) ** 2, step=0)\" ${{search_space.x}}"
    s = workspace.sweeps.submit(SweepCreate(
        trial={"kind": "command", "command": command}, search_space={"x": {"type": "choice", "values": [0, 1, 3]}},
        sampling="grid", objective={"metric": "score", "goal": "maximize"}, limits={"max_trials": 10, "max_concurrent_trials": 2},
        target="one", experiment="sweep-grid",
    ))
    assert s.spec.limits.max_trials == 3  # the grid's size
    done = wait_sweep(workspace, s.id)
    assert done.job.status == "Completed", done.job.error
    assert done.counts == {"completed": 3}
    assert done.best_trial.params == {"x": 1} and done.best_trial.value == 0
    children = workspace.jobs.list(parent=s.id).items
    assert len(children) == 3 and all(c.parent_id == s.id and c.status == "Completed" for c in children)
    client = workspace.experiments.client
    for trial in workspace.sweeps.trials(s.id).items:
        run = client.get_run(trial.run_id)
        assert run.data.tags["mlflow.parentRunId"] == done.job.run_id
        assert run.data.params["x"] == str(trial.params["x"])  # the sampled values, as params
        assert trial.metrics["score"] == trial.value
    assert client.get_run(done.job.run_id).data.metrics["best_score"] == 0
    assert workspace.jobs.list(kind="sweep").items[0].id == s.id
    log = workspace.jobs.logs(s.id).text
    assert "trial 0" in log and "sweep completed" in log
    # every trial's moves came as `sweep` events, in order: sampled, its job submitted, completed
    for trial in range(3):
        assert [e["state"] for e in events if e["trial"] == trial] == ["pending", "running", "completed"]
    assert {e["job_id"] for e in events if e["state"] == "running"} == {c.id for c in children}
    assert {e["sweep_id"] for e in events} == {s.id}


def _seed_sampling_first(space, first: str) -> int:
    """The seed whose grid order starts with `first` (the sampler's order is seeded)."""
    import tempfile

    for seed in range(100):
        with tempfile.TemporaryDirectory() as tmp:
            spec = SweepCreate(trial={"kind": "code", "source": "pass"}, search_space=space, sampling="grid", seed=seed, objective={"metric": "score"})
            e = SweepEngine(spec, open_storage(tmp, "sqlite://", "peek"), "peek")
            if e.ask()[2]["quality"] == first:
                return seed
    raise AssertionError("no seed samples it first")


def test_a_pruned_trial_ends_early_and_shows_why(workspace):
    space = {"quality": {"type": "choice", "values": ["good", "bad"]}}
    s = workspace.sweeps.submit(SweepCreate(
        trial={"kind": "code", "source": TRAIN, "parameters": {"steps": 30, "pause": 0.4}}, search_space=space, sampling="grid",
        seed=_seed_sampling_first(space, "good"), objective={"metric": "score", "goal": "maximize"},
        early_termination={"policy": "median", "min_completed_trials": 1}, limits={"max_trials": 2, "max_concurrent_trials": 1},
    ))
    done = wait_sweep(workspace, s.id)
    assert done.job.status == "Completed", done.job.error
    trials = {t.params["quality"]: t for t in workspace.sweeps.trials(s.id).items}
    good, bad = trials["good"], trials["bad"]
    assert good.state == "completed" and good.last_step == 29
    assert bad.state == "pruned" and bad.last_step < 29, bad
    assert bad.reason.startswith("median policy: the best score so far")
    job = workspace.jobs.get(bad.job_id)
    assert job.status == "Canceled" and job.error == f"pruned by the sweep: {bad.reason}"
    assert "stopped early by the sweep: median policy" in workspace.jobs.logs(bad.job_id).text
    assert workspace.experiments.client.get_run(bad.run_id).data.tags["mlservice.pruned"] == bad.reason


def test_a_sweep_whose_trials_never_log_the_objective_fails_after_the_first(workspace):
    source = "import mlflow\nmlflow.log_metric('acc', 0.5)\nmlflow.log_metric('loss', 1.0)\n"
    s = workspace.sweeps.submit(SweepCreate(
        trial={"kind": "code", "source": source}, search_space={"x": {"type": "uniform", "low": 0, "high": 1}},
        objective={"metric": "val_f1"}, limits={"max_trials": 10, "max_concurrent_trials": 1},
    ))
    done = wait_sweep(workspace, s.id)
    assert done.job.status == "Failed"
    assert "without logging the objective metric 'val_f1'" in done.job.error
    assert "'acc', 'loss'" in done.job.error
    assert len(workspace.jobs.list(parent=s.id).items) == 1


def test_canceling_a_sweep_cancels_its_running_trials(workspace):
    s = workspace.sweeps.submit(SweepCreate(
        trial={"kind": "command", "command": "sleep 300"}, search_space={"x": {"type": "uniform", "low": 0, "high": 1}},
        objective={"metric": "score"}, limits={"max_trials": 5, "max_concurrent_trials": 2},
    ))
    wait_for(lambda: len([j for j in workspace.jobs.list(parent=s.id).items if j.status == "Running"]) == 2, 120, what="two running trials")
    workspace.sweeps.cancel(s.id)
    done = wait_sweep(workspace, s.id, timeout=120)
    assert done.job.status == "Canceled"
    assert {j.status for j in workspace.jobs.list(parent=s.id).items} == {"Canceled"}
    assert done.counts == {"canceled": 2}


def test_bad_sweeps_say_what_to_change(workspace):
    def submit(**kw):
        base = dict(trial={"kind": "command", "command": "echo ${{search_space.x}}"}, search_space={"x": {"type": "uniform", "low": 0, "high": 1}}, objective={"metric": "m"})
        return workspace.sweeps.submit(SweepCreate(**{**base, **kw}))

    with pytest.raises(InvalidRequest, match=r"trial uses \$\{\{search_space.y\}\} but the search space has no parameter 'y'"):
        submit(trial={"kind": "command", "command": "echo ${{search_space.y}}"})
    with pytest.raises(InvalidRequest, match="no compute target named 'nowhere'"):
        submit(target="nowhere")
    with pytest.raises(InvalidRequest, match="trial.code folder 'missing/' does not exist"):
        submit(trial={"kind": "command", "command": "echo", "code": "missing/"})
    with pytest.raises(InvalidRequest, match="trial.timeout_s"):
        submit(trial={"kind": "command", "command": "echo", "timeout_s": -1})


def test_a_restart_mid_sweep_resumes_without_duplicate_trials(tmp_path, mlflow_template):
    from .conftest import seed_workspace

    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1))
    ws.start()
    s = ws.sweeps.submit(SweepCreate(
        trial={"kind": "code", "source": TRAIN, "parameters": {"steps": 4, "pause": 1.0, "quality": "ok"}},
        search_space={"x": {"type": "uniform", "low": 0, "high": 1}}, objective={"metric": "score"}, seed=1,
        limits={"max_trials": 4, "max_concurrent_trials": 2},
    ))
    wait_for(lambda: len(ws.jobs.list(parent=s.id).items) == 2, 120, what="two trials submitted")
    ws.stop()  # trials keep running; the next server re-attaches to them

    # a crash between sampling a point and writing its row: the point is in the study only
    spec = SweepCreate.model_validate(ws.jobs.row(s.id).spec)
    orphan = SweepEngine(spec, open_storage(ws.workspace_dir, ws.config.database_url, s.id), f"sweep-{s.id}").ask()[0]

    ws2 = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1))
    ws2.start()
    try:
        done = wait_sweep(ws2, s.id)
        assert done.job.status == "Completed", done.job.error
        trials = ws2.sweeps.trials(s.id).items
        assert [t.number for t in trials] == [0, 1, 2, 3] and orphan in (2,)
        assert all(t.state == "completed" for t in trials)
        jobs = ws2.jobs.list(parent=s.id).items
        assert len(jobs) == 4 and len({t.job_id for t in trials}) == 4
        assert sorted(j.tags["mlservice.sweep_trial"] for j in jobs) == ["0", "1", "2", "3"]
    finally:
        ws2.stop()


def test_the_sweeps_timeout_cancels_running_trials_and_ends_the_sweep(workspace):
    s = workspace.sweeps.submit(SweepCreate(
        trial={"kind": "command", "command": "sleep 300"}, search_space={"x": {"type": "uniform", "low": 0, "high": 1}},
        objective={"metric": "score"}, limits={"max_trials": 5, "max_concurrent_trials": 1, "timeout_s": 3},
    ))
    done = wait_sweep(workspace, s.id, timeout=180)
    assert done.job.status == "Failed"  # no trial completed in time
    assert "the sweep's timeout_s (3 s) ran out" in done.job.error
    trials = workspace.sweeps.trials(s.id).items
    assert len(trials) == 1 and trials[0].state == "canceled" and "timeout_s (3 s) ran out" in trials[0].reason
    wait_for(lambda: workspace.jobs.get(trials[0].job_id).status == "Canceled", 60, what="the trial's job to be canceled")
