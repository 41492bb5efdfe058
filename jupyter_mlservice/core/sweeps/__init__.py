"""Sweeps: hyperparameter search whose trials are child jobs on any target (Optuna underneath)."""

from ..jobs.children import register_parent_kind
from .controller import SweepController
from .service import KIND, SweepService

__all__ = ["SweepController", "SweepService", "attach"]

register_parent_kind(KIND)


def attach(workspace) -> SweepService:
    """Add `ws.sweeps` (the service) and its controller (a service in `ws.services`)."""
    controller_ref: list[SweepController] = []
    service = SweepService(
        workspace.store, workspace.jobs, workspace.targets, workspace.root_dir,
        max_snapshot_bytes=workspace.config.max_snapshot_mb * 2**20, wake=lambda: controller_ref[0].wake(),
    )
    controller = SweepController(
        service, workspace.workspace_dir, workspace.config.database_url, interval=max(0.2, workspace.config.poll_interval * 2),
        events=workspace.events,
    )
    controller_ref.append(controller)
    workspace.sweeps = service
    workspace.sweep_controller = controller
    workspace.services.append(controller)
    workspace.add_job_listener(controller.job_changed)
    return service
