"""A workspace: the store, MLflow, compute backends and the services built on them."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compute import BACKENDS, ComputeBackend
from .events import EventBus
from .experiments import ExperimentService
from .jobs import JobController, JobService
from .jobs.tables import JobRow
from .paths import PathPolicy
from .store import Store, sqlite_files
from .targets import TargetService

log = logging.getLogger("jupyter_mlservice")


@dataclass
class WorkspaceConfig:
    root_dir: Path
    workspace_dir: Path | None = None  # default <root>/.mlservice
    database_url: str | None = None  # default sqlite:///<workspace>/workspace.db
    tracking_uri: str | None = None  # default sqlite:///<workspace>/mlflow.db
    registry_uri: str | None = None  # default: the tracking URI
    artifact_root: str | None = None  # default <workspace>/artifacts
    data_dir: Path | None = None  # data store of data asset versions; default <workspace>/data
    max_snapshot_mb: int = 100
    max_copy_mb: int = 2048  # largest file/folder a model registration copies
    endpoint_max_request_mb: float = 16  # scoring requests above this get 413
    allowed_paths: list[Path] = field(default_factory=list)  # folders outside root_dir that paths may name
    endpoint_host: str = "127.0.0.1"  # where scoring endpoints listen
    poll_interval: float = 0.5
    wal_checkpoint_s: float = 60.0  # seconds between checkpoints of the SQLite write-ahead logs
    kernel_pool_size: int = 1  # pre-started kernels kept ready for notebook jobs (0: none)
    gpu_devices: list[str] | None = None  # GPUs deployments may get; None: ask nvidia-smi
    backend_classes: dict[str, type[ComputeBackend]] = field(default_factory=dict)
    # Extra environment for job processes (e.g. how to reach this server with the SDK).
    job_env: dict[str, str] = field(default_factory=dict)
    series_interval_s: float = 15.0  # endpoint time series: seconds between samples
    series_retention_hours: float = 168.0  # ... and how long they are kept
    environments_dir: Path | None = None  # built environments (default <workspace>/environments)

    def resolved(self) -> "WorkspaceConfig":
        root = Path(self.root_dir).resolve()
        ws = Path(self.workspace_dir).resolve() if self.workspace_dir else root / ".mlservice"
        tracking = self.tracking_uri or f"sqlite:///{ws / 'mlflow.db'}"
        return WorkspaceConfig(
            root_dir=root,
            workspace_dir=ws,
            database_url=self.database_url or f"sqlite:///{ws / 'workspace.db'}",
            tracking_uri=tracking,
            registry_uri=self.registry_uri or tracking,
            artifact_root=self.artifact_root or str(ws / "artifacts"),
            data_dir=Path(self.data_dir).resolve() if self.data_dir else ws / "data",
            max_snapshot_mb=self.max_snapshot_mb,
            max_copy_mb=self.max_copy_mb,
            endpoint_max_request_mb=self.endpoint_max_request_mb,
            allowed_paths=[Path(p).expanduser().resolve() for p in self.allowed_paths],
            endpoint_host=self.endpoint_host,
            poll_interval=self.poll_interval,
            wal_checkpoint_s=self.wal_checkpoint_s,
            kernel_pool_size=self.kernel_pool_size,
            gpu_devices=self.gpu_devices,
            backend_classes={**BACKENDS, **self.backend_classes},
            job_env=dict(self.job_env),
            series_interval_s=self.series_interval_s,
            series_retention_hours=self.series_retention_hours,
            environments_dir=Path(self.environments_dir).resolve() if self.environments_dir else ws / "environments",
        )


class Workspace:
    """Everything the server extension, tests and tools need, wired together."""

    def __init__(self, config: WorkspaceConfig):
        from .compute import local  # noqa: F401 - registers the built-in backend
        from .compute import ray_backend  # noqa: F401 - registers `ray` (imports ray only when used)

        self.config = cfg = config.resolved()
        self.root_dir: Path = cfg.root_dir
        self.workspace_dir: Path = cfg.workspace_dir
        self.jobs_dir = self.workspace_dir / "jobs"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        # the store, the endpoints' keys, every job's files: for the server user's eyes only
        os.chmod(self.workspace_dir, 0o700)
        # Set first thing in stop(): copies in progress give up instead of holding up the stop.
        self.stopping = threading.Event()
        self.paths = PathPolicy(self.root_dir, cfg.allowed_paths, hidden=[self.workspace_dir], stopping=self.stopping,
                                max_copy_bytes=cfg.max_copy_mb * 2**20)
        # Every area reports its changes here (core/events.py); the server extension forwards them.
        self.events = EventBus()
        self._listeners: list[Callable[[JobRow], None]] = [self._publish_job]

        self.store = Store(cfg.database_url)
        self.store.migrate()
        from .lineage import LineageService

        self.lineage = LineageService(self.store)
        self.data_dir: Path = cfg.data_dir

        from .tracking.store_setup import prepare_sqlite_tracking_db

        artifact_root = Path(cfg.artifact_root) if "://" not in cfg.artifact_root else cfg.artifact_root
        if isinstance(artifact_root, Path):
            artifact_root.mkdir(parents=True, exist_ok=True)
        prepare_sqlite_tracking_db(cfg.tracking_uri, str(cfg.artifact_root))
        self.store.restrict()
        for path in sqlite_files(cfg.tracking_uri) if cfg.tracking_uri.startswith("sqlite") else []:
            if path.exists():
                os.chmod(path, 0o600)  # runs, params and tags: the server user's only, like the store
        self.experiments = ExperimentService(cfg.tracking_uri, cfg.registry_uri, Path(cfg.artifact_root))

        self.backends: dict[str, ComputeBackend] = {}
        for type_, cls in cfg.backend_classes.items():
            self.backends[type_] = cls(self.workspace_dir, notify=self._wake)

        self.targets = TargetService(self.store, self.backends, self.events)
        self.targets.ensure_default()
        self.add_job_listener(self.targets.job_changed)
        self.controller = JobController(
            self.store,
            self.backends,
            self.experiments,
            self.jobs_dir,
            self.root_dir,
            job_env=self._job_env,
            on_change=self._job_changed,
            poll_interval=cfg.poll_interval,
        )
        self.jobs = JobService(
            self.store,
            self.targets,
            self.experiments,
            self.jobs_dir,
            self.root_dir,
            max_snapshot_bytes=cfg.max_snapshot_mb * 2**20,
            on_change=self._job_changed,
            wake=self._wake,
            paths=self.paths,
        )

        from .registry import ModelService

        self.models = ModelService(self.experiments, self.jobs, self.events, lineage=self.lineage, max_copy_bytes=cfg.max_copy_mb * 2**20)
        from .environments.service import EnvironmentService

        self.environments = EnvironmentService(self.store, cfg.environments_dir, self.models, events=self.events)
        self.jobs.environments = self.controller.environments = self.environments
        from .export.service import ExportService  # ONNX export jobs, device packages

        self.exports = ExportService(self.models, self.jobs, cfg.tracking_uri)

        # ---- capabilities built on jobs attach here (loops with start()/stop() in services) ----
        self.services: list[Any] = []
        from .walcheckpoint import WalCheckpointer  # first in, last out: a final checkpoint at stop

        tracking = sqlite_files(cfg.tracking_uri) if cfg.tracking_uri.startswith("sqlite") else []
        self.wal = WalCheckpointer(sqlite_files(cfg.database_url)[:1] + tracking[:1], interval=cfg.wal_checkpoint_s)
        self.services.append(self.wal)
        from .endpoints import EndpointController, EndpointRows, EndpointService
        from .endpoints.keys import KeyFiles

        self.endpoint_controller = EndpointController(
            EndpointRows(self.store, self.events), self.workspace_dir / "endpoints", KeyFiles(self.workspace_dir / "secrets" / "endpoints"),
            max_request_bytes=int(cfg.endpoint_max_request_mb * 2**20),
        )
        self.endpoints = EndpointService(
            self.endpoint_controller, self.models, self.root_dir, host=cfg.endpoint_host, max_snapshot_bytes=cfg.max_snapshot_mb * 2**20,
            gpu_devices=cfg.gpu_devices, paths=self.paths,
            lineage=self.lineage,
        )
        self.endpoints.environments = self.endpoint_controller.environments = self.environments
        self.services.append(self.endpoint_controller)
        from .schedules import attach as _attach_schedules  # kernel pool + scheduler (schedules, batch)

        _attach_schedules(self)
        from .data import attach as _attach_data  # data assets, job inputs/outputs, profiles
        from .lineage.describers import attach as _attach_lineage

        _attach_data(self)
        _attach_lineage(self)
        from .monitoring import attach as _attach_monitoring  # monitors, alerts, endpoint time series (reads data assets)

        _attach_monitoring(self)
        from .sweeps import attach as _attach_sweeps  # sweeps: parent jobs whose trials are child jobs

        _attach_sweeps(self)
        from .automl import attach as _attach_automl  # reads data assets through ws.data_inputs

        _attach_automl(self)
        from .triggers import attach as _attach_triggers  # watches data, models and alerts; submits jobs

        _attach_triggers(self)
        from .evaluations import attach as _attach_evaluations  # candidate vs baseline on one data version

        _attach_evaluations(self)
        from .rollouts import attach as _attach_rollouts  # moves endpoint traffic step by step, rolls back

        _attach_rollouts(self)
        from .pipelines import attach as _attach_pipelines  # pipeline runs: parent jobs whose steps are child jobs

        _attach_pipelines(self)

    def add_job_listener(self, listener: Callable[[JobRow], None]) -> None:
        self._listeners.append(listener)

    def _job_changed(self, row: JobRow) -> None:
        for listener in list(self._listeners):
            try:
                listener(row)
            except Exception:
                log.exception("job listener failed")

    def _publish_job(self, row: JobRow) -> None:
        """A job event: ids and status only (no command, environment or spec)."""
        self.events.emit("job", {"job_id": row.id, "status": row.status, "target": row.target, "experiment": row.experiment,
                                 "kind": row.kind, "attempt": row.attempt})

    def _wake(self) -> None:
        controller = getattr(self, "controller", None)
        if controller is not None:
            controller.wake()

    def _job_env(self, row: JobRow) -> dict[str, Any]:
        from .tracking import batching_uri

        cfg = self.config
        return {
            **cfg.job_env,
            "MLFLOW_TRACKING_URI": batching_uri(cfg.tracking_uri, str(cfg.artifact_root)),
            "MLFLOW_REGISTRY_URI": cfg.registry_uri,
            "MLFLOW_RUN_ID": row.run_id or "",
            "MLFLOW_EXPERIMENT_ID": row.experiment_id or "",
            "MLSERVICE_JOB_ID": row.id,
            "MLSERVICE_ATTEMPT": str(row.attempt),
            "MLSERVICE_OUTPUT_DIR": str(self.jobs_dir / row.id / "outputs"),
            "PYTHONUNBUFFERED": "1",
            # `python` in a command means the server's interpreter, as in a kernel.
            "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
        }

    def start(self) -> None:
        self.controller.start()
        for service in self.services:
            service.start()

    def stop(self) -> None:
        self.stopping.set()
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                log.exception("service %s failed to stop", type(service).__name__)
        self.controller.stop()
        for backend in self.backends.values():
            try:
                backend.shutdown()
            except Exception:
                log.exception("backend %s failed to shut down", backend.type)
        self.store.dispose()
