"""`ml.models.evaluate(...)` / `ml.evaluations`: a candidate model version against a baseline on
the same rows, with a gate; the `Evaluation` handle."""

from __future__ import annotations

import time
from typing import Any

from ..errors import MLServiceError
from .http import Collection, Handle


class Evaluation(Handle):
    """An evaluation. ``e.passed``, ``e.comparisons`` (candidate, baseline, difference and its
    bootstrap interval per metric), ``e.data_version`` (the rows it read), ``e.job_id``."""

    _PATH = "/evaluations/{id}"
    _TIMES = ("created_at", "finished_at")

    def __repr__(self) -> str:
        return (f"Evaluation(id={self.id!r}, {self._data.get('candidate_version')} vs {self._data.get('baseline_version')}, "
                f"status={self.status!r}, passed={self._data.get('passed')})")

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> Evaluation:
        """Until its job ended and the result is stored. ``ml.models.evaluate(...).wait().passed``"""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.refresh().status == "Running":
            if deadline is not None and time.monotonic() > deadline:
                raise MLServiceError(f"evaluation {self.id} still running after {timeout} s")
            time.sleep(poll)
        return self

    def table(self) -> list[dict[str, Any]]:
        """One row per metric, for a quick look: ``pd.DataFrame(e.table())``"""
        return [{k: c[k] for k in ("metric", "candidate", "baseline", "difference", "interval", "margin", "passed")}
                for c in self._data.get("comparisons") or []]


class Evaluations(Collection):
    def create(self, candidate: str, baseline: str, data: str, target_column: str, metrics: list[str], *,
               gate: dict[str, float] | None = None, confidence: float = 0.95, bootstrap: int = 1000, target: str = "local",
               wait: bool = True, timeout: float | None = None) -> Evaluation:
        body = {"candidate": candidate, "baseline": baseline, "data": data, "target_column": target_column, "metrics": list(metrics),
                "gate": gate, "confidence": confidence, "bootstrap": bootstrap, "target": target}
        evaluation = Evaluation(self._http, self._http.post("/evaluations", {k: v for k, v in body.items() if v is not None}))
        return evaluation.wait(timeout) if wait else evaluation

    def get(self, evaluation_id: str) -> Evaluation:
        """``ml.evaluations.get("ev-...").comparisons``"""
        return Evaluation(self._http, self._http.get(f"/evaluations/{evaluation_id}"))

    def list(self, model: str | None = None, version: str | int | None = None, limit: int | None = 50) -> list[Evaluation]:
        """Newest first; ``model=`` (and ``version=``) the candidate's. ``ml.evaluations.list(model="iris")``"""
        query = {"model": model, "version": None if version is None else str(version)}
        return [Evaluation(self._http, d) for d in self._http.paginate("/evaluations", query, limit)]
