"""The handle a service layer holds on a running endpoint.

Example::

    ep = EndpointProcess.start(EndpointConfig(name="iris", deployments=[DeploymentConfig(
        name="blue", model_path="/models/iris/1")]), state_dir=root / "endpoints" / "iris")
    requests.post(ep.scoring_uri, json=payload, headers={"Authorization": f"Bearer {ep.config.primary_key}"})
    ep.reconfigure(new_config)  # zero downtime
    EndpointProcess.attach(state_dir)  # after a Jupyter server restart: same URI, same keys
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import psutil
from pydantic import BaseModel

from ..errors import Conflict, InvalidRequest, MLServiceError
from .config import EndpointConfig, child_env
from .metrics import read_json


class DeploymentStatus(BaseModel):
    state: Literal["Creating", "Healthy", "Unhealthy", "Failed", "Stopped"]
    reason: str | None = None
    ready_workers: int = 0
    workers: int = 0


class EndpointStatus(BaseModel):
    state: Literal["Running", "Updating", "Stopped"]
    pid: int | None = None
    host: str
    port: int
    scoring_uri: str
    generation: int = 0
    restarts: int = 0
    rollout_error: str | None = None
    deployments: dict[str, DeploymentStatus] = {}


class EndpointFailed(MLServiceError):
    """The supervisor could not start (bad port, crashed); the message carries its log tail."""


def _write_config(path: Path, config: EndpointConfig) -> None:
    tmp = path.with_name(".config.json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the keys
    with os.fdopen(fd, "w") as f:
        f.write(config.model_dump_json(indent=2))
    os.replace(tmp, path)


class EndpointProcess:
    def __init__(self, state_dir: Path, state: dict, proc: subprocess.Popen | None = None):
        self.state_dir = state_dir
        self.pid: int = state["pid"]
        self.host: str = state["host"]
        self.port: int = state["port"]
        self._create_time = state.get("create_time")
        self._proc = proc

    # ---- construction
    @classmethod
    def start(cls, config: EndpointConfig, state_dir: Path | str, timeout: float = 120.0) -> EndpointProcess:
        """Start a supervisor for ``config`` and wait until its first generation serves."""
        state_dir = Path(state_dir).resolve()
        if (running := cls.attach(state_dir)) is not None:
            raise Conflict(f"endpoint {config.name!r} already runs (pid {running.pid}); reconfigure or stop it")
        (state_dir / "logs").mkdir(parents=True, exist_ok=True)
        (state_dir / "state.json").unlink(missing_ok=True)
        _write_config(state_dir / "config.json", config)
        log = open(state_dir / "logs" / "endpoint.log", "ab")
        proc = subprocess.Popen(  # the keeper: holds the socket, runs (and re-runs) the supervisor
            [sys.executable, "-m", "jupyter_mlservice.core.serving.keeper", str(state_dir)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the Jupyter server; re-attach with attach()
            close_fds=True,
            cwd=str(state_dir),
            env=child_env(),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            state = read_json(state_dir / "state.json")
            if state and state.get("pid") == proc.pid:
                break
            cls._check_alive(proc, state_dir, deadline, "bind its port")
            time.sleep(0.05)
        handle = cls(state_dir, state, proc)
        if config.port == 0:  # keep the port for restarts: the scoring URI must not change
            _write_config(state_dir / "config.json", config.model_copy(update={"port": handle.port}))
        handle._wait_generation(1, deadline)
        return handle

    @classmethod
    def attach(cls, state_dir: Path | str) -> EndpointProcess | None:
        """The running endpoint recorded in ``state_dir``, or None (never started, stopped, or dead)."""
        state_dir = Path(state_dir).resolve()
        state = read_json(state_dir / "state.json")
        if not state:
            return None
        try:
            proc = psutil.Process(state["pid"])
            if proc.status() == psutil.STATUS_ZOMBIE or abs(proc.create_time() - state["create_time"]) > 1e-3:
                return None
        except (psutil.NoSuchProcess, KeyError):
            return None
        return cls(state_dir, state)

    @staticmethod
    def _check_alive(proc: subprocess.Popen, state_dir: Path, deadline: float, doing: str) -> None:
        if proc is not None and proc.poll() is not None:
            raise EndpointFailed(f"the endpoint process exited before it could {doing}:\n{_tail(state_dir)}")
        if time.monotonic() > deadline:
            raise EndpointFailed(f"the endpoint did not {doing} in time:\n{_tail(state_dir)}")

    # ---- properties
    @property
    def config(self) -> EndpointConfig:
        return EndpointConfig.model_validate_json((self.state_dir / "config.json").read_text())

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def scoring_uri(self) -> str:
        return f"{self.base_url}/score"

    def log_path(self, deployment: str | None = None) -> Path:
        """Per-deployment log (what its script or model printed), or the endpoint log (supervisor, workers)."""
        return self.state_dir / "logs" / (f"{deployment}.log" if deployment else "endpoint.log")

    def alive(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            return False
        try:
            proc = psutil.Process(self.pid)
            return proc.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    # ---- operations
    def status(self) -> EndpointStatus:
        raw = read_json(self.state_dir / "status.json") or {}
        alive = self.alive()
        deployments = {n: DeploymentStatus(**d) for n, d in raw.get("deployments", {}).items()}
        if not alive:
            deployments = {n: DeploymentStatus(state="Stopped", workers=d.workers) for n, d in deployments.items()}
        return EndpointStatus(
            state=raw.get("state", "Running") if alive else "Stopped",
            pid=self.pid if alive else None,
            host=self.host,
            port=self.port,
            scoring_uri=self.scoring_uri,
            generation=raw.get("generation", 0),
            restarts=raw.get("restarts", 0),
            rollout_error=raw.get("rollout_error"),
            deployments=deployments,
        )

    def reconfigure(self, config: EndpointConfig, timeout: float = 120.0) -> EndpointStatus:
        """Roll out ``config`` with no downtime: new workers serve before old ones drain.

        Raises EndpointFailed when the new generation cannot start; the old one keeps serving.
        """
        current = self.config
        if config.host != current.host or config.port not in (0, current.port):
            raise InvalidRequest(
                f"an endpoint keeps its address; host/port stay {current.host}:{current.port} "
                "(delete and recreate the endpoint to move it)"
            )
        config = config.model_copy(update={"port": current.port})
        if config == current:
            return self.status()
        before = read_json(self.state_dir / "status.json") or {}
        _write_config(self.state_dir / "config.json", config)
        os.kill(self.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while True:
            raw = read_json(self.state_dir / "status.json") or {}
            if raw.get("rollouts", 0) > before.get("rollouts", 0) and raw.get("state") == "Running":
                if not raw.get("rollout_error"):
                    return self.status()
                raise EndpointFailed(f"the new configuration did not start, the old one keeps serving: "
                                     f"{raw.get('rollout_error')}")
            if not self.alive():
                raise EndpointFailed(f"the endpoint supervisor died:\n{_tail(self.state_dir)}")
            self._check_alive(self._proc, self.state_dir, deadline, "roll out the new configuration")
            time.sleep(0.05)

    def _wait_generation(self, generation: int, deadline: float) -> None:
        while True:
            raw = read_json(self.state_dir / "status.json") or {}
            if raw.get("generation", 0) >= generation and raw.get("state") == "Running":
                return
            self._check_alive(self._proc, self.state_dir, deadline, "start serving")
            time.sleep(0.05)

    def stop(self, timeout: float = 20.0) -> None:
        """Drain and stop every process of the endpoint; the state folder (config, logs) stays."""
        if not self.alive():
            self._reap()
            return
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)  # its own session: workers go too
        self._reap()

    def _reap(self) -> None:
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _tail(state_dir: Path, lines: int = 40) -> str:
    try:
        text = (state_dir / "logs" / "endpoint.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
