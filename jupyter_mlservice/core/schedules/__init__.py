"""Schedules: jobs created from a stored spec on a cron or a recurrence, each slot exactly once."""

from .controller import ScheduleController
from .firing import TAG_SCHEDULE
from .service import ScheduleService

__all__ = ["ScheduleController", "ScheduleService", "TAG_SCHEDULE", "attach"]


def attach(workspace) -> ScheduleService:
    """Add to a workspace the pool of pre-started notebook kernels (`ws.kernel_pool`), the
    schedules (`ws.schedules`) and the scheduler (`ws.scheduler`); the loops go in `ws.services`."""
    from ..jobs.kernel_pool import KernelPool

    pool = KernelPool(workspace.workspace_dir / "kernels", size=workspace.config.kernel_pool_size, cwd=workspace.root_dir)
    workspace.kernel_pool = pool
    workspace.services.append(pool)
    workspace.add_job_listener(pool.job_changed)
    service = ScheduleService(workspace.store, workspace.jobs, workspace.root_dir, events=workspace.events, on_notebook_schedule=pool.demand)
    scheduler = ScheduleController(service)
    service.on_change = scheduler.wake
    workspace.schedules, workspace.scheduler = service, scheduler
    workspace.services.append(scheduler)
    workspace.add_job_listener(scheduler.job_changed)
    return service
