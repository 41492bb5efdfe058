"""`ml.experiments`: MLflow experiments and their runs."""

from __future__ import annotations

from typing import Any

from .http import Collection


class Experiments(Collection):
    def list(self, limit: int | None = None) -> list[dict[str, Any]]:
        """``[e["name"] for e in ml.experiments.list()]``"""
        return self._http.paginate("/experiments", {}, limit)

    def runs(self, experiment: str, order_by: str | None = None, filter: str = "", limit: int | None = 100) -> list[dict[str, Any]]:
        """Runs of an experiment (name or id). ``ml.experiments.runs("diabetes", order_by="metrics.rmse ASC")``"""
        exp_id = self._id(experiment)
        return self._http.paginate(f"/experiments/{exp_id}/runs", {"order_by": order_by, "filter": filter or None}, limit)

    def _id(self, experiment: str) -> str:
        for exp in self.list():
            if exp["name"] == experiment or exp["experiment_id"] == experiment:
                return exp["experiment_id"]
        from ..errors import NotFound

        raise NotFound(f"no experiment named {experiment!r}")
