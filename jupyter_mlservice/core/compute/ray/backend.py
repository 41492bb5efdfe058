"""Ray compute: jobs run on a Ray cluster through the Ray Jobs API.

Two modes. *managed*: the service starts a local Ray head for the target (see ``ray/head.py``),
optionally with an autoscaler whose worker nodes are local processes; *attached*: an existing
cluster's dashboard address (``http://host:8265``, as served by KubeRay or ``ray up``).

A job attempt becomes one Ray job whose submission id is chosen here
(``mls-<job id>-<attempt>``) and stored in the handle, so a restarted server finds it again.
The code snapshot ships as the job's ``working_dir``; ``resources`` become the entrypoint's
resource requests; ``instance_count > 1`` runs the command once per instance through
``ray/multinode.py``. A job in an environment carries it in its ``runtime_env`` (the lock; the
node that runs it builds it once: ``environments/enter.py``). The parts: ``settings.py`` (what a target's settings mean),
``client.py`` (the Ray Jobs API of one cluster), ``watcher.py`` (a reconciler that polls the jobs'
status and copies their logs while they run), and this module, the ComputeBackend that ties them
to targets and job attempts.
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
from typing import Any

from ...errors import InvalidRequest
from ...environments.enter import ROOT_VAR
from ..base import ComputeBackend, LaunchSpec, Observation, register_backend
from .client import RayCluster, submission_id
from .head import ManagedHead, node_resources
from .settings import RaySettings, describe, fits, ray_resources
from .watcher import RayWatcher, Watch

log = logging.getLogger("jupyter_mlservice.ray")

SECRET_PREFIX = "secret:"


@register_backend
class RayBackend(ComputeBackend):
    type = "ray"
    Settings = RaySettings
    ships_environments = True  # a job's environment goes in its runtime_env; the node builds it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = self.workspace_dir / "ray"
        self._heads: dict[str, ManagedHead] = {}
        self._clusters: dict[tuple[str, str], RayCluster] = {}
        self._lock = threading.RLock()
        self._submitter = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ray-submit")
        self.watcher = RayWatcher(self._locate, self._gone, lambda: self.notify())

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

    def _cluster(self, address: str, token_ref: str | None) -> RayCluster:
        key = (address, token_ref or "")
        with self._lock:
            cluster = self._clusters.get(key)
            if cluster is None:
                cluster = self._clusters[key] = RayCluster(address, self._token(token_ref))
            return cluster

    def _address(self, handle: dict[str, Any]) -> str | None:
        """Where the job's cluster answers; for a managed head, wherever it runs now."""
        if not handle.get("managed"):
            return handle["address"]
        head = self._head(handle["target"], None)
        if head.status != "ready":
            head.attach()
        return head.state.dashboard_url if head.status == "ready" and head.state else None

    def _locate(self, handle: dict[str, Any]) -> RayCluster | None:
        address = self._address(handle)
        return None if address is None else self._cluster(address, handle["token"])

    def _gone(self, handle: dict[str, Any]) -> bool:
        return bool(handle.get("managed")) and self._head(handle["target"], None).status in ("stopped", "failed")

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
        self.watcher.stop(timeout=10)
        self._submitter.shutdown(wait=False, cancel_futures=True)
        busy = {w.handle.get("target") for w in self.watcher.watches() if w.handle.get("managed")}
        with self._lock:
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
        want = ray_resources(res)
        if settings.get("mode") != "managed":
            return  # an attached cluster's node types are not known here; pending_timeout_s guards
        offers = [("the head", node_resources(settings.get("head") or {"cpu": 1}))]
        if int(settings.get("max_nodes") or 0) > 0 and settings.get("node"):
            offers.append(("a worker node", node_resources(settings["node"])))
        if not any(fits(want, offer) for _, offer in offers):
            described = "; ".join(f"{name}: {describe(offer)}" for name, offer in offers)
            raise InvalidRequest(
                f"no node of this target can run the job: it asks for {describe(want)} per instance, "
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
        watch = self.watcher.add(handle)
        self._submitter.submit(self._submit, watch, settings, spec)
        return handle

    def _submit(self, watch: Watch, settings: dict[str, Any], spec: LaunchSpec) -> None:
        handle = watch.handle
        try:
            if handle["managed"]:
                head = self._head(handle["target"], settings)
                head.ensure()
                if not head.wait_ready(timeout=600) or head.status != "ready":
                    raise RuntimeError(head.error or "the managed Ray head is not running")
            cluster = self._cluster(self._address(handle), handle["token"])
            cluster.submit(lambda: watch.cancel_requested, **self._job_request(settings, spec, handle))
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
        if not managed:  # the server's paths mean nothing on the cluster's nodes
            env.pop("PATH", None)
            env.pop("MLSERVICE_UV", None)
            if env.pop(ROOT_VAR, None) is not None and settings.get("environments_dir"):
                env[ROOT_VAR] = settings["environments_dir"]
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
        want = ray_resources(spec.resources or {})
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

    def observe(self, handle: dict[str, Any]) -> Observation:
        watch = self.watcher.watch(handle)
        if not watch.submitted.is_set():
            return self._pending_or_timeout(watch)
        if watch.submit_error:
            if watch.cancel_requested:
                return Observation("exited", reason="canceled before it reached the cluster")
            return Observation("lost", reason=f"could not submit the job to the Ray cluster: {watch.submit_error}")
        if watch.status is None:
            self.watcher.refresh(watch)
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
            self.watcher.copy_logs(watch, final=True)
        code = watch.info.get("driver_exit_code")
        if status == "SUCCEEDED":
            return Observation("exited", exit_code=0 if code is None else code)
        message = (watch.info.get("message") or "").strip()
        if status == "STOPPED":
            return Observation("exited", exit_code=code, reason=f"the job was stopped on the Ray cluster ({message or 'ray job stop'})")
        if code is None or code == 0:
            return Observation("exited", exit_code=code, reason=f"the Ray job failed: {message or 'no reason given'}")
        return Observation("exited", exit_code=code)

    def _pending_or_timeout(self, watch: Watch) -> Observation:
        h = watch.handle
        waited = time.time() - h["submitted_at"]
        if waited > h["pending_timeout_s"]:
            self.watcher.stop_later(h)
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
        watch = self.watcher.watch(handle)
        watch.cancel_requested = True
        if watch.submitted.is_set() and not watch.submit_error:
            self.watcher.stop_later(handle)
        self.notify()

    def release(self, handle: dict[str, Any]) -> None:
        self.watcher.forget(handle.get("submission_id"))

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
            nodes, usage = cluster.nodes(), cluster.load()
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
        now = time.time()
        for w in self.watcher.watches(name):
            entry = {"submission_id": w.sid, "job_id": w.sid.split("-", 1)[1].rsplit("-", 1)[0],
                     "since_s": round(now - w.handle["submitted_at"], 1)}
            if w.status == "RUNNING":
                out["running_jobs"].append(entry)
            elif w.status in (None, "PENDING"):
                out["queued_jobs"].append(entry)
        return out


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
