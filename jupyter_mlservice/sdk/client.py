"""`MLService`: the entry point of the SDK, and how it finds its server."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ServerNotFound
from .experiments import Experiments
from .http import HTTP
from .jobs import Jobs
from .endpoints import Deployments, Endpoints
from .models import Models
from .targets import Targets


class MLService:
    """A client of a jupyter-mlservice server.

    >>> ml = MLService()                      # inside JupyterLab, or with MLSERVICE_URL set
    >>> ml = MLService(url="http://127.0.0.1:8888/", token="...")
    """

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 60):
        url, token = discover(url, token)
        self._http = HTTP(url, token, timeout)
        self.url = url
        self.targets = Targets(self._http)
        self.jobs = Jobs(self._http)
        self.experiments = Experiments(self._http)
        from .batch import Batch
        from .schedules import Schedules

        self.schedules, self.batch = Schedules(self._http), Batch(self._http)
        self.models = Models(self._http)
        self.endpoints = Endpoints(self._http)
        self.deployments = Deployments(self._http)
        from .monitors import Monitors

        self.monitors = Monitors(self._http)
        from .environments import Environments

        self.environments = Environments(self._http)

        from .data import Data

        self.data = Data(self._http)
        from .automl import AutoML
        from .sweeps import Sweeps

        self.sweeps, self.automl = Sweeps(self._http), AutoML(self._http)
        from .triggers import Triggers

        self.triggers = Triggers(self._http)
        from .evaluations import Evaluations

        self.evaluations = Evaluations(self._http)
        from .rollouts import Rollouts

        self.rollouts = Rollouts(self._http)
        from .pipelines import Components, Pipelines

        self.pipelines, self.components = Pipelines(self._http), Components(self._http)

    def lineage(self, node_type: str, node_id: str, direction: str = "both", depth: int = 6) -> dict:
        """The lineage graph around any node, as JSON: ``{"root", "nodes", "edges"}``. Node types:
        data_version (``iris@2``), job, model_version (``iris:3``), deployment (``ep/blue``),
        evaluation, rollout, trigger. ``ml.lineage("model_version", "iris:3", "upstream")["nodes"]``"""
        return self._http.get("/lineage", params={"type": node_type, "id": node_id, "direction": direction, "depth": depth})

    def info(self) -> dict:
        """Where the workspace keeps its data. ``ml.info()["tracking_uri"]``"""
        return self._http.get("/info")

    def __repr__(self) -> str:
        return f"MLService(url={self.url!r})"


def discover(url: str | None, token: str | None) -> tuple[str, str | None]:
    """Explicit arguments, then MLSERVICE_URL/MLSERVICE_TOKEN, then running Jupyter servers."""
    if url:
        return url, token if token is not None else os.environ.get("MLSERVICE_TOKEN")
    env_url = os.environ.get("MLSERVICE_URL")
    if env_url:
        return env_url, token if token is not None else os.environ.get("MLSERVICE_TOKEN")
    found = _from_runtime_files()
    if found:
        return found[0], token if token is not None else found[1]
    raise ServerNotFound(
        "no jupyter-mlservice server found: start one with `mlservice serve --root DIR --port 8888` "
        "(or `make lab`), then set MLSERVICE_URL (and MLSERVICE_TOKEN) or pass MLService(url=..., token=...)"
    )


def _from_runtime_files() -> tuple[str, str] | None:
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:  # pragma: no cover
        return None
    cwd = Path.cwd().resolve()
    candidates = []
    for info in list_running_servers():
        root = Path(info.get("root_dir") or info.get("notebook_dir") or "/").resolve()
        if cwd == root or root in cwd.parents:
            candidates.append((len(root.parts), info))
    if not candidates:
        return None
    _, best = max(candidates, key=lambda c: c[0])
    return best["url"], best.get("token", "")
