"""Ray compute: jobs run on a Ray cluster through the Ray Jobs API.

Two modes. *managed*: the service starts a local Ray head for the target (see ``ray/head.py``),
optionally with an autoscaler whose worker nodes are local processes; *attached*: an existing
cluster's dashboard address (``http://host:8265``, as served by KubeRay or ``ray up``).

A job attempt becomes one Ray job whose submission id is chosen here
(``mls-<job id>-<attempt>``) and stored in the handle, so a restarted server finds it again.
The code snapshot ships as the job's ``working_dir``; ``resources`` become the entrypoint's
resource requests; ``instance_count > 1`` runs the command once per instance through
``ray/multinode.py``. One watcher thread per cluster polls the jobs' status and copies their
logs into the job's own log file while they run (Ray drops a job's logs when its node goes).

``import ray`` happens only when a job is submitted, so a server without ray targets does not
pay for it. Status, logs and stop speak the dashboard's REST API directly.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shlex
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import requests
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import InvalidRequest
from .base import ComputeBackend, LaunchSpec, Observation, register_backend
from .ray.head import ManagedHead, node_resources

log = logging.getLogger("jupyter_mlservice.ray")

SECRET_PREFIX = "secret:"
POLL_S = 0.25
LOG_POLL_S = 1.0
SUBMIT_RETRY_S = 30.0
# Cancelled while PENDING: upstream stop of a pending job is unreliable, so keep stopping it.
ZOMBIE_WATCH_S = 600.0


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu: float = Field(1, ge=0, description="CPU cores of the node.")
    gpu: float = Field(0, ge=0, description="GPUs of the node.")
    memory: int | str | None = Field(None, description="Memory for tasks, bytes or `4Gi`.")
    custom: dict[str, float] = Field(default_factory=dict, description="Custom resources, e.g. `{\"tpu\": 1}`.")

    @field_validator("memory")
    @classmethod
    def _bytes(cls, v):
        from ..schemas import parse_bytes

        return None if v is None else parse_bytes(v)


class RaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["managed", "attached"] = Field(
        "managed", description="managed: the service runs a local Ray head; attached: an existing cluster."
    )
    address: str | None = Field(None, description="attached: the cluster's dashboard address, `http://host:8265`.")
    auth_token: str | None = Field(
        None, description="attached: the cluster's token (RAY_AUTH_MODE=token); stored apart, shown as secret:..."
    )
    head: NodeSpec = Field(default_factory=lambda: NodeSpec(cpu=1), description="managed: the head node's resources.")
    node: NodeSpec | None = Field(None, description="managed: the resources of each autoscaled worker node.")
    min_nodes: int = Field(0, ge=0, le=1000, description="Worker nodes kept up even when idle.")
    max_nodes: int = Field(0, ge=0, le=1000, description="Most worker nodes the autoscaler starts.")
    idle_timeout_s: float = Field(60, ge=0, description="A worker node idle this long is removed.")
    object_store_memory: int | None = Field(None, ge=78_643_200, description="managed: object store bytes per node.")
    pending_timeout_s: float = Field(
        600, gt=0, description="A job still PENDING on the cluster after this many seconds fails."
    )
    tracking_uri: str | None = Field(
        None, description="MLflow tracking URI as the nodes reach it; default the workspace's (same machine/FS)."
    )
    python: str | None = Field(
        None, description="Python on the nodes; default this server's interpreter (managed) or `python` (attached)."
    )
    runtime_env: dict[str, Any] = Field(default_factory=dict, description="Extra Ray runtime_env (pip, env_vars...).")

    @model_validator(mode="after")
    def _check(self):
        if self.mode == "attached":
            if not self.address or not self.address.startswith(("http://", "https://")):
                raise ValueError("attached mode needs address, the dashboard URL such as http://head:8265")
        else:
            if self.address:
                raise ValueError("address is for attached mode; a managed target starts its own head")
            if self.auth_token:
                raise ValueError("auth_token is for attached mode; a managed head makes its own token")
            if self.max_nodes and self.node is None:
                raise ValueError("max_nodes > 0 needs node (the resources of a worker node)")
        if self.min_nodes > self.max_nodes:
            raise ValueError("min_nodes must not exceed max_nodes")
        if "working_dir" in self.runtime_env:
            raise ValueError("runtime_env.working_dir is set per job from its code snapshot; remove it")
        return self


def submission_id(job_id: str, attempt: int) -> str:
    return f"mls-{job_id}-{attempt}"


class _Cluster:
    """The dashboard REST API of one cluster, and the watcher of the jobs we run there."""

    def __init__(self, backend: "RayBackend", address: str, token: str | None):
        self.backend = backend
        self.address = address.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self._client = None
        self._client_lock = threading.Lock()

    def get(self, path: str, timeout: float = 10) -> Any:
        r = self.session.get(self.address + path, timeout=timeout)
        if r.status_code == 404:
            return None
        _raise_for(r)
        return r.json()

    def info(self, sid: str) -> dict[str, Any] | None:
        return self.get(f"/api/jobs/{sid}")

    def logs(self, sid: str) -> str:
        data = self.get(f"/api/jobs/{sid}/logs", timeout=30)
        return (data or {}).get("logs", "")

    def stop(self, sid: str) -> None:
        r = self.session.post(self.address + f"/api/jobs/{sid}/stop", timeout=10)
        if r.status_code not in (200, 404):
            _raise_for(r)

    def submit(self, **kwargs: Any) -> str:
        with self._client_lock:
            if self._client is None:
                from ray.job_submission import JobSubmissionClient  # heavy: only when needed

                self._client = JobSubmissionClient(self.address, headers=dict(self.session.headers))
        return self._client.submit_job(**kwargs)


def _raise_for(r: requests.Response) -> None:
    if r.status_code in (401, 403):
        raise PermissionError(f"the Ray cluster refused the request ({r.status_code}); check the target's auth_token")
    r.raise_for_status()


class _Watch:
    """What the backend keeps in memory about one submitted attempt."""

    def __init__(self, handle: dict[str, Any]):
        self.handle = handle
        self.sid: str = handle["submission_id"]
        self.submitted = threading.Event()
        self.submit_error: str | None = None
        self.status: str | None = None  # Ray's: PENDING RUNNING SUCCEEDED FAILED STOPPED
        self.info: dict[str, Any] = {}
        self.cancel_requested = False
        self.log_chars = _read_int(Path(handle["log_state"]))
        self.last_log = 0.0
        self.final_logs = False


@register_backend
class RayBackend(ComputeBackend):
    type = "ray"
    Settings = RaySettings

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = self.workspace_dir / "ray"
        self._heads: dict[str, ManagedHead] = {}
        self._clusters: dict[tuple[str, str], _Cluster] = {}
        self._watches: dict[str, _Watch] = {}
        self._zombies: dict[str, tuple[dict[str, Any], float]] = {}
        self._lock = threading.RLock()
        self._submitter = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ray-submit")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- settings and secrets ----------------------------------------------------------------

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        clean = super().validate_settings(settings)
        token = clean.get("auth_token")
        if token and not token.startswith(SECRET_PREFIX):
            # The token lives in a file only the server can read; settings (shown by the API,
            # stored on the target row) keep a reference to it.
            ref = secrets.token_hex(8)
            path = self._secret_path(ref)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(token)
            clean["auth_token"] = SECRET_PREFIX + ref
        elif token and not self._secret_path(token[len(SECRET_PREFIX):]).exists():
            raise InvalidRequest("settings.auth_token refers to a secret this server does not have; give the token again")
        return clean

    def _secret_path(self, ref: str) -> Path:
        if not ref.isalnum():
            raise InvalidRequest("settings.auth_token: malformed secret reference")
        return self.folder / "secrets" / f"{ref}.token"

    def _token(self, ref: str | None) -> str | None:
        if not ref:
            return None
        if ref.startswith("managed:"):
            return self._head(ref[len("managed:"):], None).token()
        return self._secret_path(ref[len(SECRET_PREFIX):]).read_text().strip()

    # ---- heads and clusters ------------------------------------------------------------------

    def _head(self, target: str, settings: dict[str, Any] | None) -> ManagedHead:
        with self._lock:
            head = self._heads.get(target)
            if head is None:
                head = self._heads[target] = ManagedHead(self.folder / _safe(target), target, settings or {})
            elif settings is not None:
                head.settings = settings
            return head

    def _cluster(self, address: str, token_ref: str | None) -> _Cluster:
        key = (address, token_ref or "")
        with self._lock:
            cluster = self._clusters.get(key)
            if cluster is None:
                cluster = self._clusters[key] = _Cluster(self, address, self._token(token_ref))
            return cluster

    def target_created(self, name: str, settings: dict[str, Any]) -> None:
        if settings.get("mode") == "managed":
            self._head(name, settings).ensure()  # starts in the background; status says when ready

    def target_deleted(self, name: str, settings: dict[str, Any]) -> None:
        if settings.get("mode") == "managed":
            head = self._head(name, settings)
            head.stop()
            with self._lock:
                self._heads.pop(name, None)
        ref = settings.get("auth_token")
        if ref and ref.startswith(SECRET_PREFIX):
            self._secret_path(ref[len(SECRET_PREFIX):]).unlink(missing_ok=True)

    def shutdown(self) -> None:
        """Stop watching. A managed head is stopped unless jobs still run on it: those keep
        running and the next server re-attaches to them (and to the head, via head.json)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._submitter.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            busy = {w.handle.get("target") for w in self._watches.values() if w.handle.get("managed")}
            heads = dict(self._heads)
        for name, head in heads.items():
            if name in busy:
                log.info("ray target %s: jobs still run on its head; leaving it up for the next server", name)
                continue
            head.stop()

    # ---- capacity and checks -----------------------------------------------------------------

    def capacity(self, settings: dict[str, Any]) -> int | None:
        return None  # the cluster queues jobs itself

    def check_job(self, settings: dict[str, Any], spec: dict[str, Any]) -> None:
        res = spec.get("resources") or {}
        want = _ray_resources(res)
        if settings.get("mode") != "managed":
            return  # an attached cluster's node types are not known here; pending_timeout_s guards
        offers = [("the head", node_resources(settings.get("head") or {"cpu": 1}))]
        if int(settings.get("max_nodes") or 0) > 0 and settings.get("node"):
            offers.append(("a worker node", node_resources(settings["node"])))
        if not any(_fits(want, offer) for _, offer in offers):
            described = "; ".join(f"{name}: {_describe(offer)}" for name, offer in offers)
            raise InvalidRequest(
                f"no node of this target can run the job: it asks for {_describe(want)} per instance, "
                f"and the nodes offer {described}. Lower `resources` or give the target bigger nodes "
                "(settings.node / settings.head)"
            )

    # ---- launch ------------------------------------------------------------------------------

    def launch(self, target: str, settings: dict[str, Any], spec: LaunchSpec) -> dict[str, Any]:
        managed = settings.get("mode") == "managed"
        if managed:
            head = self._head(target, settings)
            head.ensure()
            address, token_ref = None, f"managed:{target}"
        else:
            address, token_ref = settings["address"], settings.get("auth_token")
        log_state = spec.job_dir / f"ray-log-chars-{spec.attempt}"
        log_state.unlink(missing_ok=True)
        handle = {
            "submission_id": submission_id(spec.job_id, spec.attempt),
            "target": target,
            "managed": managed,
            "address": address,
            "token": token_ref,  # a reference to a token file, never the token
            "log_path": str(spec.log_path),
            "log_state": str(log_state),
            "submitted_at": time.time(),
            "pending_timeout_s": float(settings.get("pending_timeout_s") or 600),
        }
        watch = _Watch(handle)
        with self._lock:
            self._watches[handle["submission_id"]] = watch
        self._ensure_thread()
        self._submitter.submit(self._submit, watch, settings, spec)
        return handle

    def _submit(self, watch: _Watch, settings: dict[str, Any], spec: LaunchSpec) -> None:
        handle = watch.handle
        try:
            if handle["managed"]:
                head = self._head(handle["target"], settings)
                head.ensure()
                if not head.wait_ready(timeout=600) or head.status != "ready":
                    raise RuntimeError(head.error or "the managed Ray head is not running")
            cluster = self._cluster(self._address(handle), handle["token"])
            kwargs = self._job_request(settings, spec, handle)
            deadline = time.monotonic() + SUBMIT_RETRY_S
            while True:
                if watch.cancel_requested:
                    raise RuntimeError("canceled before it reached the cluster")
                try:
                    cluster.submit(**kwargs)
                    break
                except Exception as exc:
                    text = str(exc).lower()
                    if "already" in text and "exist" in text:
                        break  # submitted by an earlier try whose answer was lost
                    if "authentication" in text or "401" in text or "403" in text:
                        raise PermissionError("the Ray cluster refused our token; check the target's auth_token") from exc
                    # A head that just started may not have its job agent yet (HTTP 503).
                    if time.monotonic() > deadline or isinstance(exc, (PermissionError, ValueError, TypeError)):
                        raise
                    time.sleep(1.0)
        except Exception as exc:
            log.warning("could not submit %s: %s", handle["submission_id"], exc)
            watch.submit_error = str(exc) or type(exc).__name__
        finally:
            watch.submitted.set()
            self.notify()

    def _job_request(self, settings: dict[str, Any], spec: LaunchSpec, handle: dict[str, Any]) -> dict[str, Any]:
        managed = handle["managed"]
        python = settings.get("python") or (sys.executable if managed else "python")
        argv = [python if a == sys.executable else a for a in spec.argv]
        env = {"RAY_COLOR_PREFIX": "0", **spec.env}
        if not managed:
            env.pop("PATH", None)  # the server's PATH means nothing on the cluster's nodes
        if settings.get("tracking_uri"):
            env["MLFLOW_TRACKING_URI"] = settings["tracking_uri"]
            env["MLFLOW_REGISTRY_URI"] = settings["tracking_uri"]
        extra = dict(settings.get("runtime_env") or {})
        env.update(extra.pop("env_vars", {}) or {})
        runtime_env: dict[str, Any] = {**extra, "env_vars": {k: str(v) for k, v in env.items()}}
        # The snapshot ships to the node; a job without one (a notebook beside its source, a
        # command in the root) runs in place, which needs the same filesystem on the node.
        if spec.cwd.resolve().is_relative_to(spec.job_dir.resolve()):
            runtime_env["working_dir"] = str(spec.cwd)
            prefix = ""
        else:
            prefix = f"cd {shlex.quote(str(spec.cwd))} && "
        instances = spec.instance_count
        want = _ray_resources(spec.resources or {})
        kwargs: dict[str, Any] = {"submission_id": handle["submission_id"], "runtime_env": runtime_env,
                                  "metadata": {"mlservice_job": spec.job_id, "attempt": str(spec.attempt)}}
        if instances > 1:
            launcher = [python, "-m", "jupyter_mlservice.core.compute.ray.multinode", "--instances", str(instances),
                        "--resources", json.dumps(want), "--"]
            kwargs["entrypoint"] = prefix + shlex.join(launcher + argv)
            kwargs["entrypoint_num_cpus"] = 0
        else:
            kwargs["entrypoint"] = prefix + shlex.join(argv)
            kwargs["entrypoint_num_cpus"] = want.pop("CPU", 0)
            kwargs["entrypoint_num_gpus"] = want.pop("GPU", 0) or None
            if want.get("memory"):
                kwargs["entrypoint_memory"] = int(want.pop("memory"))
            if want:
                kwargs["entrypoint_resources"] = want
        return kwargs

    # ---- observe -----------------------------------------------------------------------------

    def _watch(self, handle: dict[str, Any]) -> _Watch:
        sid = handle["submission_id"]
        with self._lock:
            watch = self._watches.get(sid)
            if watch is None:  # launched by an earlier server process
                watch = self._watches[sid] = _Watch(handle)
                watch.submitted.set()
        self._ensure_thread()
        return watch

    def observe(self, handle: dict[str, Any]) -> Observation:
        watch = self._watch(handle)
        if not watch.submitted.is_set():
            return self._pending_or_timeout(watch)
        if watch.submit_error:
            if watch.cancel_requested:
                return Observation("exited", reason="canceled before it reached the cluster")
            return Observation("lost", reason=f"could not submit the job to the Ray cluster: {watch.submit_error}")
        if watch.status is None:
            self._refresh(watch)
        status = watch.status
        if status == "MISSING":
            return Observation("lost", reason="the Ray cluster has no record of this job (its head was stopped, restarted or replaced)")
        if status in (None, "PENDING"):
            if watch.cancel_requested:
                return Observation("exited", reason="canceled while pending on the cluster")
            return self._pending_or_timeout(watch)
        if status == "RUNNING":
            return Observation("running")
        if not watch.final_logs:
            self._copy_logs(watch, final=True)
        code = watch.info.get("driver_exit_code")
        if status == "SUCCEEDED":
            return Observation("exited", exit_code=0 if code is None else code)
        message = (watch.info.get("message") or "").strip()
        if status == "STOPPED":
            return Observation("exited", exit_code=code, reason=f"the job was stopped on the Ray cluster ({message or 'ray job stop'})")
        if code is None or code == 0:
            return Observation("exited", exit_code=code, reason=f"the Ray job failed: {message or 'no reason given'}")
        return Observation("exited", exit_code=code)

    def _pending_or_timeout(self, watch: _Watch) -> Observation:
        h = watch.handle
        waited = time.time() - h["submitted_at"]
        if waited > h["pending_timeout_s"]:
            self._stop_later(h)
            return Observation(
                "exited",
                reason=(
                    f"still PENDING on the Ray cluster after {h['pending_timeout_s']:g} s (pending_timeout_s): no node "
                    "could take its resource request, or the cluster could not add one. Check the target's nodes and "
                    "max_nodes, or lower `resources`"
                ),
            )
        return Observation("pending")

    def cancel(self, handle: dict[str, Any]) -> None:
        watch = self._watch(handle)
        watch.cancel_requested = True
        if watch.submitted.is_set() and not watch.submit_error:
            self._stop_later(handle)
        self.notify()

    def release(self, handle: dict[str, Any]) -> None:
        with self._lock:
            self._watches.pop(handle.get("submission_id"), None)

    def _stop_later(self, handle: dict[str, Any]) -> None:
        with self._lock:
            self._zombies.setdefault(handle["submission_id"], (handle, time.monotonic()))

    # ---- the watcher -------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, name="ray-watch", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(POLL_S):
            with self._lock:
                watches = [w for w in self._watches.values() if w.submitted.is_set() and not w.submit_error]
                zombies = list(self._zombies.items())
            for watch in watches:
                if watch.status in ("SUCCEEDED", "FAILED", "STOPPED", "MISSING"):
                    continue
                before = watch.status
                try:
                    self._refresh(watch)
                except Exception as exc:
                    log.debug("cannot refresh %s: %s", watch.sid, exc)
                    continue
                if watch.status == "RUNNING" and time.monotonic() - watch.last_log > LOG_POLL_S:
                    self._copy_logs(watch)
                if watch.status != before:
                    self.notify()
            for sid, (handle, since) in zombies:
                self._stop_zombie(sid, handle, since)

    def _address(self, handle: dict[str, Any]) -> str | None:
        """Where the job's cluster answers; for a managed head, wherever it runs now."""
        if not handle.get("managed"):
            return handle["address"]
        head = self._head(handle["target"], None)
        if head.status != "ready":
            head.attach()
        return head.state.dashboard_url if head.status == "ready" and head.state else None

    def _refresh(self, watch: _Watch) -> None:
        h = watch.handle
        address = self._address(h)
        if address is None:
            if h.get("managed") and self._head(h["target"], None).status in ("stopped", "failed"):
                watch.status = "MISSING"
            return
        info = self._cluster(address, h["token"]).info(watch.sid)
        if info is None:
            watch.status = "MISSING"
            return
        watch.info = info
        watch.status = info.get("status")

    def _copy_logs(self, watch: _Watch, final: bool = False) -> None:
        """Append what Ray has of the job's log beyond what we already copied."""
        h = watch.handle
        watch.last_log = time.monotonic()
        try:
            address = self._address(h)
            if address is None:
                return
            text = self._cluster(address, h["token"]).logs(watch.sid)
        except Exception as exc:
            log.debug("cannot read logs of %s: %s", watch.sid, exc)
            return
        if final:
            watch.final_logs = True
        if len(text) <= watch.log_chars:
            return
        new = text[watch.log_chars:]
        with open(h["log_path"], "a", encoding="utf-8", errors="replace") as f:
            f.write(new)
        watch.log_chars = len(text)
        Path(h["log_state"]).write_text(str(watch.log_chars))

    def _stop_zombie(self, sid: str, handle: dict[str, Any], since: float) -> None:
        try:
            address = self._address(handle)
            if address is None:
                return
            cluster = self._cluster(address, handle["token"])
            info = cluster.info(sid)
            if info is None or info.get("status") in ("SUCCEEDED", "FAILED", "STOPPED"):
                with self._lock:
                    self._zombies.pop(sid, None)
                return
            cluster.stop(sid)
        except Exception as exc:
            log.debug("stop of %s failed: %s", sid, exc)
        if time.monotonic() - since > ZOMBIE_WATCH_S:
            with self._lock:
                self._zombies.pop(sid, None)

    # ---- status for the Compute panel --------------------------------------------------------

    def target_status(self, name: str, settings: dict[str, Any]) -> dict[str, Any]:
        """``{mode, state, address, error, nodes: [...], queued_jobs: [...], running_jobs: [...],
        autoscaling: {min_nodes, max_nodes, idle_timeout_s, node}}`` -- see the README."""
        out: dict[str, Any] = {
            "mode": settings.get("mode"),
            "autoscaling": {k: settings.get(k) for k in ("min_nodes", "max_nodes", "idle_timeout_s", "node")},
            "nodes": [],
            "queued_jobs": [],
            "running_jobs": [],
        }
        if settings.get("mode") == "managed":
            head = self._head(name, settings)
            head.ensure()
            out["state"], out["error"] = head.status, head.error
            if head.status != "ready":
                return out
            address, token_ref = head.state.dashboard_url, f"managed:{name}"
        else:
            address, token_ref = settings["address"], settings.get("auth_token")
            out["state"], out["error"] = "ready", None
        out["address"] = address
        cluster = self._cluster(address, token_ref)
        try:
            nodes = ((cluster.get("/api/v0/nodes?detail=1") or {}).get("data") or {}).get("result", {}).get("result", [])
            usage = (((cluster.get("/api/cluster_status") or {}).get("data") or {}).get("clusterStatus") or {}).get("loadMetricsReport") or {}
        except Exception as exc:
            out["state"], out["error"] = "unreachable", f"the Ray dashboard at {address} did not answer: {exc}"
            return out
        by_node = usage.get("usageByNode") or {}
        for n in nodes:
            total = {k: v for k, v in (n.get("resources_total") or {}).items() if not k.startswith("node:")}
            used = {}
            for key in (n.get("node_id"), n.get("node_ip")):
                for res, pair in (by_node.get(key) or {}).items():
                    if isinstance(pair, list) and len(pair) == 2:
                        used[res] = pair[0]
            util = {r: round(used.get(r, 0.0) / t, 3) for r, t in total.items() if r in ("CPU", "GPU", "memory") and t}
            out["nodes"].append({
                "node_id": n.get("node_id"),
                "ip": n.get("node_ip"),
                "is_head": bool(n.get("is_head_node")),
                "state": n.get("state"),
                "node_type": (n.get("labels") or {}).get("ray.io/node-group") or ("head" if n.get("is_head_node") else "worker"),
                "resources": total,
                "used": used,
                "utilisation": util,
            })
        out["resource_demand"] = usage.get("resourceDemand") or []
        with self._lock:
            watches = [w for w in self._watches.values() if w.handle.get("target") == name]
        now = time.time()
        for w in watches:
            entry = {"submission_id": w.sid, "job_id": w.sid.split("-", 1)[1].rsplit("-", 1)[0],
                     "since_s": round(now - w.handle["submitted_at"], 1)}
            if w.status == "RUNNING":
                out["running_jobs"].append(entry)
            elif w.status in (None, "PENDING"):
                out["queued_jobs"].append(entry)
        return out


# ---- helpers ---------------------------------------------------------------------------------


def _ray_resources(res: dict[str, Any]) -> dict[str, float]:
    want: dict[str, float] = {"CPU": float(1 if res.get("cpu") is None else res["cpu"])}
    if res.get("gpu"):
        want["GPU"] = float(res["gpu"])
    if res.get("memory"):
        want["memory"] = float(res["memory"])
    want.update({k: float(v) for k, v in (res.get("custom") or {}).items()})
    return want


def _fits(want: dict[str, float], offer: dict[str, float]) -> bool:
    for k, v in want.items():
        if v <= 0:
            continue
        if k == "memory" and "memory" not in offer:
            continue  # Ray gives a node most of its host's memory unless told otherwise
        if offer.get(k, 0.0) < v:
            return False
    return True


def _describe(res: dict[str, float]) -> str:
    parts = []
    for k, v in res.items():
        if k == "object_store_memory":
            continue
        if k == "memory":
            parts.append(f"memory={v / 2**30:.3g}Gi")
        else:
            parts.append(f"{k.lower() if k in ('CPU', 'GPU') else k}={v:g}")
    return ", ".join(parts) or "nothing"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0
