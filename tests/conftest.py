"""Shared fixtures: a core workspace, an in-process server (pytest-jupyter), a real `mlservice serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.deep_fixtures"]

TOKEN = "test-token-123"


# `make pytest` spreads whole files over two xdist workers, each taking the next file when it is
# nearly done: the longest files go first, so the two finish together instead of one worker
# starting a long tutorial last. tests/durations.json holds each file's seconds on the 2-core CI
# machine (regenerate: scripts/test_durations.py <junit.xml>); a file not listed counts as 30 s.
DURATIONS = Path(__file__).with_name("durations.json")


def pytest_collection_modifyitems(config, items):
    import json

    seconds = json.loads(DURATIONS.read_text()) if DURATIONS.is_file() else {}
    items.sort(key=lambda item: -seconds.get(item.path.name, 30.0))  # stable: a file's order stays


@pytest.fixture(autouse=True)
def _no_server_env(monkeypatch):
    """The extension exports MLSERVICE_URL for kernels; keep it from leaking between tests."""
    monkeypatch.delenv("MLSERVICE_URL", raising=False)
    monkeypatch.delenv("MLSERVICE_TOKEN", raising=False)
    yield
    os.environ.pop("MLSERVICE_URL", None)
    os.environ.pop("MLSERVICE_TOKEN", None)


def wait_for(predicate, timeout: float = 60, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory) -> Path:
    """An MLflow database with its migrations applied, made once: creating one takes seconds."""
    from jupyter_mlservice.core.tracking.store_setup import prepare_sqlite_tracking_db

    folder = tmp_path_factory.mktemp("mlflow-template")
    prepare_sqlite_tracking_db(f"sqlite:///{folder / 'mlflow.db'}", str(folder / "artifacts"))
    return folder / "mlflow.db"


def seed_workspace(root: Path, template: Path) -> None:
    """Give a new workspace under root a copy of the template MLflow database."""
    import sqlite3

    ws = root / ".mlservice"
    ws.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(template), sqlite3.connect(ws / "mlflow.db")
    with dst:
        src.backup(dst)  # consistent even while the template is in WAL mode
    src.close()
    with dst as db:
        db.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0", ((ws / "artifacts" / "0").as_uri(),))
    dst.close()


@pytest.fixture
def workspace(tmp_path, mlflow_template):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1))
    ws.start()
    yield ws
    ws.stop()


@pytest.fixture
def in_root(workspace):
    """A fresh folder inside the workspace's server root, for files a request names (the path
    policy refuses paths outside the root)."""
    folder = workspace.root_dir / "files"
    folder.mkdir()
    return folder


def wait_job(ws, job_id: str, timeout: float = 60):
    return wait_for(lambda: (j := ws.jobs.get(job_id)).status.is_terminal and j, timeout, what=f"job {job_id} to end")


# ---- in-process server (handlers) -------------------------------------------------------------


@pytest.fixture
def jp_root_dir(tmp_path, mlflow_template):
    root = tmp_path / "root_dir"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    return root


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_mlservice": True},
            "allow_unauthenticated_access": False,
            "allow_root": True,
        },
        "MLServiceApp": {"poll_interval": 0.1},
    }


# ---- a real server process --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`mlservice serve` in a subprocess, as a user would start it."""

    def __init__(self, root: Path, port: int | None = None, env: dict | None = None, args: list[str] | None = None):
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.token = TOKEN
        self.env = env
        self.args = list(args or [])  # extra --MLServiceApp.x=y options
        self.proc: subprocess.Popen | None = None
        self.log_path = root.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 90) -> "LiveServer":
        env = {**os.environ, **(self.env or {})}
        env.pop("MLSERVICE_URL", None)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlservice.cli", "serve", "--root", str(self.root), "--port", str(self.port), "--token", self.token,
             "--ServerApp.log_level=WARN", "--MLServiceApp.poll_interval=0.1", *self.args],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        wait_for(self.ready, timeout, interval=0.2, what=f"server on port {self.port} (log: {self.log_path})")
        return self

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}")
        try:
            return requests.get(self.url + "mlservice/api/info", headers={"Authorization": f"token {self.token}"}, timeout=2).ok
        except requests.ConnectionError:
            return False

    def client(self):
        from jupyter_mlservice import MLService

        return MLService(url=self.url, token=self.token)

    def stop(self, sig=signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture
def server_root(tmp_path, mlflow_template):
    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    return root


@pytest.fixture
def live_server(server_root):
    server = LiveServer(server_root).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory, mlflow_template):
    """One server for a module of read-mostly SDK/CLI tests (starting one takes seconds)."""
    root = tmp_path_factory.mktemp("shared") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    server = LiveServer(root).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def environments_dir(tmp_path_factory) -> Path:
    """One environment cache for the session: an environment is built once and reused by every test."""
    return tmp_path_factory.mktemp("environments")
