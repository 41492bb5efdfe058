"""Progressive rollouts: a candidate deployment takes traffic step by step, judged against the
deployment serving before it, promoted (champion alias) or rolled back by itself."""

from .controller import RolloutController
from .service import RolloutService

__all__ = ["RolloutController", "RolloutService", "attach"]


def attach(workspace) -> RolloutService:
    """Add ``ws.rollouts`` and its loop (``ws.rollout_controller``, in ``ws.services``)."""
    service = RolloutService(workspace.store, workspace.endpoints, workspace.models, events=workspace.events, lineage=workspace.lineage)
    controller = RolloutController(service)
    service.on_change = controller.wake
    workspace.rollouts, workspace.rollout_controller = service, controller
    workspace.services.append(controller)
    workspace.lineage.add_describer("rollout", service.describe)
    triggers = getattr(workspace, "triggers", None)
    if triggers is not None:  # triggers start rollouts: run={"rollout": ...}
        triggers.firing.rollouts = service
    return service
