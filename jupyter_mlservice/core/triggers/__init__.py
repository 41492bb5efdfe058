"""Triggers: run a job when a data asset gets a version, a model a version, alias or tag, a
monitor an alert, or a cron slot comes — each cause exactly once, recorded with its job."""

from .controller import TriggerController
from .firing import TAG_FIRING, TAG_TRIGGER
from .service import TriggerService

__all__ = ["TAG_FIRING", "TAG_TRIGGER", "TriggerController", "TriggerService", "attach"]


def attach(workspace) -> TriggerService:
    """Add ``ws.triggers`` and its loop (``ws.trigger_controller``, in ``ws.services``)."""
    service = TriggerService(workspace.store, workspace.jobs, workspace.models, events=workspace.events, lineage=workspace.lineage)
    controller = TriggerController(service)
    service.on_change = controller.wake
    workspace.events.subscribe(controller.event)
    workspace.triggers, workspace.trigger_controller = service, controller
    workspace.services.append(controller)
    workspace.lineage.add_describer("trigger", service.describe)
    return service
