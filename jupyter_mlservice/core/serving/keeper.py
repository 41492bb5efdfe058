"""The endpoint's socket keeper: holds the listening socket and keeps a supervisor running.

``python -m jupyter_mlservice.core.serving.keeper STATE_DIR`` is the process an endpoint's handle
(``EndpointProcess``) starts and signals. It binds the endpoint's address once, then runs the
supervisor (``supervisor.py``) as its child with the socket inherited, and starts a new one when
it dies. Because the socket stays open here, a supervisor that crashes or is killed does not
make the endpoint refuse connections: they wait in the kernel's listen backlog until the new
supervisor's workers accept them (its old workers drain and exit on their own, see worker.py).

It imports nothing heavy and does nothing but this, so it has little reason to die. Signals:
SIGHUP (config.json changed) is passed on to the supervisor; SIGTERM/SIGINT stop it (the
supervisor drains its workers), then the keeper exits. ``state.json`` records the keeper's pid,
which is the pid to signal.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

TICK_S = 0.1
QUICK_EXIT_S = 10.0  # a supervisor that dies sooner than this after starting counts as crash-looping
MAX_BACKOFF_S = 30.0
GIVE_UP_AFTER = 5  # quick deaths in a row: a supervisor that cannot start at all (the caller sees it exit)


class Keeper:
    def __init__(self, state_dir: Path):
        self.dir = state_dir
        self.log = open(state_dir / "logs" / "endpoint.log", "ab", buffering=0)
        self.child: subprocess.Popen | None = None
        self.stopping = False
        self.pending_hup = False
        self.sock: socket.socket | None = None

    def say(self, message: str) -> None:
        self.log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} keeper: {message}\n".encode())

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._hup)
        config = json.loads((self.dir / "config.json").read_text())
        host, port = config.get("host", "127.0.0.1"), int(config.get("port") or 0)
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(2048)
        self.sock.set_inheritable(True)
        port = self.sock.getsockname()[1]
        _write_json(self.dir / "state.json", {
            "pid": os.getpid(), "create_time": _create_time(os.getpid()), "host": host, "port": port,
            "started_at": time.time(), "keeper": True,
        })  # fmt: skip
        self.say(f"listening on {host}:{port}")
        quick = 0
        while not self.stopping:
            started = time.monotonic()
            self.child = self._spawn()
            code = self._wait_child()
            if self.stopping:
                break
            quick = quick + 1 if time.monotonic() - started < QUICK_EXIT_S else 0
            if quick >= GIVE_UP_AFTER:
                self.say(f"supervisor exited with {code} {quick} times in a row right after starting; giving up")
                return 1
            delay = min(MAX_BACKOFF_S, 0.25 * 2 ** (quick - 1)) if quick else 0.0
            self.say(f"supervisor {self.child.pid} exited with {code}; starting a new one in {delay:.2f}s "
                     "(the socket stays open: connections wait in the backlog)")
            if self._sleep(delay):
                break
        self.say("stopped")
        return 0

    def _spawn(self) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlservice.core.serving.supervisor", str(self.dir),
             "--fd", str(self.sock.fileno()), "--keeper", str(os.getpid())],
            pass_fds=(self.sock.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=str(self.dir),
        )  # fmt: skip
        self.say(f"started supervisor {proc.pid}")
        return proc

    def _wait_child(self) -> int:
        while True:
            if self.pending_hup and self.child is not None:
                self.pending_hup = False
                _signal(self.child, signal.SIGHUP)
            code = self.child.poll()
            if code is not None:
                return code
            time.sleep(TICK_S)

    def _sleep(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stopping:
                return True
            time.sleep(min(TICK_S, max(0.0, deadline - time.monotonic())))
        return self.stopping

    def _stop(self, signum, _frame) -> None:
        self.stopping = True
        if self.child is not None:
            _signal(self.child, signum)  # the supervisor drains its workers; _wait_child sees it exit

    def _hup(self, _signum, _frame) -> None:
        self.pending_hup = True  # passed on from the loop (not from inside a signal handler)


def _signal(proc: subprocess.Popen, signum: int) -> None:
    if proc.poll() is None:
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass


def _create_time(pid: int) -> float:
    import psutil

    return psutil.Process(pid).create_time()


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    state_dir = Path(argv[0]).resolve()
    (state_dir / "logs").mkdir(parents=True, exist_ok=True)
    return Keeper(state_dir).run()


if __name__ == "__main__":
    sys.exit(main())
