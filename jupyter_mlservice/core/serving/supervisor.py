"""The per-endpoint supervisor: owns the port, keeps the right workers running.

``python -m jupyter_mlservice.core.serving.supervisor STATE_DIR --fd N --keeper PID`` is run by the
endpoint's keeper (keeper.py), which owns the listening socket and starts a new supervisor when
one dies; run alone (no ``--fd``) it binds the socket itself. In its own session either way, it
outlives the Jupyter server that started it. It starts ``config.workers`` worker processes that inherit the socket,
restarts any that die (with backoff when they keep dying), and on SIGHUP (after ``config.json``
was rewritten) rolls out a new generation: new workers load and start accepting first, then the
old ones drain. A rollout whose workers fail leaves the old generation serving.

Files in STATE_DIR: ``config.json`` (desired), ``state.json`` (the keeper's pid, port: for re-attaching),
``status.json`` (what runs), ``workers/<pid>.json`` (each worker's report), ``logs/``, ``metrics/``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from .config import EndpointConfig, child_env, routing_digest
from .forward import group_socket
from .metrics import read_json, retire, write_json

REROUTE_TIMEOUT_S = 30.0  # serving workers confirm new keys/traffic in milliseconds
ROLLOUT_TIMEOUT_S = 600.0  # new workers that import TensorFlow or torch on a busy machine take minutes
TICK_S = 0.1
LEFTOVER_EVERY = 50  # ticks between looks for a previous supervisor's workers' files


@dataclass
class Worker:
    proc: subprocess.Popen
    generation: int
    slot: int
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.proc.pid


class Supervisor:
    def __init__(self, state_dir: Path, fd: int | None = None, keeper: int | None = None):
        self.dir = state_dir
        self.fd = fd  # the keeper's listening socket; None: bind one here
        self.keeper = keeper
        self.config_path = state_dir / "config.json"
        self.workers: dict[int, Worker] = {}  # every live worker, any generation
        self.current: dict[int, Worker] = {}  # slot -> worker of the serving generation
        self.generation = 0
        self.config: EndpointConfig | None = None
        self.reload = False
        self.stopping = False
        self.restarts: dict[int, int] = {}  # slot -> restarts so far
        self.failures: dict[int, tuple[int, float]] = {}  # slot -> (quick deaths in a row, next start time)
        self.rollout_error: str | None = None
        self.rollouts = 0  # attempts finished, so a caller can tell its rollout is done
        self.failed_deployments: dict[str, str] = {}
        self.sock: socket.socket | None = None
        self.log = open(state_dir / "logs" / "endpoint.log", "ab", buffering=0)
        self._last_status: dict | None = None
        self._ticks = 0
        self.group_socks: dict[tuple[int, int], socket.socket] = {}  # (generation, group) -> Unix socket

    def say(self, message: str) -> None:
        self.log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervisor: {message}\n".encode())

    # ---- lifecycle
    def run(self) -> int:
        signal.signal(signal.SIGHUP, lambda *_: setattr(self, "reload", True))
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        signal.signal(signal.SIGINT, lambda *_: setattr(self, "stopping", True))
        config = self._read_config()
        if self.fd is not None:  # the keeper's socket: it stays open if this process dies
            _die_with(self.keeper)
            self.sock = socket.socket(fileno=self.fd)
            self.sock.set_inheritable(True)
            port = self.sock.getsockname()[1]
            self.say(f"supervisor {os.getpid()} serving the keeper's socket {config.host}:{port}")
        else:
            self.sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((config.host, config.port))
            self.sock.listen(2048)
            self.sock.set_inheritable(True)
            port = self.sock.getsockname()[1]
            me = psutil.Process()
            write_json(
                self.dir / "state.json",
                {"pid": os.getpid(), "create_time": me.create_time(), "host": config.host, "port": port,
                 "started_at": time.time()},
            )  # fmt: skip
            self.say(f"listening on {config.host}:{port}")
        self._rollout(config.model_copy(update={"port": port}))
        while not self.stopping:
            self._tick()
            time.sleep(TICK_S)
        self._shutdown()
        return 0

    def _tick(self) -> None:
        self._reap()
        self._ticks += 1
        if self._ticks % LEFTOVER_EVERY == 1:
            self._sweep_leftovers()
        if self.reload:
            self.reload = False
            try:
                config = self._read_config()
            except Exception as exc:  # noqa: BLE001 - keep serving what runs
                self.rollout_error = f"config.json is invalid: {exc}"
                self.rollouts += 1
                self.say(self.rollout_error)
            else:
                if config != self.config and self.config is not None and self.config.routing_only(config):
                    self._reroute(config)
                elif config != self.config:
                    self._rollout(config)
                else:  # asked for what already runs (e.g. going back after a failed rollout)
                    self.rollout_error = None
                    self.rollouts += 1
        self._restart_missing()
        self._write_status()

    def _sweep_leftovers(self) -> None:
        """Workers of a supervisor that died before this one drain and exit on their own; once
        they are gone, fold their metrics into retired.json and drop their reports."""
        for folder in (self.dir / "metrics", self.dir / "workers"):
            for path in folder.glob("*.json"):
                if not path.stem.isdigit() or int(path.stem) in self.workers:
                    continue
                pid = int(path.stem)
                if _alive(pid):
                    continue
                if folder.name == "metrics":
                    retire(folder, pid)
                else:
                    path.unlink(missing_ok=True)

    def _read_config(self) -> EndpointConfig:
        config = EndpointConfig.model_validate_json(self.config_path.read_text())
        if self.sock is not None:  # the port is the one bound at start (0 means "whatever we got")
            config = config.model_copy(update={"port": self.sock.getsockname()[1]})
        return config

    # ---- workers
    def _spawn(self, generation: int, slot: int, frozen: Path, config: EndpointConfig) -> Worker:
        group = config.groups()[config.slot_groups()[slot]]
        # The first group accepts on the endpoint's port; the others on their own Unix socket.
        sock = self.sock if group.index == 0 else self._group_socket(generation, group.index)
        proc = subprocess.Popen(
            [group.python or sys.executable, "-m", "jupyter_mlservice.core.serving.worker", "--state-dir", str(self.dir),
             "--config", str(frozen), "--fd", str(sock.fileno()), "--generation", str(generation),
             "--supervisor", str(os.getpid()), "--group", str(group.index)],
            pass_fds=(sock.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=str(self.dir),
            env=child_env(config.worker_env(), python=group.python),
        )  # fmt: skip
        worker = Worker(proc, generation, slot)
        self.workers[proc.pid] = worker
        return worker

    def _group_socket(self, generation: int, group: int) -> socket.socket:
        key = (generation, group)
        if key not in self.group_socks:
            path = group_socket(self.dir, generation, group)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(str(path))
            sock.listen(2048)
            sock.set_inheritable(True)
            self.group_socks[key] = sock
        return self.group_socks[key]

    def _close_group_sockets(self, keep: set[int]) -> None:
        for (generation, group), sock in list(self.group_socks.items()):
            if generation not in keep:
                sock.close()
                group_socket(self.dir, generation, group).unlink(missing_ok=True)
                del self.group_socks[(generation, group)]

    def _reap(self) -> list[Worker]:
        dead = []
        for pid, worker in list(self.workers.items()):
            code = worker.proc.poll()
            if code is None:
                continue
            dead.append(worker)
            del self.workers[pid]
            retire(self.dir / "metrics", pid)
            (self.dir / "workers" / f"{pid}.json").unlink(missing_ok=True)
            if self.current.get(worker.slot) is worker and not self.stopping:
                del self.current[worker.slot]
                lived = time.monotonic() - worker.started
                quick, _ = self.failures.get(worker.slot, (0, 0.0))
                quick = quick + 1 if lived < 10 else 0
                delay = min(30.0, 0.5 * 2 ** (quick - 1)) if quick else 0.0
                self.failures[worker.slot] = (quick, time.monotonic() + delay)
                self.restarts[worker.slot] = self.restarts.get(worker.slot, 0) + 1
                self.say(f"worker {pid} (slot {worker.slot}) exited with {code}; restarting in {delay:.1f}s")
        return dead

    def _restart_missing(self) -> None:
        if self.config is None or self.stopping:
            return
        frozen = self.dir / f"config.{self.generation}.json"
        for slot in range(self.config.workers):
            if slot in self.current:
                continue
            _, not_before = self.failures.get(slot, (0, 0.0))
            if time.monotonic() >= not_before:
                self.current[slot] = self._spawn(self.generation, slot, frozen, self.config)

    def _report(self, worker: Worker) -> dict | None:
        return read_json(self.dir / "workers" / f"{worker.pid}.json")

    def _rollout(self, config: EndpointConfig) -> None:
        """Start the new generation, wait for it to serve, then drain the old one."""
        generation = self.generation + 1
        frozen = self.dir / f"config.{generation}.json"
        frozen.write_text(config.model_dump_json())
        os.chmod(frozen, 0o600)
        self.say(f"rolling out generation {generation} with {config.workers} worker(s)")
        fresh = {slot: self._spawn(generation, slot, frozen, config) for slot in range(config.workers)}
        deadline = time.monotonic() + ROLLOUT_TIMEOUT_S
        failure = None
        while time.monotonic() < deadline and not self.stopping:
            self._reap()
            self._restart_missing()  # the serving generation keeps its full strength meanwhile
            self._write_status(updating=True)
            dead = [w for w in fresh.values() if w.pid not in self.workers]
            if dead:
                failure = f"a new worker exited during startup (code {dead[0].proc.returncode}); see logs/endpoint.log"
                break
            reports = [self._report(w) for w in fresh.values()]
            if all(r and r.get("ready") for r in reports):
                failed = {n: d["reason"] for r in reports for n, d in r["deployments"].items() if d["state"] == "Failed"}
                if failed and self.current:
                    failure = "; ".join(f"deployment {n!r} failed to load: {why}" for n, why in failed.items())
                self.failed_deployments = failed if not self.current else {}
                break
            time.sleep(TICK_S)
        else:
            failure = failure or ("stopping" if self.stopping else "new workers did not become ready in time")
        self.rollouts += 1
        if failure:
            self.rollout_error = failure
            self.failed_deployments = {}
            if self.current:
                self.say(f"rollout of generation {generation} failed, old generation keeps serving: {failure}")
                for worker in fresh.values():
                    self._terminate(worker)
                self._close_group_sockets(keep={w.generation for w in self.workers.values()} - {generation})
                return
            self.say(f"generation {generation} failed to start: {failure}")
        else:
            self.rollout_error = None
        old = list(self.current.values())
        self.current = {slot: w for slot, w in fresh.items() if w.pid in self.workers}
        self.generation = generation
        self.config = config
        self.failures.clear()
        for worker in old:
            self._terminate(worker)  # drains: finishes what it has, closes keep-alive connections
        self._close_group_sockets(keep={generation})  # draining workers keep their own copies
        for stale in self.dir.glob("config.*.json"):
            if stale != frozen and not any(w.generation == int(stale.name.split(".")[1]) for w in self.workers.values()):
                stale.unlink(missing_ok=True)
        self.say(f"generation {generation} is serving")

    def _reroute(self, config: EndpointConfig) -> None:
        """Keys, traffic or mirrors changed, nothing else: the serving workers take the new
        config in place (SIGUSR1: they re-read their frozen config), no model is loaded again.
        Workers started from now on read the new file too. A worker that does not confirm in
        time gets the usual rollout."""
        frozen = self.dir / f"config.{self.generation}.json"
        data = config.model_dump_json().encode()
        tmp = frozen.with_name(f".{frozen.name}.tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, frozen)
        digest = routing_digest(data)
        self.config = config
        self.say(f"new keys/traffic for generation {self.generation}: workers take them in place")
        for worker in self.current.values():
            with contextlib.suppress(ProcessLookupError):
                worker.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + REROUTE_TIMEOUT_S
        while not self.stopping:
            self._reap()
            self._restart_missing()
            # a worker still loading reads the file when it starts serving; only ready ones confirm
            stale = [w for w in self.current.values()
                     if (r := self._report(w)) and r.get("ready") and r.get("routing") != digest]
            if not stale:
                break
            if time.monotonic() > deadline:
                self.say(f"{len(stale)} worker(s) did not take the new config in place; rolling out a new generation")
                self._rollout(config)
                return
            self._write_status(updating=True)
            time.sleep(TICK_S)
        self.rollout_error = None
        self.rollouts += 1

    def _terminate(self, worker: Worker) -> None:
        if worker.proc.poll() is None:
            worker.proc.send_signal(signal.SIGTERM)

    def _shutdown(self) -> None:
        self.say("stopping")
        for worker in self.workers.values():
            self._terminate(worker)
        deadline = time.monotonic() + 15
        while self.workers and time.monotonic() < deadline:
            self._reap()
            time.sleep(TICK_S)
        for worker in self.workers.values():
            worker.proc.kill()
            worker.proc.wait()
            retire(self.dir / "metrics", worker.pid)
        self.current.clear()
        self._close_group_sockets(keep=set())
        self._write_status(stopped=True)
        self.say("stopped")

    # ---- status
    def _write_status(self, updating: bool = False, stopped: bool = False) -> None:
        config = self.config
        deployments = {}
        reports = {slot: self._report(w) for slot, w in self.current.items()}
        if config is not None:
            slot_groups = config.slot_groups()
            group_of = {name: g.index for g in config.groups() for name in g.deployments}
            group_size = {g.index: g.workers for g in config.groups()}
            for d in config.deployments:
                ready = [r for slot, r in reports.items() if r and r.get("ready")
                         and slot < len(slot_groups) and slot_groups[slot] == group_of[d.name]]
                wanted = group_size[group_of[d.name]]
                states = [r["deployments"].get(d.name, {}) for r in ready]
                failed = [s for s in states if s.get("state") == "Failed"]
                if stopped:
                    state, reason = "Stopped", None
                elif failed:
                    state, reason = "Failed", failed[0].get("reason")
                elif len(ready) >= wanted:
                    state, reason = "Healthy", None
                elif ready:
                    state, reason = "Unhealthy", f"{len(ready)} of {wanted} workers are up; restarting the rest"
                elif self.restarts:
                    state, reason = "Unhealthy", "no worker is up; restarting"
                else:
                    state, reason = "Creating", None
                deployments[d.name] = {
                    "state": state,
                    "reason": reason,
                    "ready_workers": len(ready),
                    "workers": wanted,
                }
        status = {
            "pid": os.getpid(),
            "state": "Stopped" if stopped else ("Updating" if updating else "Running"),
            "generation": self.generation,
            "deployments": deployments,
            "workers": [
                {"pid": w.pid, "generation": w.generation, "slot": w.slot,
                 "ready": bool((r := self._report(w)) and r.get("ready")), "serving": self.current.get(w.slot) is w}
                for w in self.workers.values()
            ],  # fmt: skip
            "restarts": sum(self.restarts.values()),
            "rollout_error": self.rollout_error,
            "rollouts": self.rollouts,
        }
        if status != self._last_status:
            self._last_status = status
            write_json(self.dir / "status.json", {**status, "updated_at": time.time()})


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _die_with(parent: int | None) -> None:
    """A SIGKILLed keeper takes its supervisor along (SIGTERM: the workers drain), so that a new
    endpoint process can bind the port again."""
    import contextlib
    import ctypes

    if parent is None:
        return
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        sys.exit(0)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("state_dir")
    parser.add_argument("--fd", type=int, default=None, help="an inherited listening socket (the keeper's)")
    parser.add_argument("--keeper", type=int, default=None, help="the keeper's pid: exit when it dies")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    state_dir = Path(args.state_dir).resolve()
    (state_dir / "logs").mkdir(parents=True, exist_ok=True)
    return Supervisor(state_dir, args.fd, args.keeper).run()


if __name__ == "__main__":
    sys.exit(main())
