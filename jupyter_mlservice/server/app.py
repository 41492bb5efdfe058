"""The Jupyter server extension app: config traits, workspace lifecycle, events, job waiters."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Dict, Float, Int, List, Type, Unicode

from ..core.events import schema_id
from ..core.paths import allowed_roots
from ..core.jobs.schemas import TERMINAL_STATUSES
from ..core.workspace import Workspace, WorkspaceConfig
from . import routes, studio_links

EVENTS_DIR = Path(__file__).parent / "events"  # one jupyter_events schema per area: <area>.yaml
TERMINAL = {s.value for s in TERMINAL_STATUSES}


class MLServiceApp(ExtensionApp):
    name = "jupyter_mlservice"
    load_other_extensions = True

    workspace_dir = Unicode("", config=True, help="Workspace folder; default <root_dir>/.mlservice.")
    database_url = Unicode(
        "", config=True, help="SQLAlchemy URL of the workspace store; default SQLite in the workspace folder. "
        "PostgreSQL works: postgresql+psycopg://user:pw@host/db",
    )
    tracking_uri = Unicode("", config=True, help="MLflow tracking URI; default SQLite in the workspace folder.")
    registry_uri = Unicode("", config=True, help="MLflow registry URI; default: the tracking URI.")
    artifact_root = Unicode("", config=True, help="Artifact root for new experiments; default <workspace>/artifacts.")
    data_dir = Unicode("", config=True, help="Data store of data asset versions; default <workspace>/data.")
    max_snapshot_mb = Int(100, config=True, help="Largest code folder a job may snapshot, in MiB.")
    endpoint_max_request_mb = Float(
        16, config=True, help="Largest request body a scoring endpoint accepts, in MiB; bigger ones get 413 (applies when an endpoint next restarts or changes).",
    )
    max_copy_mb = Int(2048, config=True, help="Largest file or folder a model registration (local_path) copies, in MiB.")
    allowed_paths = List(
        Unicode(), [], config=True,
        help="Folders outside the server root that path fields (code, notebooks, local_path, batch input/output, "
        "SQLite URLs) may name. Everything else outside the root is refused with 403.",
    )
    endpoint_host = Unicode("127.0.0.1", config=True, help="Address scoring endpoints listen on (0.0.0.0 to serve other machines).")
    poll_interval = Float(0.5, config=True, help="Seconds between controller checks when nothing wakes it.")
    series_interval_s = Float(15.0, config=True, help="Seconds between samples of each endpoint's requests, errors and latency.")
    series_retention_hours = Float(168.0, config=True, help="How long endpoint time series points are kept, in hours.")
    environments_dir = Unicode("", config=True, help="Where environments are built (a cache shared by every job and deployment); "
                               "default <workspace>/environments.")
    gpu_devices = List(
        Unicode(), default_value=None, allow_none=True, config=True,
        help="GPU ids deployments may be given (CUDA_VISIBLE_DEVICES); default: what `nvidia-smi -L` lists.",
    )
    backend_classes = Dict(
        value_trait=Type(klass="jupyter_mlservice.core.compute.base.ComputeBackend"),
        default_value={},
        config=True,
        help="Extra compute backends: {type name: 'package.module.Class'} (a ComputeBackend subclass); "
        "a name here overrides a built-in.",
    )
    kernel_pool_size = Int(1, config=True, help="Kernels kept started for notebook jobs (each is used once); 0: none.")

    def info(self) -> dict[str, Any]:
        from .. import __version__

        cfg = self.workspace.config
        return {
            "version": __version__,
            "root_dir": str(cfg.root_dir),
            "workspace_dir": str(cfg.workspace_dir),
            "database_url": _redact(cfg.database_url),
            "tracking_uri": _redact(cfg.tracking_uri),
            "artifact_root": str(cfg.artifact_root),
            "backends": sorted(self.workspace.backends),
        }

    # ---- lifecycle ---------------------------------------------------------------------------

    def initialize_settings(self) -> None:
        root = Path(self.serverapp.root_dir).expanduser()
        url, token = self._server_address()
        job_env = {"MLSERVICE_URL": url, "MLSERVICE_TOKEN": token} if url else {}
        # Kernels inherit the server's environment: this is how the SDK in a notebook finds us.
        os.environ.update(job_env)
        self._waiters: dict[str, set[asyncio.Future]] = {}
        self._loop = asyncio.get_event_loop()
        config = WorkspaceConfig(
            root_dir=root,
            workspace_dir=Path(self.workspace_dir) if self.workspace_dir else None,
            database_url=self.database_url or None,
            tracking_uri=self.tracking_uri or None,
            registry_uri=self.registry_uri or None,
            artifact_root=self.artifact_root or None,
            data_dir=Path(self.data_dir) if self.data_dir else None,
            max_snapshot_mb=self.max_snapshot_mb,
            max_copy_mb=self.max_copy_mb,
            endpoint_max_request_mb=self.endpoint_max_request_mb,
            allowed_paths=allowed_roots(self.allowed_paths),
            endpoint_host=self.endpoint_host,
            poll_interval=self.poll_interval,
            kernel_pool_size=self.kernel_pool_size,
            gpu_devices=None if self.gpu_devices is None else list(self.gpu_devices),
            backend_classes=dict(self.backend_classes),
            job_env=job_env,
            series_interval_s=self.series_interval_s,
            series_retention_hours=self.series_retention_hours,
            environments_dir=Path(self.environments_dir) if self.environments_dir else None,
        )
        self.workspace = Workspace(config)
        self.settings["mlservice_workspace"] = self.workspace
        for schema in sorted(EVENTS_DIR.glob("*.yaml")):
            self.serverapp.event_logger.register_event_schema(schema)
        self.workspace.events.subscribe(self._changed)
        self.workspace.start()
        self.log.info("jupyter_mlservice: workspace at %s", self.workspace.workspace_dir)

    def initialize_handlers(self) -> None:
        self.handlers.extend(routes.handlers())
        self.handlers.extend(studio_links.handlers(self.serverapp))  # /lab/mlservice/... deep links

    async def stop_extension(self) -> None:
        workspace = getattr(self, "workspace", None)
        if workspace is not None:
            await asyncio.to_thread(workspace.stop)

    def _server_address(self) -> tuple[str, str]:
        app = self.serverapp
        try:
            token = app.identity_provider.token or ""
        except AttributeError:  # pragma: no cover
            token = ""
        host = app.ip if app.ip not in ("", "0.0.0.0", "*") else "127.0.0.1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        scheme = "https" if app.certfile else "http"
        return f"{scheme}://{host}:{app.port}{app.base_url}", token

    # ---- events ------------------------------------------------------------------------------

    def _changed(self, area: str, data: dict[str, Any]) -> None:
        """An area's change, reported from a service or controller thread: hop onto the loop."""
        try:
            self._loop.call_soon_threadsafe(self._emit_event, area, data)
        except RuntimeError:  # loop closed during shutdown
            pass

    def _emit_event(self, area: str, data: dict[str, Any]) -> None:
        try:
            self.serverapp.event_logger.emit(schema_id=schema_id(area), data=data)
        except Exception:  # an event that does not fit its schema is a bug to see, not a crash
            self.log.exception("jupyter_mlservice: could not emit a %s event", area)
        if area == "job" and data["status"] in TERMINAL:
            for fut in self._waiters.get(data["job_id"], ()):
                if not fut.done():
                    fut.set_result(data["status"])

    def job_waiter(self, job_id: str) -> asyncio.Future:
        """A future that resolves when the job reaches a terminal status."""
        fut = self._loop.create_future()
        self._waiters.setdefault(job_id, set()).add(fut)
        return fut

    def drop_waiter(self, job_id: str, fut: asyncio.Future) -> None:
        waiters = self._waiters.get(job_id)
        if waiters is not None:
            waiters.discard(fut)
            if not waiters:
                self._waiters.pop(job_id, None)


def _redact(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
