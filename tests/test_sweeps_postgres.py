"""Sweeps on a workspace whose store is PostgreSQL: Optuna's RDB storage in its own schema."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from jupyter_mlservice.core.sweeps.engine import SweepEngine, open_storage
from jupyter_mlservice.core.sweeps.schemas import SweepCreate

from .conftest import seed_workspace, wait_for
from .test_batch_postgres import postgres  # noqa: F401 - the session's PostgreSQL server

pytestmark = pytest.mark.timeout(600)


def test_the_study_lives_in_the_optuna_schema_and_survives_a_new_engine(postgres):  # noqa: F811
    url = postgres.create_database("sweeps_engine")
    spec = SweepCreate(trial={"kind": "code", "source": "pass"}, search_space={"x": {"type": "uniform", "low": 0, "high": 1}}, objective={"metric": "m"}, seed=1)
    e = SweepEngine(spec, open_storage("/nonexistent", url, "s1"), "sweep-s1")
    _, tid, _ = e.ask()
    e.tell(tid, "complete", 0.25)
    again = SweepEngine(spec, open_storage("/nonexistent", url, "s1"), "sweep-s1")
    assert again.study.best_value == 0.25
    tables = inspect(create_engine(url)).get_table_names(schema="optuna")
    assert "trials" in tables and "studies" in tables
    assert "trials" not in inspect(create_engine(url)).get_table_names()  # nothing in the workspace's schema


def test_a_sweep_runs_on_a_postgresql_workspace(postgres, tmp_path, mlflow_template):  # noqa: F811
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, database_url=postgres.create_database("sweeps_ws"), poll_interval=0.1))
    ws.start()
    try:
        source = "import mlflow\nmlflow.log_metric('score', x, step=0)\n"
        s = ws.sweeps.submit(SweepCreate(
            trial={"kind": "code", "source": source}, search_space={"x": {"type": "choice", "values": [1, 3]}}, sampling="grid",
            objective={"metric": "score"},
        ))
        wait_for(lambda: ws.jobs.get(s.id).status.is_terminal, 300, interval=0.2, what="the sweep")
        done = ws.sweeps.get(s.id)
        assert done.job.status == "Completed", done.job.error
        assert done.best_trial.params == {"x": 3}
        assert not (ws.workspace_dir / "sweeps").exists()  # no journal file: the study is in PostgreSQL
    finally:
        ws.stop()
