"""Online endpoints: desired state in the store, scoring processes reconciled to match it.

Each endpoint is one supervisor process (core/serving) with a stable host:port and keys kept in
the store, so after a server restart (or the supervisor dying) the same URI and keys come back.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..environments.usage import deployment_environment
from ..errors import Conflict, InvalidRequest, NotFound
from ..jobs.snapshot import snapshot
from ..logfile import read_from
from ..paths import PathPolicy, relative_subpath
from ..registry import ModelService
from ..serving.config import MAX_MIRROR_PERCENT
from ..serving.model_dir import azure_layout, registered_folder_name
from ..store import Store
from ..tables import DeploymentRow, EndpointRow
from ..timeutil import as_utc, utcnow
from .keys import KeyFiles, fingerprint, is_fingerprint
from .schemas import (
    Deployment,
    DeploymentCreate,
    DeploymentUpdate,
    Endpoint,
    EndpointCreate,
    EndpointKeys,
    EndpointPage,
    InvokeRequest,
    InvokeResponse,
    RequestSettings,
)

log = logging.getLogger("jupyter_mlservice.endpoints")

HEALTH_INTERVAL_S = 2.0
NO_DEPLOYMENT = "no deployment yet: add one (POST /endpoints/{name}/deployments)"


class EndpointService:
    def __init__(self, store: Store, models: ModelService, workspace_dir: Path, root_dir: Path, host: str = "127.0.0.1", max_snapshot_bytes: int = 100 * 2**20,
                 gpu_devices: list[str] | None = None, lineage=None, paths: PathPolicy | None = None,
                 max_request_bytes: int = 16 * 2**20):
        self.paths = paths or PathPolicy(root_dir, hidden=[workspace_dir])
        self.secrets = KeyFiles(workspace_dir / "secrets" / "endpoints")
        self.max_request_bytes = max_request_bytes
        self.store = store
        self.models = models
        self.lineage = lineage  # model version -> deployment edges
        self.dir = workspace_dir / "endpoints"
        self.root_dir = root_dir
        self.host = host
        self.max_snapshot_bytes = max_snapshot_bytes
        self.environments = None  # EnvironmentService, set by the workspace
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._gpu_devices = gpu_devices  # None: ask nvidia-smi once
        self._gpu_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- service lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Bring back every endpoint (attach to running supervisors, restart dead ones)."""
        self._move_keys_out_of_the_store()
        self._thread = threading.Thread(target=self._run, name="mlservice-endpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Endpoints keep serving while the server is down; the next server re-attaches."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        for name in self._names():
            self._safe_reconcile(name)
        while not self._stop.wait(HEALTH_INTERVAL_S):
            for name in self._names():
                try:
                    self._heal(name)
                except Exception:
                    log.exception("health check of endpoint %s failed", name)

    def _move_keys_out_of_the_store(self) -> None:
        """Stores written before keys had their own files held them in clear: move them out."""
        with self.store.session() as s:
            for ep in s.scalars(select(EndpointRow)):
                if not (is_fingerprint(ep.primary_key) and is_fingerprint(ep.secondary_key)):
                    self.secrets.put(ep.name, ep.primary_key, ep.secondary_key)
                    ep.primary_key, ep.secondary_key = fingerprint(ep.primary_key), fingerprint(ep.secondary_key)
                    log.info("endpoint %s: keys moved from the store to the workspace's secret files", ep.name)

    def _keys(self, name: str) -> tuple[str | None, str | None]:
        return self.secrets.get(name)

    def _names(self) -> list[str]:
        with self.store.session() as s:
            return list(s.scalars(select(EndpointRow.name)))

    def _lock(self, name: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(name, threading.Lock())

    # ---- endpoints -----------------------------------------------------------------------------

    def create_endpoint(self, body: EndpointCreate) -> Endpoint:
        now = utcnow()
        # no deployment yet: nothing is being created, and nothing serves
        primary, secondary = (_key(), _key()) if body.auth_mode == "key" else (None, None)
        row = EndpointRow(
            name=body.name, description=body.description, auth_mode=body.auth_mode, host=self.host,
            port=_free_port(self.host), primary_key=fingerprint(primary), secondary_key=fingerprint(secondary),
            traffic={}, mirror_traffic={}, status="Unhealthy", error=NO_DEPLOYMENT, created_at=now, updated_at=now,
        )
        if not self.store.insert_new(row):
            raise Conflict(f"an endpoint named {body.name!r} already exists")
        try:  # only the create that won writes the keys
            self.secrets.put(body.name, primary, secondary)
        except BaseException:
            with self.store.session() as s:
                s.execute(delete(EndpointRow).where(EndpointRow.name == body.name))
            raise
        return self.get_endpoint(body.name)

    def list_endpoints(self) -> EndpointPage:
        return EndpointPage(items=[self.get_endpoint(n) for n in sorted(self._names())])

    def get_endpoint(self, name: str) -> Endpoint:
        ep = self._endpoint_row(name)
        deps = self._deployment_rows(name)
        base = f"http://{ep.host}:{ep.port}"
        return Endpoint(
            name=ep.name, description=ep.description, auth_mode=ep.auth_mode, scoring_uri=base,
            swagger_uri=f"{base}/swagger.json", status=ep.status, error=ep.error, traffic=ep.traffic or {},
            mirror_traffic=ep.mirror_traffic or {}, deployments=[d.name for d in deps], created_at=as_utc(ep.created_at),
        )

    def update_endpoint(self, name: str, description: str | None) -> Endpoint:
        with self.store.session() as s:
            ep = self._endpoint_in(s, name)
            if description is not None:
                ep.description = description
        return self.get_endpoint(name)

    def delete_endpoint(self, name: str) -> None:
        with self._lock(name):
            self._endpoint_row(name)
            with self.store.session() as s:
                self._endpoint_in(s, name).status = "Deleting"
            process = self._attach(name)
            if process is not None:
                process.stop()
            with self.store.session() as s:
                for row in s.scalars(select(DeploymentRow).where(DeploymentRow.endpoint == name)):
                    s.delete(row)
                s.delete(self._endpoint_in(s, name))
            self.secrets.delete(name)
            shutil.rmtree(self.dir / name, ignore_errors=True)

    def keys(self, name: str) -> EndpointKeys:
        self._endpoint_row(name)
        primary, secondary = self._keys(name)
        return EndpointKeys(primary=primary, secondary=secondary)

    def regenerate_key(self, name: str, which: str) -> EndpointKeys:
        with self._lock(name):
            with self.store.session() as s:
                ep = self._endpoint_in(s, name)
                if ep.auth_mode != "key":
                    raise InvalidRequest(f"endpoint {name!r} uses auth_mode {ep.auth_mode!r}; it has no keys")
                keys = dict(zip(("primary", "secondary"), self._keys(name)))
                keys[which] = _key()
                setattr(ep, f"{which}_key", fingerprint(keys[which]))
                self.secrets.put(name, keys["primary"], keys["secondary"])  # committed right after
            self._reconcile(name)
        return self.keys(name)

    def set_traffic(self, name: str, traffic: dict[str, int], mirror: bool = False) -> Endpoint:
        label = "mirror_traffic" if mirror else "traffic"
        with self._lock(name):
            ep = self._endpoint_row(name)
            known = {d.name: d for d in self._deployment_rows(name)}
            unknown = sorted(set(traffic) - set(known))
            if unknown:
                raise InvalidRequest(f"{label}: no deployment named {', '.join(unknown)} on endpoint {name!r}")
            if any(not 0 <= v <= 100 for v in traffic.values()):
                raise InvalidRequest(f"{label}: percentages must be between 0 and 100")
            if not mirror and sum(traffic.values()) not in (0, 100):
                raise InvalidRequest(f"traffic must add up to 100 (or 0); it adds up to {sum(traffic.values())}")
            # checked here, not only by the serving config: a stored table the config refuses
            # would make every later rollout of the endpoint fail
            if mirror and sum(traffic.values()) > MAX_MIRROR_PERCENT:
                raise InvalidRequest(f"mirror_traffic may copy at most {MAX_MIRROR_PERCENT}% of requests in total; "
                                     f"it adds up to {sum(traffic.values())}")
            # a failed update keeps serving its previous version (applied != spec); a deployment
            # whose only version fails to load cannot take traffic
            failed = sorted(n for n, v in traffic.items() if v and known[n].applied is None)
            if failed:
                raise Conflict(f"deployment {', '.join(failed)} has not served yet (status {known[failed[0]].status}); "
                               "wait until it is Healthy, or fix it, before sending it traffic")
            other = ep.traffic if mirror else ep.mirror_traffic
            both = sorted(n for n, v in traffic.items() if v and (other or {}).get(n))
            if both:
                raise InvalidRequest(f"a deployment takes live traffic or mirror traffic, not both: {', '.join(both)}")
            with self.store.session() as s:
                setattr(self._endpoint_in(s, name), label, {k: int(v) for k, v in traffic.items() if v})
            self._reconcile(name)
        return self.get_endpoint(name)

    # ---- deployments ---------------------------------------------------------------------------

    def create_deployment(self, endpoint: str, body: DeploymentCreate) -> Deployment:
        self._endpoint_row(endpoint)
        spec = self._prepare_spec(endpoint, body.name, body.model_dump(mode="json"))
        now = utcnow()
        exists = Conflict(f"endpoint {endpoint!r} already has a deployment named {body.name!r}")
        try:
            with self._gpu_lock, self.store.session() as s:
                if s.get(DeploymentRow, (endpoint, body.name)) is not None:
                    raise exists
                spec["gpus"] = self._allocate_gpus(endpoint, body.name, spec.get("gpu") or 0, [])
                s.add(DeploymentRow(endpoint=endpoint, name=body.name, spec=spec, applied=None, status="Creating", created_at=now, updated_at=now))
        except IntegrityError:  # another server process created it first
            raise exists from None
        with self.store.session() as s:  # a deployment on the way: the endpoint is being created
            ep = s.get(EndpointRow, endpoint)
            if ep is not None and ep.error == NO_DEPLOYMENT:
                ep.status, ep.error = "Creating", None
        self._record_lineage(endpoint, body.name, spec)
        self._in_background(endpoint)
        return self.get_deployment(endpoint, body.name)

    def update_deployment(self, endpoint: str, name: str, body: DeploymentUpdate) -> Deployment:
        row = self._deployment_row(endpoint, name)
        changes = body.model_dump(mode="json", exclude_unset=True)
        merged = {**{k: row.spec.get(k) for k in DeploymentCreate.model_fields}, **changes, "name": name}
        if "code" in changes or "scoring_script" in changes:
            merged.pop("code_snapshot", None)
        if row.spec.get("environment_reason") and "environment" not in changes:
            merged["environment"] = None  # chosen for the model (env_manager): chosen again for the new one
        spec = self._prepare_spec(endpoint, name, merged, previous=row.spec)
        with self._gpu_lock, self.store.session() as s:
            spec["gpus"] = self._allocate_gpus(endpoint, name, spec.get("gpu") or 0, row.spec.get("gpus") or [])
            live = s.get(DeploymentRow, (endpoint, name))
            live.spec, live.status, live.error, live.updated_at = spec, "Updating", None, utcnow()
        self._record_lineage(endpoint, name, spec)
        self._in_background(endpoint)
        return self.get_deployment(endpoint, name)

    def _record_lineage(self, endpoint: str, name: str, spec: dict[str, Any]) -> None:
        if self.lineage is not None:
            from ..lineage import DEPLOYMENT, MODEL_VERSION, Node

            self.lineage.record(Node(MODEL_VERSION, f"{spec['model_name']}:{spec['model_version']}"), Node(DEPLOYMENT, f"{endpoint}/{name}"), "deployed")

    def delete_deployment(self, endpoint: str, name: str) -> None:
        with self._lock(endpoint):
            ep = self._endpoint_row(endpoint)
            self._deployment_row(endpoint, name)
            others = [d for d in self._deployment_rows(endpoint) if d.name != name]
            if (ep.traffic or {}).get(name) and others:
                raise Conflict(f"deployment {name!r} still gets {ep.traffic[name]}% of traffic; shift it to another deployment first")
            with self.store.session() as s:
                live = s.get(DeploymentRow, (endpoint, name))
                live.status = "Deleting"
                e = self._endpoint_in(s, endpoint)
                e.traffic = {k: v for k, v in (e.traffic or {}).items() if k != name}
                e.mirror_traffic = {k: v for k, v in (e.mirror_traffic or {}).items() if k != name}
            self._reconcile(endpoint)
            with self.store.session() as s:
                s.delete(s.get(DeploymentRow, (endpoint, name)))
            shutil.rmtree(self.dir / endpoint / "deployments" / name, ignore_errors=True)

    def list_deployments(self, endpoint: str) -> list[Deployment]:
        self._endpoint_row(endpoint)
        return [self._deployment_view(r, self._endpoint_row(endpoint)) for r in self._deployment_rows(endpoint)]

    def get_deployment(self, endpoint: str, name: str) -> Deployment:
        return self._deployment_view(self._deployment_row(endpoint, name), self._endpoint_row(endpoint))

    def logs(self, endpoint: str, name: str, offset: int = 0) -> dict[str, Any]:
        self._deployment_row(endpoint, name)
        text, end, size = read_from(self.dir / endpoint / "logs" / f"{name}.log", offset)
        return {"text": text, "offset": end, "size": size, "complete": end >= size}

    # ---- calling and watching ------------------------------------------------------------------

    def invoke(self, endpoint: str, body: InvokeRequest) -> InvokeResponse:
        ep = self._endpoint_row(endpoint)
        if not body.path.startswith("/"):
            raise InvalidRequest("path must start with '/', e.g. /invocations")
        headers = {"Content-Type": "application/json"}
        if ep.auth_mode == "key":
            headers["Authorization"] = f"Bearer {self._keys(endpoint)[0]}"
        if body.deployment:
            self._deployment_row(endpoint, body.deployment)
            headers["mlservice-deployment"] = body.deployment
        t = time.perf_counter()
        try:
            resp = requests.post(f"http://{ep.host}:{ep.port}{body.path}", json=body.data, headers=headers, timeout=60)
        except requests.ConnectionError:
            raise Conflict(f"endpoint {endpoint!r} is not serving; add a deployment or check its status") from None
        latency = (time.perf_counter() - t) * 1000
        try:
            payload = resp.json()
        except ValueError:
            payload = resp.text
        return InvokeResponse(status=resp.status_code, body=payload, deployment=resp.headers.get("mlservice-deployment"), latency_ms=latency)

    def metrics(self, endpoint: str) -> dict[str, Any]:
        """Requests, errors and latency per deployment, read from the endpoint's Prometheus page."""
        ep = self._endpoint_row(endpoint)
        headers = {"Authorization": f"Bearer {self._keys(endpoint)[0]}"} if ep.auth_mode == "key" else {}
        try:
            resp = requests.get(f"http://{ep.host}:{ep.port}/metrics", headers=headers, timeout=5)
        except requests.ConnectionError:
            return {"deployments": {}}
        if resp.status_code != 200:
            raise Conflict(f"endpoint {endpoint!r} did not give its metrics ({resp.status_code}): {resp.text[:200]}")
        text = resp.text
        return {"deployments": _summarize_prometheus(text)}

    # ---- reconciling ---------------------------------------------------------------------------

    def _in_background(self, endpoint: str) -> None:
        threading.Thread(target=self._safe_reconcile, args=(endpoint,), name=f"reconcile-{endpoint}", daemon=True).start()

    def _safe_reconcile(self, endpoint: str) -> None:
        try:
            with self._lock(endpoint):
                self._reconcile(endpoint)
        except NotFound:
            pass
        except Exception:
            log.exception("reconciling endpoint %s failed", endpoint)

    def _attach(self, endpoint: str):
        from ..serving import EndpointProcess

        return EndpointProcess.attach(self.dir / endpoint)

    def _config(self, ep: EndpointRow, rows: list[DeploymentRow], use_applied: set[str] = frozenset()):
        from ..serving import DeploymentConfig, EndpointConfig
        from ..serving import RequestSettings as ServingSettings

        deployments = []
        for row in rows:
            if row.status == "Deleting":
                continue
            spec = row.applied if (row.name in use_applied or row.status == "Failed") else row.spec
            if not spec:
                continue
            deployments.append(
                DeploymentConfig(
                    name=row.name, model_path=spec["model_path"], model_name=spec["model_name"], model_version=spec["model_version"],
                    scoring_script=spec.get("scoring_script"), code_dir=spec.get("code_snapshot"), replicas=spec["replicas"],
                    request_settings=ServingSettings(**spec["request_settings"]), environment_variables=spec.get("environment_variables") or {},
                    python=self._python(spec), return_script_errors=bool(spec.get("return_script_errors")),
                    azureml_model_dir=spec.get("azureml_model_dir"),
                    batching=spec.get("batching"), gpus=spec.get("gpus") or [],
                )
            )
        if not deployments:
            return None
        names = {d.name for d in deployments}
        traffic = {k: v for k, v in (ep.traffic or {}).items() if k in names}
        if not traffic and len(deployments) == 1 and not ep.traffic:
            traffic = {deployments[0].name: 100}
        if sum(traffic.values()) not in (0, 100):
            traffic = {}
        return EndpointConfig(
            name=ep.name, host=ep.host, port=ep.port, auth_mode=ep.auth_mode, primary_key=self._keys(ep.name)[0],
            secondary_key=self._keys(ep.name)[1], deployments=deployments, traffic=traffic,
            mirror_traffic={k: v for k, v in (ep.mirror_traffic or {}).items() if k in names},
            max_request_bytes=self.max_request_bytes,
        )

    def _reconcile(self, endpoint: str) -> None:
        """Make the endpoint's processes serve what the store says. Caller holds the lock."""
        from ..serving import EndpointFailed, EndpointProcess
        from ..serving.supervisor import ROLLOUT_TIMEOUT_S

        ep = self._endpoint_row(endpoint)
        rows = self._deployment_rows(endpoint)
        changing = {r.name for r in rows if r.status in ("Creating", "Updating")}
        config = self._config(ep, rows)
        process = self._attach(endpoint)
        if config is None:
            if process is not None:
                process.stop()
            self._set_endpoint(endpoint, "Unhealthy", NO_DEPLOYMENT if not rows else None)
            return
        # Only the first deployment of a new endpoint gets its traffic by default.
        if not ep.traffic and config.traffic:
            with self.store.session() as s:
                self._endpoint_in(s, endpoint).traffic = dict(config.traffic)
        try:
            self._build_environments(endpoint, rows, changing)
            if process is None:
                process = EndpointProcess.start(config, self.dir / endpoint, timeout=ROLLOUT_TIMEOUT_S)
            else:
                process.reconfigure(config, timeout=ROLLOUT_TIMEOUT_S)
        except EndpointFailed as exc:
            reason = str(exc)
            for name in changing:
                self._set_deployment(endpoint, name, status="Failed", error=_short(reason))
            self._set_endpoint(endpoint, "Unhealthy", _short(reason))
            # keep serving what worked before
            fallback = self._config(ep, self._deployment_rows(endpoint), use_applied=changing)
            if fallback is not None and self._attach(endpoint) is None:
                try:
                    EndpointProcess.start(fallback, self.dir / endpoint, timeout=ROLLOUT_TIMEOUT_S)
                except EndpointFailed:
                    log.warning("endpoint %s cannot serve its previous configuration either", endpoint)
            return
        loaded = process.status().deployments
        for name in changing:
            dep = loaded.get(name)
            if dep is not None and dep.state == "Failed":
                # the rollout went through but this deployment could not load
                self._set_deployment(endpoint, name, status="Failed", error=_short(dep.reason or "failed to load"))
        self._observe(endpoint, process)

    def _observe(self, endpoint: str, process) -> None:
        status = process.status()
        healthy_any = False
        for name, dep in status.deployments.items():
            row = self._deployment_row_or_none(endpoint, name)
            if row is None or row.status in ("Deleting",):
                continue
            if row.status == "Failed" and row.applied in (None, row.spec):
                continue  # its current version does not load; nothing to watch
            new = {"Healthy": "Healthy", "Creating": row.status if row.status in ("Creating", "Updating") else "Unhealthy",
                   "Unhealthy": "Unhealthy", "Failed": "Failed", "Stopped": "Unhealthy"}[dep.state]
            healthy_any |= new == "Healthy"
            error = dep.reason if new in ("Unhealthy", "Failed") else (row.error if row.status == "Failed" else None)
            if row.status == "Failed" and new == "Healthy":
                new = "Failed"  # an update failed; the previous version serves meanwhile
            values: dict[str, Any] = {}
            if new == "Healthy" and row.applied != row.spec:
                values["applied"] = row.spec  # the last version seen serving
            if (new, error, dep.ready_workers) != (row.status, row.error, row.ready_workers):
                values.update(status=new, error=error, ready_workers=dep.ready_workers)
            if values:
                self._set_deployment(endpoint, name, **values)
        self._set_endpoint(endpoint, "Healthy" if healthy_any else "Unhealthy", status.rollout_error)

    def _heal(self, endpoint: str) -> None:
        lock = self._lock(endpoint)
        if not lock.acquire(blocking=False):
            return  # a change is being rolled out
        try:
            rows = self._deployment_rows(endpoint)
            if not any(r.applied for r in rows):
                return
            process = self._attach(endpoint)
            if process is None:
                log.warning("endpoint %s is not running; starting it again", endpoint)
                self._reconcile(endpoint)
            else:
                self._observe(endpoint, process)
        finally:
            lock.release()

    # ---- GPUs ----------------------------------------------------------------------------------

    def gpu_devices(self) -> list[str]:
        """The GPU ids deployments may be given: configured (``gpu_devices``), or what nvidia-smi lists."""
        if self._gpu_devices is None:
            self._gpu_devices = _nvidia_gpus()
        return list(self._gpu_devices)

    def _allocate_gpus(self, endpoint: str, name: str, count: int, previous: list[str]) -> list[str]:
        """``count`` GPU ids no other deployment holds (a deployment keeps the ones it had). Caller
        holds the GPU lock and writes the row before releasing it."""
        if not count:
            return []
        devices = self.gpu_devices()
        if not devices:
            raise InvalidRequest("this server has no GPUs (nvidia-smi lists none and gpu_devices is not set); deploy with gpu=0")
        held: dict[str, str] = {}
        with self.store.session() as s:
            for row in s.scalars(select(DeploymentRow)):
                if (row.endpoint, row.name) != (endpoint, name) and row.status != "Deleting":
                    for g in (row.spec or {}).get("gpus") or []:
                        held[g] = f"{row.endpoint}/{row.name}"
        keep = [g for g in previous if g in devices and g not in held][:count]
        free = keep + [g for g in devices if g not in held and g not in keep]
        if len(free) < count:
            users = ", ".join(f"{g} ({who})" for g, who in sorted(held.items()))
            raise Conflict(f"the deployment asks for {count} GPU(s) and {len(free)} of this server's {len(devices)} are free "
                           f"(in use: {users}); lower gpu or delete a deployment that holds one")
        return free[:count]

    # ---- helpers -------------------------------------------------------------------------------

    def _python(self, spec: dict[str, Any]) -> str | None:
        key = spec.get("environment_key")
        return str(self.environments.cache.python(key)) if key and self.environments is not None else None

    def _build_environments(self, endpoint: str, rows: list[DeploymentRow], changing: set[str]) -> None:
        """Build (once, cached) the environments of deployments being rolled out, before their workers start."""
        from ..environments.cache import BuildFailed
        from ..serving import EndpointFailed

        for row in rows:
            key = (row.spec or {}).get("environment_key")
            if row.name in changing and key and self.environments is not None:
                try:
                    self.environments.cache.ensure(key)
                except BuildFailed as exc:
                    raise EndpointFailed(f"deployment {row.name!r}: environment {row.spec.get('environment')}: {exc}") from None

    def _prepare_spec(self, endpoint: str, name: str, spec: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resolve the model and fetch its files; snapshot the scoring code. Everything the
        request names is checked before anything is fetched or copied."""
        code = script = None
        if spec.get("code"):
            code = self.paths.confine(spec["code"], "code")
            if not code.is_dir():
                raise InvalidRequest(f"code folder {spec['code']!r} does not exist on the server")
            if not spec.get("scoring_script"):
                raise InvalidRequest("code is set but scoring_script is not; name the script inside the code folder")
            script = relative_subpath(spec["scoring_script"], "scoring_script")
        elif spec.get("scoring_script"):
            raise InvalidRequest("scoring_script needs code= (the folder that holds it)")
        mv = self.models.resolve(spec["model"])
        folder = self.dir / endpoint / "deployments" / name
        model_path = folder / f"model-{mv['name']}-{mv['version']}"
        if not model_path.exists():
            self.models.download(f"{mv['name']}:{mv['version']}", model_path)
        out = {
            **spec,
            "model_name": mv["name"],
            "model_version": mv["version"],
            "model_path": str(model_path),
            "request_settings": RequestSettings(**(spec.get("request_settings") or {})).model_dump(),
        }
        out.update(deployment_environment(self.environments, spec, model_path, mv["name"], str(mv["version"])))
        out["azureml_model_dir"] = str(azure_layout(model_path, registered_folder_name(self.models.client, mv.get("run_id")),
                                                    mv["name"], str(mv["version"]), folder))
        if code is not None:
            target = folder / f"code-{secrets.token_hex(4)}"
            snapshot(code, target, self.max_snapshot_bytes, self.paths)
            found = (target / script).resolve()
            if not found.is_relative_to(target.resolve()) or not found.is_file():
                shutil.rmtree(target, ignore_errors=True)
                raise InvalidRequest(f"scoring_script {spec['scoring_script']!r} is not in the code folder {spec['code']!r}")
            out["code_snapshot"] = str(target)
        return out

    def _deployment_view(self, row: DeploymentRow, ep: EndpointRow) -> Deployment:
        spec = row.spec
        return Deployment(
            endpoint=row.endpoint, name=row.name, model=spec["model"], model_name=spec["model_name"], model_version=spec["model_version"],
            scoring_script=spec.get("scoring_script"), replicas=spec["replicas"], request_settings=RequestSettings(**spec["request_settings"]),
            environment_variables=spec.get("environment_variables") or {}, environment=spec.get("environment"),
            environment_reason=spec.get("environment_reason"), return_script_errors=bool(spec.get("return_script_errors")),
            batching=spec.get("batching"), gpu=spec.get("gpu") or 0, gpus=spec.get("gpus") or [],
            status=row.status, error=row.error, ready_workers=row.ready_workers,
            traffic=(ep.traffic or {}).get(row.name, 0), mirror_traffic=(ep.mirror_traffic or {}).get(row.name, 0),
            created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
        )

    def _endpoint_row(self, name: str) -> EndpointRow:
        with self.store.session() as s:
            row = self._endpoint_in(s, name)
            s.expunge(row)
            return row

    def _endpoint_in(self, s, name: str) -> EndpointRow:
        row = s.get(EndpointRow, name)
        if row is None:
            raise NotFound(f"no endpoint named {name!r}")
        return row

    def _deployment_rows(self, endpoint: str) -> list[DeploymentRow]:
        with self.store.session() as s:
            rows = list(s.scalars(select(DeploymentRow).where(DeploymentRow.endpoint == endpoint).order_by(DeploymentRow.created_at)))
            s.expunge_all()
            return rows

    def _deployment_row_or_none(self, endpoint: str, name: str) -> DeploymentRow | None:
        with self.store.session() as s:
            row = s.get(DeploymentRow, (endpoint, name))
            if row is not None:
                s.expunge(row)
            return row

    def _deployment_row(self, endpoint: str, name: str) -> DeploymentRow:
        row = self._deployment_row_or_none(endpoint, name)
        if row is None:
            self._endpoint_row(endpoint)
            raise NotFound(f"endpoint {endpoint!r} has no deployment named {name!r}")
        return row

    def _set_deployment(self, endpoint: str, name: str, **values: Any) -> None:
        with self.store.session() as s:
            row = s.get(DeploymentRow, (endpoint, name))
            if row is not None:
                for k, v in values.items():
                    setattr(row, k, v)
                row.updated_at = utcnow()

    def _set_endpoint(self, endpoint: str, status: str, error: str | None) -> None:
        with self.store.session() as s:
            row = s.get(EndpointRow, endpoint)
            if row is not None and (row.status, row.error) != (status, error):
                row.status, row.error, row.updated_at = status, error, utcnow()


def _nvidia_gpus() -> list[str]:
    import subprocess

    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip().isdigit()] if out.returncode == 0 else []


def _key() -> str:
    return secrets.token_urlsafe(32)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _short(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _summarize_prometheus(text: str) -> dict[str, dict[str, float]]:
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, dict[str, float]] = {}
    buckets: dict[str, list[tuple[float, float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            dep = sample.labels.get("deployment")
            if not dep:
                continue
            stats = out.setdefault(dep, {"requests": 0.0, "errors": 0.0})
            if sample.name == "mlservice_requests_total":
                stats["requests"] += sample.value
            elif sample.name == "mlservice_request_errors_total":
                stats["errors"] += sample.value
            elif sample.name == "mlservice_request_duration_seconds_bucket":
                le = sample.labels.get("le")
                buckets.setdefault(dep, []).append((float("inf") if le == "+Inf" else float(le), sample.value))
    for dep, points in buckets.items():
        points.sort()
        total = points[-1][1] if points else 0
        for q, key in ((0.5, "p50_ms"), (0.99, "p99_ms")):
            if total:
                bound = next(b for b, c in points if c >= q * total)
                out[dep][key] = bound * 1000 if bound != float("inf") else float("inf")
    return out
