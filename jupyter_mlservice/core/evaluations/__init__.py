"""Model evaluations: a candidate against a baseline on the same rows, with a gate (MLOps)."""

from .service import TAG_EVALUATION, EvaluationService

__all__ = ["TAG_EVALUATION", "EvaluationService", "attach"]


def attach(workspace) -> EvaluationService:
    """Add ``ws.evaluations``; it reads each evaluation job's result when the job ends."""
    service = EvaluationService(workspace.store, workspace.jobs, workspace.models, workspace.data, workspace.lineage,
                                workspace.workspace_dir, events=workspace.events)
    workspace.evaluations = service
    workspace.services.append(service)
    workspace.add_job_listener(service.job_changed)
    workspace.lineage.add_describer("evaluation", service.describe)
    return service
