"""Pipelines: DAGs of steps whose steps are child jobs of a pipeline run (a parent job)."""

from ..jobs.children import register_parent_kind
from .controller import PipelineController
from .service import KIND, ComponentService, PipelineService

__all__ = ["PipelineController", "PipelineService", "ComponentService", "attach"]

register_parent_kind(KIND)


def attach(workspace) -> PipelineService:
    """Add `ws.pipelines`, `ws.components` and the pipeline controller (a service in `ws.services`)."""
    controller_ref: list[PipelineController] = []
    service = PipelineService(
        workspace.store, workspace.jobs, workspace.targets, workspace.root_dir,
        max_snapshot_bytes=workspace.config.max_snapshot_mb * 2**20, events=workspace.events, wake=lambda: controller_ref[0].wake(),
    )
    service.components = ComponentService(workspace.store)
    controller = PipelineController(
        service, data=getattr(workspace, "data", None), models=getattr(workspace, "models", None),
        interval=max(0.2, workspace.config.poll_interval * 2), events=workspace.events,
    )
    controller_ref.append(controller)
    workspace.pipelines = service
    workspace.components = service.components
    workspace.pipeline_controller = controller
    workspace.services.append(controller)
    workspace.add_job_listener(controller.job_changed)
    scheduler = getattr(workspace, "schedules", None)
    if scheduler is not None:  # schedules run pipelines: job={"pipeline": ...}
        scheduler.firing.pipelines = service
    triggers = getattr(workspace, "triggers", None)
    if triggers is not None:  # and so do triggers: run={"pipeline": ...}
        triggers.firing.pipelines = service
    return service
