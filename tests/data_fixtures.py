"""A started workspace for the data asset tests (module-scoped fixtures share one)."""

from __future__ import annotations

from pathlib import Path

from .conftest import seed_workspace


def start_workspace(folder: Path, mlflow_template: Path, **config):
    """A workspace rooted at ``folder/root``, its MLflow seeded from the template, started."""
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = folder / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, **config))
    ws.start()
    return ws
