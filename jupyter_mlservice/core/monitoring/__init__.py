"""Model monitoring: collection, drift and data-quality signals, monitors, alerts, time series."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .service import MonitorService

__all__ = ["attach"]


def attach(workspace) -> "MonitorService":
    """Add the monitors service (``ws.monitors``) to a workspace, with its controllers."""
    from .service import MonitorService

    cfg = workspace.config
    service = MonitorService(
        workspace.store, workspace.jobs, workspace.schedules, workspace.endpoints, workspace.workspace_dir, workspace.root_dir,
        series_interval_s=cfg.series_interval_s, series_retention_hours=cfg.series_retention_hours,
        poll_interval=max(0.2, cfg.poll_interval * 4), events=workspace.events,
    )
    workspace.monitors = service
    workspace.services.append(service)
    workspace.add_job_listener(service.job_changed)
    return service
