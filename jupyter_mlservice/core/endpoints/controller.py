"""The endpoint controller: makes each endpoint's scoring processes serve what its rows say.

Each endpoint is one supervisor process (core/serving) with a stable host:port and keys kept in
the workspace's secret files (keys.py; the store holds their fingerprints), so after a server restart (or the supervisor dying) the same URI and keys come back.
The loop, every HEALTH_INTERVAL_S or when woken:

- rolls out endpoints whose rows changed (a new or updated deployment), each on its own thread
  so one slow model load does not hold up the others; after a start, every endpoint;
- heals the others: restarts a supervisor that died, records each deployment's health;
- routes all of an endpoint's traffic to a deployment that asked for it (``all_traffic``) once
  that deployment is Healthy: a row update first, then the rollout, then the request is done.

Changes users make through the service (traffic, keys, deletions) are applied at once with
``reconcile`` under the endpoint's lock.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..errors import NotFound
from ..reconciler import Reconciler
from .keys import KeyFiles, fingerprint, is_fingerprint
from .rows import EndpointRows
from .tables import DeploymentRow, EndpointRow

log = logging.getLogger("jupyter_mlservice.endpoints")

HEALTH_INTERVAL_S = 2.0
NO_DEPLOYMENT = "no deployment yet: add one (POST /endpoints/{name}/deployments)"


class EndpointController(Reconciler):
    name = "mlservice-endpoints"
    interval = HEALTH_INTERVAL_S
    stop_timeout = 10.0

    def __init__(self, rows: EndpointRows, endpoints_dir: Path, secrets: KeyFiles | None = None, max_request_bytes: int = 16 * 2**20):
        super().__init__()
        self.rows = rows
        self.store = rows.store
        self.dir = endpoints_dir
        self.secrets = secrets or KeyFiles(endpoints_dir.parent / "secrets" / "endpoints")
        self.max_request_bytes = max_request_bytes  # scoring requests above this get 413
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._dirty: set[str] = set()
        self._busy: set[str] = set()
        self._recovered = False
        self.environments = None  # EnvironmentService (builds deployments' environments), set by the workspace

    def lock(self, endpoint: str) -> threading.Lock:
        """Held while an endpoint's rows and processes change together."""
        with self._guard:
            return self._locks.setdefault(endpoint, threading.Lock())

    def reconcile_soon(self, endpoint: str) -> None:
        """Roll out the endpoint's rows in the background (a deployment was added or changed)."""
        with self._guard:
            self._dirty.add(endpoint)
        self.wake()

    # ---- the loop ------------------------------------------------------------------------------

    def on_start(self) -> None:
        self._move_keys_out_of_the_store()
        self._recovered = False
        self.wake()  # the first tick at once: endpoints come back as soon as the server is up

    def _move_keys_out_of_the_store(self) -> None:
        """Stores written before keys had their own files held them in clear: move them out."""
        with self.store.session() as s:
            for ep in s.scalars(select(EndpointRow)):
                if not (is_fingerprint(ep.primary_key) and is_fingerprint(ep.secondary_key)):
                    self.secrets.put(ep.name, ep.primary_key, ep.secondary_key)
                    ep.primary_key, ep.secondary_key = fingerprint(ep.primary_key), fingerprint(ep.secondary_key)
                    log.info("endpoint %s: keys moved from the store to the workspace's secret files", ep.name)

    def tick(self) -> None:
        names = self.rows.names()
        with self._guard:
            if not self._recovered:  # after a (re)start: bring every endpoint back
                self._recovered = True
                self._dirty.update(names)
            dirty = {n for n in self._dirty if n not in self._busy}
            self._dirty -= dirty
            self._busy |= dirty
        for name in names:
            if self.stopping:
                return
            if name in dirty:
                threading.Thread(target=self._rollout, args=(name,), name=f"reconcile-{name}", daemon=True).start()
                continue
            try:
                self._heal(name)
            except Exception:
                log.exception("health check of endpoint %s failed", name)
        self._route_all_traffic()

    def _rollout(self, endpoint: str) -> None:
        try:
            with self.lock(endpoint):
                self.reconcile(endpoint)
        except NotFound:
            pass
        except Exception:
            log.exception("reconciling endpoint %s failed", endpoint)
        finally:
            with self._guard:
                self._busy.discard(endpoint)
            self.wake()  # a deployment may be Healthy now and waiting for its traffic

    def _heal(self, endpoint: str) -> None:
        lock = self.lock(endpoint)
        if not lock.acquire(blocking=False):
            return  # a change is being rolled out
        try:
            rows = self.rows.deployments(endpoint)
            if not any(r.applied for r in rows):
                return
            process = self.attach(endpoint)
            if process is None:
                log.warning("endpoint %s is not running; starting it again", endpoint)
                self.reconcile(endpoint)
            else:
                self._observe(endpoint, process)
        finally:
            lock.release()

    def _route_all_traffic(self) -> None:
        with self.store.session() as s:
            pending = list(s.execute(select(DeploymentRow.endpoint, DeploymentRow.name).where(DeploymentRow.all_traffic.is_(True))))
        for endpoint, name in pending:
            lock = self.lock(endpoint)
            if not lock.acquire(blocking=False):
                continue  # a rollout is going on; the next tick looks again
            try:
                self._route(endpoint, name)
            except NotFound:
                pass
            except Exception:
                log.exception("routing the traffic of endpoint %s to %s failed", endpoint, name)
            finally:
                lock.release()

    def _route(self, endpoint: str, name: str) -> None:
        row = self.rows.deployment_or_none(endpoint, name)
        if row is None or not row.all_traffic:
            return
        if row.status == "Failed":
            log.info("deployment %s/%s failed; it does not take the endpoint's traffic", endpoint, name)
            self.rows.set_deployment(endpoint, name, all_traffic=False)
            self.rows.changed(endpoint, "updated", name, row.status)
            return
        if row.status != "Healthy" or row.applied != row.spec:
            return  # not serving what was asked yet
        with self.store.session() as s:
            ep = self.rows.endpoint(endpoint, s)
            ep.traffic = {name: 100}
            ep.mirror_traffic = {k: v for k, v in (ep.mirror_traffic or {}).items() if k != name}
        log.info("deployment %s/%s is Healthy: it takes all traffic of the endpoint", endpoint, name)
        self.rows.changed(endpoint, "traffic", name, "Healthy")
        self.reconcile(endpoint)
        # The request is done once the endpoint serves the new split, so a client waiting on it
        # (the SDK, the CLI) finds the traffic moved; a server that stops before this line rolls
        # out the same split again on its next tick.
        self.rows.set_deployment(endpoint, name, all_traffic=False)
        self.rows.changed(endpoint, "updated", name, "Healthy")

    # ---- making processes match rows -----------------------------------------------------------

    def attach(self, endpoint: str):
        from ..serving import EndpointProcess

        return EndpointProcess.attach(self.dir / endpoint)

    def stop_serving(self, endpoint: str) -> None:
        process = self.attach(endpoint)
        if process is not None:
            process.stop()

    def reconcile(self, endpoint: str) -> None:
        """Make the endpoint's processes serve what the store says. Caller holds the lock."""
        from ..serving import EndpointFailed, EndpointProcess
        from ..serving.supervisor import ROLLOUT_TIMEOUT_S

        ep = self.rows.endpoint(endpoint)
        rows = self.rows.deployments(endpoint)
        changing = {r.name for r in rows if r.status in ("Creating", "Updating")}
        config = self._config(ep, rows)
        process = self.attach(endpoint)
        if config is None:
            if process is not None:
                process.stop()
            self.rows.set_endpoint(endpoint, "Unhealthy", NO_DEPLOYMENT if not rows else None)
            return
        # Only the first deployment of a new endpoint gets its traffic by default.
        if not ep.traffic and config.traffic:
            with self.store.session() as s:
                self.rows.endpoint(endpoint, s).traffic = dict(config.traffic)
            self.rows.changed(endpoint, "traffic", None, ep.status)
        try:
            self._build_environments(rows, changing)
            if process is None:
                process = EndpointProcess.start(config, self.dir / endpoint, timeout=ROLLOUT_TIMEOUT_S)
            else:
                process.reconfigure(config, timeout=ROLLOUT_TIMEOUT_S)
        except EndpointFailed as exc:
            reason = str(exc)
            for name in changing:
                self.rows.set_deployment(endpoint, name, status="Failed", error=_short(reason))
            self.rows.set_endpoint(endpoint, "Unhealthy", _short(reason))
            # keep serving what worked before
            fallback = self._config(ep, self.rows.deployments(endpoint), use_applied=changing)
            if fallback is not None and self.attach(endpoint) is None:
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
                self.rows.set_deployment(endpoint, name, status="Failed", error=_short(dep.reason or "failed to load"))
        self._observe(endpoint, process)

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
                    collect=self._collect_config(ep.name, spec.get("collect")),
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
        primary, secondary = self.secrets.get(ep.name)
        return EndpointConfig(
            name=ep.name, host=ep.host, port=ep.port, auth_mode=ep.auth_mode, primary_key=primary,
            secondary_key=secondary, deployments=deployments, traffic=traffic,
            mirror_traffic={k: v for k, v in (ep.mirror_traffic or {}).items() if k in names},
            max_request_bytes=self.max_request_bytes,
        )

    def _collect_config(self, endpoint: str, collect: dict[str, Any] | None):
        """Where the deployment's workers record what they score (monitoring), if it collects."""
        if not collect:
            return None
        from ..monitoring.collection import collected_dir
        from ..serving.config import CollectConfig

        return CollectConfig(folder=str(collected_dir(self.dir.parent, endpoint)), **collect)

    def _python(self, spec: dict[str, Any]) -> str | None:
        key = spec.get("environment_key")
        return str(self.environments.cache.python(key)) if key and self.environments is not None else None

    def _build_environments(self, rows: list[DeploymentRow], changing: set[str]) -> None:
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

    def _observe(self, endpoint: str, process) -> None:
        status = process.status()
        healthy_any = False
        for name, dep in status.deployments.items():
            row = self.rows.deployment_or_none(endpoint, name)
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
                self.rows.set_deployment(endpoint, name, **values)
        self.rows.set_endpoint(endpoint, "Healthy" if healthy_any else "Unhealthy", status.rollout_error)


def _short(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
