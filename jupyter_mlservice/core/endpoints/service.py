"""Online endpoints: create, change and delete endpoints and deployments, keys, traffic, calls.

The rows are the desired state; the controller (controller.py) makes scoring processes match
them. Changes to what serves (traffic, keys, deletions) are applied before the call returns; a
new or updated deployment rolls out in the background (status Creating/Updating -> Healthy).
"""

from __future__ import annotations

import secrets
import shutil
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..environments.usage import deployment_environment
from ..errors import Conflict, InvalidRequest, NotFound
from ..jobs.snapshot import snapshot
from ..logfile import read_from
from ..pagination import page
from ..paths import PathPolicy, relative_subpath
from ..registry import ModelService
from ..serving.config import MAX_MIRROR_PERCENT
from ..serving.model_dir import azure_layout, registered_folder_name
from ..timeutil import as_utc, utcnow
from .controller import NO_DEPLOYMENT, EndpointController
from .gpus import GpuAllocator
from .keys import fingerprint
from .schemas import (
    Deployment,
    DeploymentCreate,
    DeploymentUpdate,
    Endpoint,
    EndpointCreate,
    EndpointHistory,
    EndpointHistoryEntry,
    EndpointKeys,
    EndpointPage,
    InvokeRequest,
    InvokeResponse,
    RequestSettings,
)
from .tables import DeploymentRow, EndpointRow


class EndpointService:
    def __init__(self, controller: EndpointController, models: ModelService, root_dir: Path, host: str = "127.0.0.1",
                 max_snapshot_bytes: int = 100 * 2**20, gpu_devices: list[str] | None = None, lineage=None,
                 paths: PathPolicy | None = None):
        self.controller = controller
        self.secrets = controller.secrets  # the keys themselves; rows hold their fingerprints
        self.rows = controller.rows
        self.store = controller.store
        self.dir = controller.dir
        self.models = models
        self.lineage = lineage  # model version -> deployment edges
        self.root_dir = root_dir
        self.paths = paths or PathPolicy(root_dir, hidden=[controller.dir.parent])
        self.host = host
        self.max_snapshot_bytes = max_snapshot_bytes
        self.gpus = GpuAllocator(self.store, gpu_devices)
        self.environments = None  # EnvironmentService, set by the workspace

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
        self.rows.changed(body.name, "created", None, "Unhealthy")
        return self.get_endpoint(body.name)

    def list_endpoints(self, limit: int = 100, cursor: str | None = None) -> EndpointPage:
        with self.store.session() as s:
            rows, nxt = page(s, select(EndpointRow), [EndpointRow.name], limit, cursor)
            names = [r.name for r in rows]
        return EndpointPage(items=[self.get_endpoint(n) for n in names], next_cursor=nxt)

    def get_endpoint(self, name: str) -> Endpoint:
        ep = self.rows.endpoint(name)
        deps = self.rows.deployments(name)
        base = f"http://{ep.host}:{ep.port}"
        return Endpoint(
            name=ep.name, description=ep.description, auth_mode=ep.auth_mode, scoring_uri=f"{base}/score", base_uri=base,
            swagger_uri=f"{base}/swagger.json", status=ep.status, error=ep.error, traffic=ep.traffic or {},
            mirror_traffic=ep.mirror_traffic or {}, deployments=[d.name for d in deps], created_at=as_utc(ep.created_at),
        )

    def update_endpoint(self, name: str, description: str | None) -> Endpoint:
        with self.store.session() as s:
            ep = self.rows.endpoint(name, s)
            if description is not None:
                ep.description = description
        self.rows.changed(name, "updated", None, ep.status)
        return self.get_endpoint(name)

    def delete_endpoint(self, name: str) -> None:
        with self.controller.lock(name):
            self.rows.endpoint(name)
            self.rows.set_endpoint(name, "Deleting", None)
            self.controller.stop_serving(name)
            with self.store.session() as s:
                for row in s.scalars(select(DeploymentRow).where(DeploymentRow.endpoint == name)):
                    s.delete(row)
                s.delete(self.rows.endpoint(name, s))
            self.secrets.delete(name)
            shutil.rmtree(self.dir / name, ignore_errors=True)
        self.rows.changed(name, "deleted")

    def keys(self, name: str) -> EndpointKeys:
        self.rows.endpoint(name)
        primary, secondary = self.secrets.get(name)
        return EndpointKeys(primary=primary, secondary=secondary)

    def regenerate_key(self, name: str, which: str) -> EndpointKeys:
        with self.controller.lock(name):
            with self.store.session() as s:
                ep = self.rows.endpoint(name, s)
                if ep.auth_mode != "key":
                    raise InvalidRequest(f"endpoint {name!r} uses auth_mode {ep.auth_mode!r}; it has no keys")
                keys = dict(zip(("primary", "secondary"), self.secrets.get(name)))
                keys[which] = _key()
                setattr(ep, f"{which}_key", fingerprint(keys[which]))
                self.secrets.put(name, keys["primary"], keys["secondary"])  # committed right after
            self.controller.reconcile(name)
        self.rows.changed(name, "updated", None, ep.status)  # the event says which endpoint, never a key
        return self.keys(name)

    def set_traffic(self, name: str, traffic: dict[str, int], mirror: bool = False) -> Endpoint:
        label = "mirror_traffic" if mirror else "traffic"
        with self.controller.lock(name):
            ep = self.rows.endpoint(name)
            known = {d.name: d for d in self.rows.deployments(name)}
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
                setattr(self.rows.endpoint(name, s), label, {k: int(v) for k, v in traffic.items() if v})
            self.controller.reconcile(name)
        self.rows.changed(name, "traffic", None, ep.status)
        return self.get_endpoint(name)

    # ---- what served when ----------------------------------------------------------------------

    def history(self, name: str, at: datetime | None = None, limit: int = 100) -> EndpointHistory:
        """What the endpoint served and since when, newest first; with ``at``, the entry in force then."""
        from sqlalchemy import select

        from .tables import EndpointHistoryRow

        self.rows.endpoint(name)
        q = select(EndpointHistoryRow).where(EndpointHistoryRow.endpoint == name)
        if at is not None:
            q = q.where(EndpointHistoryRow.time <= _naive_utc(at))
            limit = 1
        with self.store.session() as s:
            rows = list(s.scalars(q.order_by(EndpointHistoryRow.time.desc(), EndpointHistoryRow.id.desc()).limit(limit)))
        if at is not None and not rows:
            raise NotFound(f"endpoint {name!r} has no history before {at.isoformat()} (it was created later)")
        return EndpointHistory(endpoint=name, items=[EndpointHistoryEntry(time=as_utc(r.time), traffic=r.traffic or {},
                                                                         mirror_traffic=r.mirror_traffic or {}, models=r.models or {})
                                                     for r in rows])

    def restore(self, name: str, at: datetime) -> Endpoint:
        """Serve again what the endpoint served at ``at``: its traffic and mirror split, provided the
        deployments that took traffic then still exist and serve the same model versions."""
        then = self.history(name, at).items[0]
        now = {d.name: d for d in self.rows.deployments(name)}
        problems = []
        for dep in sorted({*then.traffic, *then.mirror_traffic}):
            if dep not in now:
                problems.append(f"deployment {dep!r} has been deleted")
            else:
                model = f"{now[dep].spec.get('model_name')}:{now[dep].spec.get('model_version')}"
                if model != then.models.get(dep):
                    problems.append(f"deployment {dep!r} now serves {model} (it served {then.models.get(dep)})")
        if problems:
            raise Conflict(f"cannot serve again what {name!r} served at {then.time.isoformat()}: " + "; ".join(problems)
                           + "; deploy those versions again, then set the traffic")
        current = self.get_endpoint(name)
        if current.mirror_traffic and current.mirror_traffic != then.mirror_traffic:
            self.set_traffic(name, {}, mirror=True)  # so that no deployment is live and mirrored at once on the way
        if current.traffic != then.traffic:
            self.set_traffic(name, then.traffic)
        if then.mirror_traffic and self.get_endpoint(name).mirror_traffic != then.mirror_traffic:
            self.set_traffic(name, then.mirror_traffic, mirror=True)
        return self.get_endpoint(name)

    # ---- deployments ---------------------------------------------------------------------------

    def create_deployment(self, endpoint: str, body: DeploymentCreate) -> Deployment:
        self.rows.endpoint(endpoint)
        spec = self._prepare_spec(endpoint, body.name, body.model_dump(mode="json", exclude={"all_traffic"}))
        now = utcnow()
        exists = Conflict(f"endpoint {endpoint!r} already has a deployment named {body.name!r}")
        try:
            with self.gpus.allocating(), self.store.session() as s:
                if s.get(DeploymentRow, (endpoint, body.name)) is not None:
                    raise exists
                spec["gpus"] = self.gpus.allocate(endpoint, body.name, spec.get("gpu") or 0, [])
                s.add(DeploymentRow(endpoint=endpoint, name=body.name, spec=spec, applied=None, status="Creating",
                                    all_traffic=body.all_traffic, created_at=now, updated_at=now))
        except IntegrityError:  # another server process created it first
            raise exists from None
        if self.rows.endpoint(endpoint).error == NO_DEPLOYMENT:  # a deployment on the way: the endpoint is being created
            self.rows.set_endpoint(endpoint, "Creating", None)
        self._record_lineage(endpoint, body.name, spec)
        self.rows.changed(endpoint, "created", body.name, "Creating")
        self.controller.reconcile_soon(endpoint)
        return self.get_deployment(endpoint, body.name)

    def update_deployment(self, endpoint: str, name: str, body: DeploymentUpdate) -> Deployment:
        row = self.rows.deployment(endpoint, name)
        changes = body.model_dump(mode="json", exclude_unset=True, exclude={"all_traffic"})
        merged = {**{k: row.spec.get(k) for k in DeploymentCreate.model_fields}, **changes, "name": name}
        if "code" in changes or "scoring_script" in changes:
            merged.pop("code_snapshot", None)
        if row.spec.get("environment_reason") and "environment" not in changes:
            merged["environment"] = None  # chosen for the model (env_manager): chosen again for the new one
        spec = self._prepare_spec(endpoint, name, merged, previous=row.spec)
        with self.gpus.allocating(), self.store.session() as s:
            spec["gpus"] = self.gpus.allocate(endpoint, name, spec.get("gpu") or 0, row.spec.get("gpus") or [])
            live = s.get(DeploymentRow, (endpoint, name))
            live.spec, live.status, live.error, live.updated_at = spec, "Updating", None, utcnow()
            if "all_traffic" in body.model_fields_set:
                live.all_traffic = body.all_traffic
        self._record_lineage(endpoint, name, spec)
        self.rows.changed(endpoint, "updated", name, "Updating")
        self.controller.reconcile_soon(endpoint)
        return self.get_deployment(endpoint, name)

    def _record_lineage(self, endpoint: str, name: str, spec: dict[str, Any]) -> None:
        if self.lineage is not None:
            from ..lineage import DEPLOYMENT, MODEL_VERSION, Node

            self.lineage.record(Node(MODEL_VERSION, f"{spec['model_name']}:{spec['model_version']}"), Node(DEPLOYMENT, f"{endpoint}/{name}"), "deployed")

    def delete_deployment(self, endpoint: str, name: str) -> None:
        with self.controller.lock(endpoint):
            ep = self.rows.endpoint(endpoint)
            self.rows.deployment(endpoint, name)
            others = [d for d in self.rows.deployments(endpoint) if d.name != name]
            if (ep.traffic or {}).get(name) and others:
                raise Conflict(f"deployment {name!r} still gets {ep.traffic[name]}% of traffic; shift it to another deployment first")
            with self.store.session() as s:
                live = s.get(DeploymentRow, (endpoint, name))
                live.status = "Deleting"
                e = self.rows.endpoint(endpoint, s)
                e.traffic = {k: v for k, v in (e.traffic or {}).items() if k != name}
                e.mirror_traffic = {k: v for k, v in (e.mirror_traffic or {}).items() if k != name}
            self.controller.reconcile(endpoint)
            with self.store.session() as s:
                s.delete(s.get(DeploymentRow, (endpoint, name)))
            shutil.rmtree(self.dir / endpoint / "deployments" / name, ignore_errors=True)
        self.rows.changed(endpoint, "deleted", name)

    def list_deployments(self, endpoint: str) -> list[Deployment]:
        ep = self.rows.endpoint(endpoint)
        return [self._deployment_view(r, ep) for r in self.rows.deployments(endpoint)]

    def get_deployment(self, endpoint: str, name: str) -> Deployment:
        return self._deployment_view(self.rows.deployment(endpoint, name), self.rows.endpoint(endpoint))

    def logs(self, endpoint: str, name: str, offset: int = 0) -> dict[str, Any]:
        self.rows.deployment(endpoint, name)
        text, end, size = read_from(self.dir / endpoint / "logs" / f"{name}.log", offset)
        return {"text": text, "offset": end, "size": size, "complete": end >= size}

    # ---- calling and watching ------------------------------------------------------------------

    def invoke(self, endpoint: str, body: InvokeRequest) -> InvokeResponse:
        ep = self.rows.endpoint(endpoint)
        if not body.path.startswith("/"):
            raise InvalidRequest("path must start with '/', e.g. /invocations")
        headers = {"Content-Type": "application/json"}
        if ep.auth_mode == "key":
            headers["Authorization"] = f"Bearer {self.secrets.get(endpoint)[0]}"
        if body.deployment:
            self.rows.deployment(endpoint, body.deployment)
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
        text = self.prometheus_text(endpoint)
        return {"deployments": _summarize_prometheus(text) if text is not None else {}}

    def prometheus_text(self, endpoint: str) -> str | None:
        """The endpoint's live Prometheus page (None while it does not serve)."""
        ep = self.rows.endpoint(endpoint)
        headers = {"Authorization": f"Bearer {self.secrets.get(endpoint)[0]}"} if ep.auth_mode == "key" else {}
        try:
            resp = requests.get(f"http://{ep.host}:{ep.port}/metrics", headers=headers, timeout=5)
        except requests.ConnectionError:
            return None
        if resp.status_code != 200:
            raise Conflict(f"endpoint {endpoint!r} did not give its metrics ({resp.status_code}): {resp.text[:200]}")
        return resp.text

    def serving_model(self, endpoint: str, deployment: str | None = None) -> dict[str, Any] | None:
        """The local model folder (path, name, version) a deployment serves; by default the one
        with the most live traffic. None when there is none."""
        ep = self.rows.endpoint(endpoint)
        rows = [r for r in self.rows.deployments(endpoint) if (r.applied or r.spec) and r.status != "Deleting"]
        if deployment is not None:
            rows = [r for r in rows if r.name == deployment]
        if not rows:
            return None
        row = max(rows, key=lambda r: (ep.traffic or {}).get(r.name, 0))
        spec = row.applied or row.spec
        return {"path": spec["model_path"], "name": spec["model_name"], "version": str(spec["model_version"]), "deployment": row.name}

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
        model_path = folder / f"model-{mv.name}-{mv.version}"
        if not model_path.exists():
            self.models.download(f"{mv.name}:{mv.version}", model_path)
        out = {
            **spec,
            "model_name": mv.name,
            "model_version": mv.version,
            "model_path": str(model_path),
            "request_settings": RequestSettings(**(spec.get("request_settings") or {})).model_dump(),
        }
        out.update(deployment_environment(self.environments, spec, model_path, mv.name, str(mv.version)))
        out["azureml_model_dir"] = str(azure_layout(model_path, registered_folder_name(self.models.client, mv.run_id),
                                                    mv.name, str(mv.version), folder))
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
            collect=spec.get("collect"), batching=spec.get("batching"), gpu=spec.get("gpu") or 0, gpus=spec.get("gpus") or [],
            status=row.status, error=row.error, ready_workers=row.ready_workers,
            traffic=(ep.traffic or {}).get(row.name, 0), mirror_traffic=(ep.mirror_traffic or {}).get(row.name, 0),
            all_traffic_pending=bool(row.all_traffic),
            created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
        )


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def _key() -> str:
    return secrets.token_urlsafe(32)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


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
            elif sample.name == "mlservice_collected_requests_total":
                stats["collected"] = stats.get("collected", 0.0) + sample.value
            elif sample.name == "mlservice_collection_dropped_total":
                stats["collection_dropped"] = stats.get("collection_dropped", 0.0) + sample.value
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
