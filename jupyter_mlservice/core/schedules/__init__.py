"""Schedules: jobs created from a stored spec on a cron or a recurrence, each slot exactly once."""

from .service import TAG_SCHEDULE, ScheduleService

__all__ = ["ScheduleService", "TAG_SCHEDULE", "attach"]


def attach(workspace) -> ScheduleService:
    """Add to a workspace the pool of pre-started notebook kernels (`ws.kernel_pool`) and the
    scheduler (`ws.schedules`), both services in `ws.services`."""
    import os

    from ..jobs.kernel_pool import KernelPool

    pool = KernelPool(workspace.workspace_dir / "kernels", size=int(os.environ.get("MLSERVICE_KERNEL_POOL_SIZE", "1")), cwd=workspace.root_dir)
    workspace.kernel_pool = pool
    workspace.services.append(pool)
    workspace.add_job_listener(pool.job_changed)
    service = ScheduleService(workspace.store, workspace.jobs, workspace.root_dir, on_notebook_schedule=pool.demand)
    workspace.schedules = service
    workspace.services.append(service)
    workspace.add_job_listener(service.job_changed)
    return service
