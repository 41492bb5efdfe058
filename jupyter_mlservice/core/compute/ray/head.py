"""A managed Ray head: started for a `ray` target in managed mode, supervised by PID.

The head runs as ``ray start --head --block`` in its own session, so every process it starts
(GCS, raylet, dashboard, autoscaler, the autoscaler's local worker nodes, job drivers) is in its
process group or below it. Its pid, ports and address are kept in ``<workspace>/ray/<target>/
head.json`` so that a restarted server re-attaches instead of starting a second head. It is
stopped by that pid, never with ``ray stop`` (which stops every Ray cluster on the machine).

Everything listens on 127.0.0.1 only: ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` makes Ray use the
loopback address as the node address (``--node-ip-address=127.0.0.1`` alone is rewritten by Ray
to the machine's routable address), and token authentication is on (``RAY_AUTH_MODE=token``)
with a token file readable by the owner only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

log = logging.getLogger("jupyter_mlservice.ray")

START_ATTEMPTS = 5
START_TIMEOUT_S = 150.0
STOP_GRACE_S = 25.0
# The autoscaler's node provider that runs each worker node as local processes. Its packaged
# defaults file (fake_multi_node/example.yaml) is missing from the wheel, which breaks
# `type: fake_multinode`; `type: external` loads the same class without needing it.
LOCAL_NODE_PROVIDER = "ray.autoscaler._private.fake_multi_node.node_provider.FakeMultiNodeProvider"


def ray_executable() -> str:
    cand = Path(sys.executable).with_name("ray")
    return str(cand) if cand.exists() else (shutil.which("ray") or "ray")


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


@dataclass
class HeadState:
    """What is recorded about a running head (head.json). Holds no secret."""

    pid: int
    create_time: float
    dashboard_url: str
    gcs_address: str
    temp_dir: str
    started_at: float
    config_hash: str
    extra: dict[str, Any] = field(default_factory=dict)

    def alive(self) -> bool:
        try:
            proc = psutil.Process(self.pid)
            return proc.status() != psutil.STATUS_ZOMBIE and abs(proc.create_time() - self.create_time) < 0.01
        except psutil.NoSuchProcess:
            return False


class ManagedHead:
    """One managed head per (workspace, target). Thread-safe; start() returns at once."""

    def __init__(self, folder: Path, target: str, settings: dict[str, Any]):
        self.folder = folder
        self.target = target
        self.settings = settings
        self.state: HeadState | None = None
        self.status = "stopped"  # stopped | starting | ready | failed
        self.error: str | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen | None = None
        self._stopping = False

    # ---- files -------------------------------------------------------------------------------

    @property
    def token_path(self) -> Path:
        return self.folder / "auth_token"

    @property
    def state_path(self) -> Path:
        return self.folder / "head.json"

    @property
    def log_path(self) -> Path:
        return self.folder / "head.log"

    def token(self) -> str:
        if not self.token_path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.token_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(24))
        return self.token_path.read_text().strip()

    def _load_state(self) -> HeadState | None:
        try:
            return HeadState(**json.loads(self.state_path.read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    # ---- lifecycle ---------------------------------------------------------------------------

    def ensure(self) -> None:
        """Re-attach to a recorded head or start one, in the background."""
        with self._lock:
            if self.status in ("starting", "ready") and (self.status == "starting" or (self.state and self.state.alive())):
                return
            recorded = self._load_state()
            if recorded is not None and recorded.alive():
                self.state = recorded
                if recorded.config_hash != config_hash(self.settings):
                    log.warning("ray target %s: settings changed since its head started; delete and re-create the target to apply them", self.target)
                self.status, self.error = "ready", None
                self._ready.set()
                return
            self._stopping = False
            self.status, self.error = "starting", None
            self._ready.clear()
            self._thread = threading.Thread(target=self._start, name=f"ray-head-{self.target}", daemon=True)
            self._thread.start()

    def attach(self) -> bool:
        """Re-attach to the head recorded in head.json if it still runs; never starts one."""
        with self._lock:
            if self.status == "starting":
                return False
            recorded = self._load_state()
            if recorded is not None and recorded.alive():
                self.state, self.status, self.error = recorded, "ready", None
                self._ready.set()
                return True
            if self.status == "ready":
                self.status = "stopped"
            return False

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def _start(self) -> None:
        last = ""
        for attempt in range(1, START_ATTEMPTS + 1):
            if self._stopping:
                return
            try:
                self.state = self._start_once()
                with self._lock:
                    self.status, self.error = "ready", None
                self._ready.set()
                log.info("ray target %s: head ready at %s (pid %s)", self.target, self.state.dashboard_url, self.state.pid)
                return
            except Exception as exc:  # a slow machine can time Ray's own startup out: try again
                last = str(exc)
                log.warning("ray target %s: head start attempt %d failed: %s", self.target, attempt, exc)
                self._kill_tree()
        with self._lock:
            self.status, self.error = "failed", f"the Ray head did not start ({last}); see {self.log_path}"
        self._ready.set()

    def _start_once(self) -> HeadState:
        s = self.settings
        head = s.get("head") or {}
        gcs, dash, agent_http, agent_grpc, rt_env, metrics, client, dash_metrics, as_metrics = free_ports(9)
        temp_dir = Path(tempfile.gettempdir()) / f"mlsray-{hashlib.sha1(str(self.folder).encode()).hexdigest()[:10]}"
        shutil.rmtree(temp_dir, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.token()
        cmd = [
            ray_executable(), "start", "--head", "--block",
            "--node-ip-address=127.0.0.1", f"--port={gcs}",
            "--include-dashboard=true", "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}",
            f"--dashboard-agent-listen-port={agent_http}", f"--dashboard-agent-grpc-port={agent_grpc}",
            f"--runtime-env-agent-port={rt_env}", f"--metrics-export-port={metrics}",
            f"--ray-client-server-port={client}",
            "--disable-usage-stats", f"--temp-dir={temp_dir}",
            f"--num-cpus={_num(head.get('cpu', 1))}", f"--num-gpus={_num(head.get('gpu', 0))}",
        ]
        if head.get("memory"):
            cmd.append(f"--memory={int(head['memory'])}")
        if head.get("custom"):
            cmd.append(f"--resources={json.dumps(head['custom'])}")
        if s.get("object_store_memory"):
            cmd.append(f"--object-store-memory={int(s['object_store_memory'])}")
        env = {
            **os.environ,
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN_PATH": str(self.token_path),
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # node address 127.0.0.1: nothing binds outside
            "RAY_USAGE_STATS_ENABLED": "0",
            "PYTHONUNBUFFERED": "1",
            # Fixed by default (44227/44217): two heads on one machine would collide.
            "DASHBOARD_METRIC_PORT": str(dash_metrics),
            "AUTOSCALER_METRIC_PORT": str(as_metrics),
            # Ray gives its dashboard 60 s, then `ray start` fails; a loaded machine needs longer.
            # Give it as long as we wait for the whole head (a user's setting wins).
            "RAY_DASHBOARD_STARTUP_TIMEOUT_S": os.environ.get("RAY_DASHBOARD_STARTUP_TIMEOUT_S", str(int(START_TIMEOUT_S))),
        }
        env.pop("RAY_AUTH_TOKEN", None)
        env.pop("RAY_ADDRESS", None)
        if int(s.get("max_nodes") or 0) > 0:
            config_path = self.folder / "autoscaler.json"
            config_path.write_text(json.dumps(autoscaler_config(self.target, s, f"127.0.0.1:{gcs}"), indent=1))
            cmd.append(f"--autoscaling-config={config_path}")
            env["RAY_FAKE_CLUSTER"] = "1"
            env["AUTOSCALER_UPDATE_INTERVAL_S"] = "1"
        with open(self.log_path, "ab") as out:
            out.write(f"\n--- mlservice: starting the Ray head ({time.strftime('%Y-%m-%d %H:%M:%S')})\n".encode())
            out.flush()
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                cwd=self.folder, start_new_session=True,
            )
        proc = psutil.Process(self._proc.pid)
        state = HeadState(
            pid=self._proc.pid, create_time=proc.create_time(), dashboard_url=f"http://127.0.0.1:{dash}",
            gcs_address=f"127.0.0.1:{gcs}", temp_dir=str(temp_dir), started_at=time.time(),
            config_hash=config_hash(s),
        )
        self.state = state
        self._write_state(state)
        self._wait_started(state)
        return state

    def _wait_started(self, state: HeadState) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        headers = {"Authorization": f"Bearer {self.token()}"}
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        started = False
        niced: set[int] = set()
        try:
            while time.monotonic() < deadline:
                _yield_to_agents(state.pid, niced)
                if self._step_started(state, headers, offset, started):
                    return
                started = started or self._log_says_started(offset)
                time.sleep(0.5)
        finally:
            _restore_nice(niced)
        raise RuntimeError(f"the head did not come up within {START_TIMEOUT_S:g} s")

    def _log_says_started(self, offset: int) -> bool:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(max(0, offset - 4096))
                return b"Ray runtime started" in f.read()
        except OSError:
            return False

    def _step_started(self, state: HeadState, headers: dict[str, str], offset: int, started: bool) -> bool:
        if self._stopping:
            raise RuntimeError("stopped while starting")
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(f"`ray start` exited with code {self._proc.returncode}")
        if _raylet_crashed(state.temp_dir):
            # Ray's raylet waits a fixed 15 s for its agents; on a busy machine it gives up
            # (ray-project/ray#65983). `ray start` would only notice a minute later.
            raise RuntimeError("the raylet stopped during startup (its agents were too slow to start)")
        if not started:
            return False
        try:
            return requests.get(state.dashboard_url + "/api/version", headers=headers, timeout=5).ok
        except requests.RequestException:
            return False

    def _write_state(self, state: HeadState) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state.__dict__, indent=1))
        tmp.replace(self.state_path)

    def stop(self) -> None:
        """Stop the head and everything below it, by PID. Idempotent."""
        self._stopping = True
        with self._lock:
            if self.state is None:
                self.state = self._load_state()
        self._kill_tree()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=STOP_GRACE_S + 10)
        with self._lock:
            if self.state is not None:
                shutil.rmtree(self.state.temp_dir, ignore_errors=True)
            self.state_path.unlink(missing_ok=True)
            self.state = None
            self.status = "stopped"
            self._ready.clear()

    def _kill_tree(self) -> None:
        state = self.state
        if state is None or not state.alive():
            if self._proc is not None:
                self._proc.poll()
            return
        procs = _tree(state.pid)
        try:
            os.kill(state.pid, signal.SIGTERM)  # `ray start --block` drains and stops its processes
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline:
            procs = [p for p in procs if _running(p)]
            if not procs and not _group_alive(state.pid):
                break
            time.sleep(0.2)
        for p in procs + _group(state.pid):
            try:
                p.kill()
            except psutil.Error:
                pass
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


# The raylet gives its two agents a fixed 15 s to start. While the head starts, its other Python
# processes (the dashboard's module subprocesses, autoscaler, log monitor, client server) load
# at the same time; on a busy machine they starve the agents. They run at the lowest priority
# until the head is up, so the agents get the CPU (only our own processes are deprioritised).
_AGENTS = ("raylet", "gcs_server", "dashboard/agent.py", "runtime_env/agent")


def _yield_to_agents(pid: int, niced: set[int]) -> None:
    for p in _tree(pid)[1:]:
        if p.pid in niced:
            continue
        try:
            cmd = " ".join(p.cmdline())
            if not any(a in cmd for a in _AGENTS):
                p.nice(19)
                niced.add(p.pid)
        except psutil.Error:
            continue


def _restore_nice(niced: set[int]) -> None:
    for pid in niced:
        try:
            psutil.Process(pid).nice(0)
        except psutil.Error:
            pass


def _raylet_crashed(temp_dir: str) -> bool:
    try:
        with open(Path(temp_dir) / "session_latest" / "logs" / "raylet.out", "rb") as f:
            return b"Check failed" in f.read()
    except OSError:
        return False


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _group(pgid: int) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def _group_alive(pgid: int) -> bool:
    return bool(_group(pgid))


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _num(v: Any) -> str:
    f = float(v or 0)
    return str(int(f)) if f.is_integer() else str(f)


def config_hash(settings: dict[str, Any]) -> str:
    keys = ("head", "node", "min_nodes", "max_nodes", "idle_timeout_s", "object_store_memory")
    return hashlib.sha1(json.dumps({k: settings.get(k) for k in keys}, sort_keys=True).encode()).hexdigest()[:12]


def node_resources(node: dict[str, Any], object_store_memory: int | None = None) -> dict[str, float]:
    res: dict[str, float] = {"CPU": float(node.get("cpu", 1) or 0)}
    if node.get("gpu"):
        res["GPU"] = float(node["gpu"])
    if node.get("memory"):
        res["memory"] = float(node["memory"])
    res.update({k: float(v) for k, v in (node.get("custom") or {}).items()})
    if object_store_memory:
        res["object_store_memory"] = float(object_store_memory)
    return res


def autoscaler_config(target: str, settings: dict[str, Any], gcs_address: str) -> dict[str, Any]:
    """An autoscaling config whose worker nodes are local processes (one node type: settings.node)."""
    head = settings.get("head") or {}
    node = settings.get("node") or {}
    max_nodes = int(settings.get("max_nodes") or 0)
    return {
        "cluster_name": f"mlservice-{target}",
        "max_workers": max_nodes,
        "upscaling_speed": 1.0,
        "idle_timeout_minutes": float(settings.get("idle_timeout_s", 60)) / 60.0,
        "provider": {
            "type": "external",
            "module": LOCAL_NODE_PROVIDER,
            "gcs_address": gcs_address,
            "use_node_id_as_ip": True,
            "disable_node_updaters": True,
            "disable_launch_config_check": True,
        },
        "auth": {},
        "docker": {},
        "head_node_type": "ray.head.default",
        "available_node_types": {
            "ray.head.default": {"resources": node_resources(head), "node_config": {}, "max_workers": 0},
            "ray.worker.default": {
                "resources": node_resources(node, settings.get("object_store_memory")),
                "node_config": {},
                "min_workers": int(settings.get("min_nodes") or 0),
                "max_workers": max_nodes,
            },
        },
        "file_mounts": {},
        "cluster_synced_files": [],
        "file_mounts_sync_continuously": False,
        "rsync_exclude": [],
        "rsync_filter": [],
        "initialization_commands": [],
        "setup_commands": [],
        "head_setup_commands": [],
        "worker_setup_commands": [],
        "head_start_ray_commands": [],
        "worker_start_ray_commands": [],
    }
