"""A throwaway `mlservice serve` for benchmarks: real server, real store, temp workspace."""

from __future__ import annotations

import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


class BenchServer:
    def __init__(self, root: Path | None = None, extra: list[str] | None = None):
        self.root = root or Path(tempfile.mkdtemp(prefix="mlservice-bench-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.token = secrets.token_hex(16)
        self.extra = extra or []

    def __enter__(self) -> "BenchServer":
        self.log = open(self.root / "server.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlservice.cli", "serve", "--root", str(self.root), "--port", str(self.port),
             "--token", self.token, "--ServerApp.log_level=WARN", *self.extra],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "mlservice/api/info", headers={"Authorization": f"token {self.token}"}, timeout=2).ok:
                    return self
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError((self.root / "server.log").read_text())
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def client(self):
        from jupyter_mlservice import MLService

        return MLService(url=self.url, token=self.token)

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
