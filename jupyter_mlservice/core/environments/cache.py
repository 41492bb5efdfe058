"""The environment cache: one folder per lock, built once, shared by every job and deployment.

``<root>/<key>/``: ``requirements.lock`` (written when the environment is created), ``venv/``,
``build.log`` (kept), ``ready.json`` once built, ``failed.json`` when the last build failed.
``<root>/<key>.lock`` is the build lock (``flock``): the first caller builds, concurrent callers
wait for it and then find the environment ready, so concurrent first uses build once, across
threads and processes (jobs build through ``enter``, deployments from the server).

Only the standard library here: :mod:`.enter` imports this before every job in an environment.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # .../jupyter_mlservice


def uv_bin() -> str:
    """The uv executable: MLSERVICE_UV (set for jobs), the `uv` package's, or the one on PATH."""
    if os.environ.get("MLSERVICE_UV"):
        return os.environ["MLSERVICE_UV"]
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise BuildFailed("uv is not installed; `pip install uv` (a dependency of jupyter-mlservice)") from None
        return found


def clean_uv_error(stderr: str) -> str:
    lines = []
    for line in stderr.splitlines():
        line = re.sub(r"[\u2500-\u257f×]", "", line).strip()  # uv's box drawing
        if line and not line.startswith(("Using ", "Resolved ")):
            lines.append(line)
    return " ".join(lines)[:2000]


class BuildFailed(Exception):
    """The message says which requirement (uv's own words) and where the build log is."""


class EnvironmentCache:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def folder(self, key: str) -> Path:
        return self.root / key

    def python(self, key: str) -> Path:
        return self.folder(key) / "venv" / "bin" / "python"

    def log_path(self, key: str) -> Path:
        return self.folder(key) / "build.log"

    def state(self, key: str) -> str:
        """NotBuilt | Building | Ready | Failed"""
        folder = self.folder(key)
        if (folder / "ready.json").is_file() and self.python(key).exists():
            return "Ready"
        if self._locked(key):
            return "Building"
        if (folder / "failed.json").is_file():
            return "Failed"
        return "NotBuilt"

    def failure(self, key: str) -> str | None:
        try:
            return json.loads((self.folder(key) / "failed.json").read_text())["error"]
        except (OSError, ValueError, KeyError):
            return None

    def record(self, key: str, lock: list[str], notes: list[str]) -> None:
        """Keep what a build needs (written when the environment is created)."""
        folder = self.folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder / "requirements.lock", "\n".join(lock) + "\n")
        if not (folder / "resolve.log").exists():
            _write(folder / "resolve.log", "\n".join(notes) + "\n")

    def _locked(self, key: str) -> bool:
        path = self.root / f"{key}.lock"
        if not path.exists():
            return False
        with open(path, "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
        return False

    def ensure(self, key: str, say: Callable[[str], None] = lambda line: None) -> Path:
        """The environment's interpreter, building it first if needed (once, whoever asks)."""
        if (self.folder(key) / "ready.json").is_file():
            return self.python(key)
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{key}.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                say(f"mlservice: environment {key} is being built by another job or deployment; waiting for it")
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if (self.folder(key) / "ready.json").is_file():
                    return self.python(key)
                return self._build(key, say)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _build(self, key: str, say: Callable[[str], None]) -> Path:
        folder = self.folder(key)
        lock_file = folder / "requirements.lock"
        if not lock_file.is_file():
            raise BuildFailed(f"environment {key} has no requirements.lock in {folder}; create the environment again")
        (folder / "failed.json").unlink(missing_ok=True)
        venv = folder / "venv"
        if venv.exists():  # a build that died half-way
            shutil.rmtree(venv)
        started = time.monotonic()
        with open(self.log_path(key), "a", encoding="utf-8") as log:
            def note(line: str) -> None:
                stamped = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}"
                log.write(stamped + "\n")
                log.flush()
                say(line)

            resolve_log = folder / "resolve.log"
            if resolve_log.is_file():
                for line in resolve_log.read_text().splitlines():
                    if line.strip():
                        note(f"resolve: {line}")
            note(f"building environment {key} with uv for Python {sys.version.split()[0]} ({sys.executable})")
            uv = uv_bin()
            steps = [
                [uv, "venv", str(venv), "--python", sys.executable, "--no-project", "--quiet"],
                [uv, "pip", "sync", str(lock_file), "--python", str(venv / "bin" / "python"), "--no-progress"],
            ]
            for cmd in steps:
                proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
                log.write(proc.stdout + proc.stderr)
                log.flush()
                if proc.returncode != 0:
                    error = (f"building the environment failed: {clean_uv_error(proc.stderr)} "
                             f"(build log: {self.log_path(key)})")
                    note(error)
                    _write(folder / "failed.json", json.dumps({"error": error, "at": time.time()}))
                    shutil.rmtree(venv, ignore_errors=True)
                    raise BuildFailed(error)
            seconds = time.monotonic() - started
            note(f"built in {seconds:.1f} s")
        _write(folder / "ready.json", json.dumps({"python": str(self.python(key)), "built_at": time.time(),
                                                  "build_s": round(seconds, 3)}))
        return self.python(key)

    # ---- running inside -------------------------------------------------------------------------

    def runtime_dir(self) -> Path:
        """A folder holding only this server's package (a link) and its MLflow plugin entry point.

        Processes in an environment get it on PYTHONPATH: the service's own pure-Python code
        (job runner, scoring worker, the ``mlservice-batch`` tracking store) without the server's
        third-party packages, which come from the environment.
        """
        tag = hashlib.sha256(str(PACKAGE_DIR).encode()).hexdigest()[:12]
        runtime = self.root / f"runtime-{tag}"
        link = runtime / "jupyter_mlservice"
        if not link.exists():
            runtime.mkdir(parents=True, exist_ok=True)
            info = runtime / "jupyter_mlservice_runtime-0.dist-info"
            info.mkdir(exist_ok=True)
            _write(info / "METADATA", "Metadata-Version: 2.1\nName: jupyter-mlservice-runtime\nVersion: 0\n")
            _write(info / "entry_points.txt", "[mlflow.tracking_store]\n"
                   "mlservice-batch = jupyter_mlservice.core.tracking.batching_store:BatchingTrackingStore\n")
            tmp = runtime / f".link-{_writer()}"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(PACKAGE_DIR, target_is_directory=True)
            os.replace(tmp, link)
        return runtime

    def activate(self, key: str, env: dict[str, str]) -> dict[str, str]:
        """``env`` as a process inside the environment sees it: its bin first, the runtime on PYTHONPATH."""
        venv = self.folder(key) / "venv"
        runtime = str(self.runtime_dir())
        server_bin = {str(Path(sys.executable).parent), str(venv / "bin")}
        path = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p and p not in server_bin]
        python_path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                       if p and p != runtime and not _is_server_path(p)]
        out = {k: v for k, v in env.items() if k not in ("PYTHONHOME", "CONDA_PREFIX")}
        out.update(
            VIRTUAL_ENV=str(venv),
            PATH=os.pathsep.join([str(venv / "bin"), *path]),
            PYTHONPATH=os.pathsep.join([runtime, *python_path]),
            MLSERVICE_ENVIRONMENT_KEY=key,
        )
        return out


def activate_python(python: str | Path, env: dict[str, str]) -> dict[str, str]:
    """``activate`` for the interpreter of a built environment (``<root>/<key>/venv/bin/python``)."""
    python = Path(python)
    return EnvironmentCache(python.parents[3]).activate(python.parents[2].name, env)


def _is_server_path(p: str) -> bool:
    """Folders that would bring the server's packages into an environment (its checkout, site-packages)."""
    try:
        resolved = Path(p).resolve()
    except OSError:
        return False
    return resolved == PACKAGE_DIR.parent or "site-packages" in resolved.parts


def _write(path: Path, text: str) -> None:
    """Atomically: readers see the old text or the new one. The temporary file is this thread's own
    (several threads of one server record and build the same environment at once)."""
    tmp = path.with_name(f".{path.name}.{_writer()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _writer() -> str:
    return f"{os.getpid()}-{threading.get_ident()}"
