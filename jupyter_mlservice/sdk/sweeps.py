"""`ml.sweeps`: hyperparameter sweeps whose trials are jobs, and the `Sweep` handle."""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidRequest
from .http import Collection, Handle
from .jobs import Job, ParentRun, _server_path


class Trial(Handle):
    """One trial: ``t.number``, ``t.params``, ``t.value`` (the objective), ``t.state``
    (completed, pruned...), ``t.reason`` (why it was pruned or failed), ``t.metrics``, ``t.job_id``."""

    _SHOWN = ("number", "state", "value", "params")

    @property
    def job(self) -> Job:
        """The trial's job (logs, metrics, artifacts). ``s.best_trial.job.logs()``"""
        return Job(self._http, self._http.get(f"/jobs/{self.job_id}"))

    def register_model(self, name: str, path: str = "model", **kwargs: Any):
        """Register the model this trial logged. ``s.best_trial.register_model("iris")``"""
        from .models import Models

        return Models(self._http).register(name, job=self.job_id, path=path, **kwargs)


class Sweep(ParentRun):
    """A submitted sweep. ``s.status``, ``s.best_trial``, ``s.trials()``, ``s.wait()`` (a failed sweep
    does not raise unless ``raise_on_failure=True``: its completed trials stand)."""

    _PATH = "/sweeps/{id}"
    _NOUN = "sweep"

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._data["counts"])

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self._data["spec"])

    def __repr__(self) -> str:
        return f"Sweep(id={self.id!r}, status={self.status!r}, counts={self.counts!r})"

    @property
    def best_trial(self) -> Trial | None:
        """The completed trial with the best objective (fetched now). ``s.best_trial.params``"""
        self.refresh()
        best = self._data.get("best_trial")
        return Trial(self._http, best) if best else None

    def trials(self) -> list[Trial]:
        """Every trial by number. ``sorted(s.trials(), key=lambda t: t.metrics.get("val_f1", 0))``"""
        return [Trial(self._http, t) for t in self._http.get(f"/sweeps/{self.id}/trials")["items"]]


class Sweeps(Collection):
    def submit(
        self,
        trial: dict[str, Any],
        search_space: dict[str, Any],
        objective: dict[str, str],
        *,
        sampling: str = "random",
        early_termination: dict[str, Any] | None = None,
        limits: dict[str, Any] | None = None,
        target: str = "local",
        experiment: str = "Default",
        display_name: str = "",
        tags: dict[str, str] | None = None,
        seed: int | None = None,
    ) -> Sweep:
        """Run one trial job per sampled point; the objective is a metric the trials log.

        ``ml.sweeps.submit(trial={"command": "python train.py --alpha ${{search_space.alpha}}", "code": "src/"},
        search_space={"alpha": loguniform(1e-4, 1)}, objective={"metric": "val_f1", "goal": "maximize"},
        early_termination={"policy": "median"}, limits={"max_trials": 20, "max_concurrent_trials": 4})``
        """
        from ..sweep import to_json

        body = {
            "trial": _trial_spec(trial),
            "search_space": to_json(search_space),
            "objective": objective,
            "sampling": sampling,
            "early_termination": early_termination,
            "limits": limits or {},
            "target": target,
            "experiment": experiment,
            "display_name": display_name,
            "tags": tags or {},
            "seed": seed,
        }
        return Sweep(self._http, self._http.post("/sweeps", body))

    def get(self, sweep_id: str) -> Sweep:
        """``ml.sweeps.get("job-0123abcd4567").best_trial``"""
        return Sweep(self._http, self._http.get(f"/sweeps/{sweep_id}"))

    def list(self, limit: int | None = 50) -> list[Sweep]:
        """Newest first. ``[s.id for s in ml.sweeps.list()]``"""
        return [Sweep(self._http, d) for d in self._http.paginate("/sweeps", {}, limit)]


def _trial_spec(trial: dict[str, Any]) -> dict[str, Any]:
    """``{"command": ...}``, ``{"notebook": ...}`` or ``{"source": ...}`` (kind inferred), paths
    that exist here sent absolute."""
    if not isinstance(trial, dict):
        raise InvalidRequest("trial must be a dict such as {'command': 'python train.py --alpha ${{search_space.alpha}}', 'code': 'src/'}")
    spec = dict(trial)
    if "kind" not in spec:
        kinds = [k for k, kind in (("command", "command"), ("notebook", "notebook"), ("source", "code")) if k in spec]
        if len(kinds) != 1:
            raise InvalidRequest("trial needs exactly one of command=, notebook= or source=")
        spec["kind"] = {"command": "command", "notebook": "notebook", "source": "code"}[kinds[0]]
    for key in ("code", "notebook"):
        if spec.get(key) is not None and isinstance(spec[key], (str, os.PathLike)):
            spec[key] = _server_path(spec[key])
    return spec
