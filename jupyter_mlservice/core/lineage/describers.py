"""What lineage readers show of nodes owned by the core areas: jobs, model versions, deployments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..timeutil import as_utc
from .service import DEPLOYMENT, JOB, MODEL_VERSION


def attach(workspace) -> None:
    lineage = workspace.lineage
    store = workspace.store

    def jobs(ids: list[str]) -> dict[str, dict[str, Any]]:
        from ..jobs.tables import JobRow

        with store.session() as s:
            rows = list(s.scalars(select(JobRow).where(JobRow.id.in_(ids))))
        return {r.id: {"status": r.status, "display_name": r.display_name, "kind": r.kind, "experiment": r.experiment,
                       "run_id": r.run_id, "created_at": as_utc(r.created_at).isoformat()} for r in rows}

    def model_versions(ids: list[str]) -> dict[str, dict[str, Any]]:
        from mlflow.exceptions import MlflowException

        out = {}
        for i in ids:
            name, _, version = i.rpartition(":")
            try:
                mv = workspace.experiments.client.get_model_version(name, version)
            except MlflowException:
                continue
            out[i] = {"name": name, "version": version, "ref": f"model:{name}:{version}", "run_id": mv.run_id,
                      "status": mv.status, "aliases": list(mv.aliases or [])}
        return out

    def deployments(ids: list[str]) -> dict[str, dict[str, Any]]:
        from ..endpoints.tables import DeploymentRow

        out = {}
        with store.session() as s:
            for i in ids:
                endpoint, _, name = i.partition("/")
                row = s.get(DeploymentRow, (endpoint, name))
                if row is not None:
                    spec = row.spec or {}
                    out[i] = {"endpoint": endpoint, "deployment": name, "status": row.status,
                              "model": f"{spec.get('model_name')}:{spec.get('model_version')}"}
        return out

    lineage.add_describer(JOB, jobs)
    lineage.add_describer(MODEL_VERSION, model_versions)
    lineage.add_describer(DEPLOYMENT, deployments)
