"""Data assets: named, versioned, immutable data (a file, a folder, a table) that jobs take as
inputs and write as outputs, profiled by a job, with lineage to the jobs and models made from it.

Kept light: ``python -m jupyter_mlservice.core.data.profile`` runs in jobs and imports this.
"""


def attach(workspace):
    """Add ``ws.data`` (the DataService), hook job inputs/outputs into the jobs code, and run the
    collector that stores finished profiles (a service in ``ws.services``)."""
    from .collector import ProfileCollector
    from .inputs import JobIO
    from .service import DataService

    data = DataService(workspace.store, workspace.jobs, workspace.lineage, workspace.root_dir, workspace.data_dir, events=workspace.events)
    data.recover()  # before the job controller starts: it may register job outputs
    io = JobIO(data, workspace.lineage, workspace.experiments, workspace.models, workspace.jobs_dir, workspace.root_dir)
    workspace.controller.prepare_hooks.append(io.prepare)
    workspace.controller.finalize_hooks.append(io.finalize)
    workspace.jobs.submit_checks.append(io.check_refs)
    collector = ProfileCollector(data)
    workspace.services.append(collector)
    workspace.add_job_listener(collector.job_changed)
    workspace.data = data
    return data
