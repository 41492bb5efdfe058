"""AutoML: featurisation, model search (FLAML) and an ensemble, run as a parent job whose
searches and final step are child jobs.

Kept light: child jobs import ``core.automl.worker`` without the service's modules."""


def attach(workspace):
    """Add `ws.automl` (the service) and its controller (a service in `ws.services`)."""
    from ..jobs.children import register_parent_kind
    from .controller import AutoMLController
    from .service import KIND, AutoMLService

    register_parent_kind(KIND)
    controller_ref: list = []
    service = AutoMLService(workspace.store, workspace.jobs, workspace.targets, workspace.root_dir, wake=lambda: controller_ref[0].wake())
    controller = AutoMLController(service, interval=max(0.2, workspace.config.poll_interval * 2))
    controller_ref.append(controller)
    workspace.automl = service
    workspace.automl_controller = controller
    workspace.services.append(controller)
    workspace.add_job_listener(controller.job_changed)
    return service
