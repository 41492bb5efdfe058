"""Sidebar list latency at scale: 5,000 jobs and 20,000 runs in one experiment.

Seeds a workspace (job rows straight into the store, runs through MLflow's own store in
batches), starts a real `mlservice serve`, and times the first page of each list the sidebar
opens, the way the frontend asks for it (server-side pagination and sorting). Anchor: the same
MLflow query through `MlflowClient.search_runs` in-process (no HTTP), so the ratio shows what the
service adds. Target: each list opens in under a second.

Usage: python benchmarks/bench_lists.py [--jobs 5000] [--runs 20000] [--root SEEDED_DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _server import BenchServer, median


def seed(root: Path, n_jobs: int, n_runs: int) -> str:
    from mlflow.entities import Metric, Param, RunTag

    from jupyter_mlservice.core.jobs.tables import JobRow
    from jupyter_mlservice.core.timeutil import utcnow
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    ws = Workspace(WorkspaceConfig(root_dir=root))
    exp_id = ws.experiments.ensure_experiment("big")
    client = ws.experiments.client
    t = time.perf_counter()
    store = client._tracking_client.store
    for i in range(n_runs):
        run = store.create_run(exp_id, "bench", int(time.time() * 1000), [RunTag("mlflow.runName", f"run-{i}")], f"run-{i}")
        store.log_batch(run.info.run_id, metrics=[Metric("rmse", random.random(), 0, 0), Metric("r2", random.random(), 0, 0)], params=[Param("alpha", str(i % 10))], tags=[])
    print(f"seeded {n_runs} runs in {time.perf_counter() - t:.0f} s")
    now = utcnow()
    with ws.store.session() as s:
        for i in range(n_jobs):
            s.add(JobRow(id=f"job-{i:012x}", kind="command", display_name=f"j{i}", target="local", experiment="big", experiment_id=exp_id,
                         run_id=None, status=random.choice(["Completed", "Failed", "Canceled"]), spec={"kind": "command", "command": "true"},
                         tags={}, attempt=1, max_retries=0, backend_state={}, attempts=[], created_at=now, updated_at=now))
    ws.store.dispose()
    return exp_id


def timed(fn, reps: int = 5) -> float:
    values = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        values.append(time.perf_counter() - t)
    return median(values)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20000)
    parser.add_argument("--root", type=Path, default=None, help="reuse a workspace seeded by an earlier run")
    args = parser.parse_args()
    import tempfile

    if args.root:
        root = args.root
        from mlflow import MlflowClient

        exp_id = MlflowClient(tracking_uri=f"sqlite:///{root / '.mlservice' / 'mlflow.db'}").get_experiment_by_name("big").experiment_id
    else:
        root = Path(tempfile.mkdtemp(prefix="mlservice-lists-"))
        exp_id = seed(root, args.jobs, args.runs)
        print(f"seeded workspace: {root} (reuse with --root)")
    with BenchServer(root=root) as server:
        h = {"Authorization": f"token {server.token}"}
        api = server.url + "mlservice/api"

        def get(path, **params):
            r = requests.get(api + path, params=params, headers=h, timeout=60)
            r.raise_for_status()
            return r.json()

        get("/jobs", limit=50)  # warm
        rows = [
            ("Jobs, first page (50, newest first)", lambda: get("/jobs", limit=50)),
            ("Jobs, filtered by status", lambda: get("/jobs", limit=50, status="Failed")),
            ("Jobs, page 50 (cursor)", None),
            ("Compute targets", lambda: get("/targets")),
            ("Experiments", lambda: get("/experiments")),
            (f"Runs of a {args.runs}-run experiment, newest first", lambda: get(f"/experiments/{exp_id}/runs", limit=50)),
            ("... sorted by metrics.rmse ASC", lambda: get(f"/experiments/{exp_id}/runs", limit=50, order_by="metrics.rmse ASC")),
            ("... sorted by metrics.r2 DESC", lambda: get(f"/experiments/{exp_id}/runs", limit=50, order_by="metrics.r2 DESC")),
            ("... sorted by metrics.rmse ASC, page 100 (cursor)", None),
            ("... sorted by params.alpha DESC", lambda: get(f"/experiments/{exp_id}/runs", limit=50, order_by="params.alpha DESC")),
        ]
        cursor = None
        for _ in range(49):
            cursor = get("/jobs", limit=50, cursor=cursor)["next_cursor"]
        rows[2] = ("Jobs, page 50 (cursor)", lambda: get("/jobs", limit=50, cursor=cursor))
        sorted_runs = f"/experiments/{exp_id}/runs"
        run_cursor = None
        for _ in range(99):
            run_cursor = get(sorted_runs, limit=50, order_by="metrics.rmse ASC", cursor=run_cursor)["next_cursor"]
        rows[8] = (rows[8][0], lambda: get(sorted_runs, limit=50, order_by="metrics.rmse ASC", cursor=run_cursor))
        from mlflow import MlflowClient

        anchor = MlflowClient(tracking_uri=f"sqlite:///{root / '.mlservice' / 'mlflow.db'}")
        anchor_sorted = timed(lambda: anchor.search_runs([exp_id], max_results=50, order_by=["metrics.rmse ASC"]), reps=1)
        print(f"{'list':55} {'median ms':>10}  target < 1000 ms")
        worst = 0.0
        for label, fn in rows:
            ms = timed(fn) * 1000
            worst = max(worst, ms)
            print(f"{label:55} {ms:10.0f}  {'OK' if ms < 1000 else 'MISSED'}")
        print(f"anchor: MlflowClient.search_runs sorted by metric, in-process (one call): {anchor_sorted * 1000:.0f} ms")
        print(f"slowest list: {worst:.0f} ms ({'OK' if worst < 1000 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
