"""A trivial job on a Ray cluster: through our SDK vs the Ray Jobs API directly.

One managed Ray head (2 CPUs, started by the service through the SDK) serves both sides, so
they share the cluster, its job agent and the machine. Printed:

- submit -> Completed of ``echo hi`` (1 CPU): ours = ``ml.jobs.submit(...).wait()`` against a
  real ``mlservice serve``; anchors = ``ray job submit`` (the CLI, which blocks until the job
  ends and includes its own start-up) and ``JobSubmissionClient.submit_job`` + status polling
  every 0.1 s in a warm process. Medians of ``--reps`` rounds, alternated. Target: <= 1.2x.
- makespan of 20 queued jobs (``sleep 1``, 1 CPU each on 2 CPUs): ours vs the same 20 through
  ``JobSubmissionClient`` (submitted at once, polled until all ended).

Run: ``.venv/bin/python benchmarks/bench_ray.py [--reps 5] [--queued 20]``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path) -> tuple[subprocess.Popen, str, str]:
    port, token = free_port(), secrets.token_hex(16)
    log = open(root.parent / "server.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlservice.cli", "serve", "--root", str(root), "--port", str(port), "--token", token,
         "--ServerApp.log_level=WARN"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "mlservice/api/info", headers={"Authorization": f"token {token}"}, timeout=2).ok:
                return proc, url, token
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not start")


def wait_ray_job(client, sid: str, poll: float = 0.1) -> str:
    while True:
        status = str(client.get_job_status(sid))
        if status in ("SUCCEEDED", "FAILED", "STOPPED"):
            return status
        time.sleep(poll)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--queued", type=int, default=20)
    args = ap.parse_args()

    from jupyter_mlservice import MLService

    tmp = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    root = tmp / "root"
    root.mkdir()
    proc, url, token = start_server(root)
    ml = MLService(url=url, token=token)
    try:
        t0 = time.monotonic()
        ml.targets.create("bench", type="ray", head={"cpu": 2}, object_store_memory=100_000_000)
        while (st := ml.targets.get("bench")["status"])["state"] not in ("ready", "failed"):
            time.sleep(1)
        if st["state"] != "ready":
            raise SystemExit(f"head failed: {st.get('error')}")
        print(f"managed head ready in {time.monotonic() - t0:.1f} s", flush=True)
        head_dir = root / ".mlservice" / "ray" / "bench"
        dash = json.loads((head_dir / "head.json").read_text())["dashboard_url"]
        ray_token = (head_dir / "auth_token").read_text().strip()

        from ray.job_submission import JobSubmissionClient

        client = JobSubmissionClient(dash, headers={"Authorization": f"Bearer {ray_token}"})
        cli_env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(head_dir / "auth_token")}

        def ours() -> float:
            t = time.perf_counter()
            job = ml.jobs.submit(command="echo hi", target="bench", resources={"cpu": 1}).wait()
            assert job.status == "Completed", (job.status, job.error)
            return time.perf_counter() - t

        def api() -> float:
            t = time.perf_counter()
            sid = client.submit_job(entrypoint="echo hi", entrypoint_num_cpus=1)
            assert wait_ray_job(client, sid) == "SUCCEEDED"
            return time.perf_counter() - t

        def cli() -> float:
            t = time.perf_counter()
            subprocess.run([str(BIN / "ray"), "job", "submit", "--address", dash, "--entrypoint-num-cpus=1", "--", "echo", "hi"],
                           env=cli_env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return time.perf_counter() - t

        ours(), api()  # warm-up: first runtime-env set-up, imports
        times: dict[str, list[float]] = {"ours (SDK)": [], "JobSubmissionClient": [], "`ray job submit`": []}
        for _ in range(args.reps):
            times["ours (SDK)"].append(ours())
            times["JobSubmissionClient"].append(api())
            times["`ray job submit`"].append(cli())
        med = {k: statistics.median(v) for k, v in times.items()}
        print("\nsubmit -> Completed, trivial job (median of %d):" % args.reps)
        for k, v in med.items():
            print(f"  {k:24s} {v:6.2f} s   (all: {', '.join(f'{x:.2f}' for x in times[k])})")
        print(f"  ratio ours / ray job submit      = {med['ours (SDK)'] / med['`ray job submit`']:.2f}x")
        print(f"  ratio ours / JobSubmissionClient = {med['ours (SDK)'] / med['JobSubmissionClient']:.2f}x", flush=True)

        n = args.queued
        t = time.perf_counter()
        jobs = [ml.jobs.submit(command="sleep 1", target="bench", resources={"cpu": 1}) for _ in range(n)]
        for j in jobs:
            assert j.wait().status == "Completed"
        ours_span = time.perf_counter() - t
        t = time.perf_counter()
        sids = [client.submit_job(entrypoint="sleep 1", entrypoint_num_cpus=1) for _ in range(n)]
        for sid in sids:
            assert wait_ray_job(client, sid, poll=0.2) == "SUCCEEDED"
        api_span = time.perf_counter() - t
        print(f"\n{n} queued jobs (sleep 1, 1 CPU each, 2 CPUs): makespan ours {ours_span:.1f} s, "
              f"JobSubmissionClient {api_span:.1f} s, ratio {ours_span / api_span:.2f}x", flush=True)
    finally:
        try:
            ml.targets.delete("bench")  # stops the head by its pid
        except Exception as exc:
            print("could not delete the target:", exc)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
