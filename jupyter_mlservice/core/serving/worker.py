"""One worker process of an endpoint: loads every deployment, then serves the shared socket.

Started by the supervisor as ``python -m jupyter_mlservice.core.serving.worker``. The listening
socket is inherited (one accept queue for all workers), so a worker that stops accepting leaves
waiting connections to the others, and connections made while no worker is up wait in the
kernel's backlog instead of being refused. SIGTERM drains: stop accepting, answer each open
connection's next request with ``Connection: close``, exit when none are left (or after a grace).

A worker never outlives its supervisor by more than its grace: the supervisor's death sends
SIGTERM (PR_SET_PDEATHSIG, and a parent check for when that is unavailable), the drain and
uvicorn's shutdown are bounded, and a watchdog ends the process if anything still holds it
(a request stuck in a model or a script).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys
import time
import warnings
from pathlib import Path

from .config import EndpointConfig, routing_digest
from .metrics import Metrics, write_json

DRAIN_GRACE_S = 10.0
DRAIN_IDLE_S = 1.0
SHUTDOWN_S = 5.0  # uvicorn's own graceful shutdown, after the drain
WATCHDOG_MARGIN_S = 5.0  # past the drain and shutdown: exit whatever still runs
PARENT_CHECK_S = 1.0


def _die_with_parent(parent: int) -> None:
    """A SIGKILLed supervisor must not leave workers holding the port (or their memory)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        sys.exit(0)
    # Until the event loop takes over SIGTERM (a drain), there is nothing to drain: exit at once,
    # whatever handler an imported library may install meanwhile.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))


def _watchdog(seconds: float) -> None:
    """End the process after ``seconds`` whatever holds it; started when a drain begins."""
    import threading

    timer = threading.Timer(seconds, os._exit, args=(0,))
    timer.daemon = True
    timer.start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--generation", type=int, required=True)
    parser.add_argument("--supervisor", type=int, required=True)
    parser.add_argument("--group", type=int, default=0, help="worker group (one per environment, see forward.py)")
    args = parser.parse_args(argv)
    _die_with_parent(args.supervisor)

    # New keys/traffic arrive as SIGUSR1 (supervisor._reroute); until the loop takes it, a no-op
    # handler keeps it from ending the process (and is not inherited by what a script runs).
    signal.signal(signal.SIGUSR1, lambda *_: None)
    state_dir = Path(args.state_dir)
    frozen = Path(args.config).read_bytes()
    config = EndpointConfig.model_validate_json(frozen)
    routing = {"digest": routing_digest(frozen)}
    status_path = state_dir / "workers" / f"{os.getpid()}.json"
    status_path.parent.mkdir(parents=True, exist_ok=True)

    from .app import Deployment, OutputRouter, ScoringApp
    from .forward import RemoteDeployment, group_socket

    router = OutputRouter(sys.__stderr__)
    sys.stdout = sys.stderr = router
    # Rows go to sklearn as numpy in the fitted column order (checked at load); the warning is noise.
    warnings.filterwarnings("ignore", message="X does not have valid feature names")

    def report(ready: bool, draining: bool = False) -> None:
        write_json(
            status_path,
            {
                "pid": os.getpid(),
                "generation": args.generation,
                "ready": ready,
                "draining": draining,
                "routing": routing["digest"],
                "deployments": {n: {"state": d.state, "reason": d.reason} for n, d in deployments.items()
                                if not getattr(d, "remote", False)},
                "at": time.time(),
            },
        )

    log_dir = state_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    mine = set(config.groups()[args.group].deployments)
    group_of = {name: g.index for g in config.groups() for name in g.deployments}
    deployments = {
        d.name: Deployment(d, log_dir / f"{d.name}.log", config.device_of(d.name)) if d.name in mine
        else RemoteDeployment(d, group_socket(state_dir, args.generation, group_of[d.name]))
        for d in config.deployments
    }
    report(False)
    for deployment in deployments.values():
        deployment.load(router)
    metrics = Metrics(config.name, state_dir / "metrics")
    metrics.collectors = {n: d.collector for n, d in deployments.items() if d.collector is not None}
    app = ScoringApp(config, deployments, metrics)

    import uvicorn

    class WorkerServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):  # signals are ours (drain), not uvicorn's
            yield

    server = WorkerServer(
        uvicorn.Config(
            app,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            log_level="warning",
            timeout_keep_alive=30,
            server_header=False,
            date_header=False,
            backlog=2048,
            timeout_graceful_shutdown=SHUTDOWN_S,
        )
    )
    sock = socket.socket(fileno=args.fd)

    grace = max(max(d.request_settings.request_timeout_ms for d in config.deployments) / 1000 + DRAIN_IDLE_S, DRAIN_GRACE_S)

    async def drain() -> None:
        if app.draining:
            return
        app.draining = True
        _watchdog(grace + SHUTDOWN_S + WATCHDOG_MARGIN_S)
        report(True, draining=True)
        for listener in getattr(server, "servers", []):
            listener.close()
        # Busy connections get "Connection: close" on their next response. One that stays idle
        # (same finished request) for DRAIN_IDLE_S is closed like a keep-alive timeout would.
        deadline = time.monotonic() + grace
        idle_since: dict = {}
        while server.server_state.connections and time.monotonic() < deadline:
            now = time.monotonic()
            for conn in list(server.server_state.connections):
                cycle = getattr(conn, "cycle", None)
                if cycle is not None and not cycle.response_complete:
                    idle_since.pop(conn, None)
                    continue
                first = idle_since.setdefault(conn, (cycle, now))
                if first[0] is not cycle:
                    idle_since[conn] = (cycle, now)
                elif now - first[1] >= DRAIN_IDLE_S:
                    conn.shutdown()
            await asyncio.sleep(0.05)
        server.should_exit = True

    def reroute() -> None:
        """Take the keys and traffic of the (rewritten) frozen config, if they changed."""
        data = Path(args.config).read_bytes()
        digest = routing_digest(data)
        if digest == routing["digest"]:
            return
        try:
            new = EndpointConfig.model_validate_json(data)
        except ValueError as exc:
            print(f"worker {os.getpid()}: the new config is invalid, keeping the old routing: {exc}")
            return
        app.set_routing(new)
        routing["digest"] = digest

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(drain()))
        loop.add_signal_handler(signal.SIGINT, lambda: loop.create_task(drain()))

        def rerouted() -> None:
            reroute()
            if server.started and not app.draining:
                report(True)

        loop.add_signal_handler(signal.SIGUSR1, rerouted)

        async def announce() -> None:
            while not server.started and not server.should_exit:
                await asyncio.sleep(0.01)
            if server.started:
                reroute()  # the supervisor may have rewritten the config while the models loaded
                report(True)

        async def watch_parent() -> None:  # PR_SET_PDEATHSIG's fallback
            while not app.draining:
                if os.getppid() != args.supervisor:
                    print(f"worker {os.getpid()}: the supervisor is gone; draining")
                    await drain()
                    return
                await asyncio.sleep(PARENT_CHECK_S)

        loop.create_task(announce())
        loop.create_task(watch_parent())
        await server.serve(sockets=[sock])

    import uvloop

    uvloop.run(serve())
    print(f"worker {os.getpid()}: exiting")
    for collector in metrics.collectors.values():
        collector.stop()  # writes what is still queued
    app.metrics.flush(force=True)
    status_path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
