"""Per-call ``mlflow.log_metric`` inside a job: synchronous SQLite vs the batching store.

Both sides run like a job does: a fresh Python process with ``MLFLOW_RUN_ID`` of a pre-created
run and ``MLFLOW_REGISTRY_URI`` set, logging ``n`` values with plain ``mlflow.log_metric`` into
the same kind of SQLite MLflow store (WAL, prepared by ``prepare_sqlite_tracking_db``).

Printed:
- calls/s of the logging loop for each side and their ratio (target >= 10x);
- for the batching side, seconds from the last ``log_metric`` returning until all ``n`` values
  are in the database (the parent polls the database), and until the process has exited.

Run: ``python benchmarks/bench_logging.py [n]``. ``measure(n)`` returns the numbers as a dict.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

_JOB = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.time()
    import mlflow
    n = int(sys.argv[1])
    mlflow.log_metric("warmup", 0.0)  # starts the run and builds the store: not timed
    t1 = time.perf_counter()
    for i in range(n):
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
    t2 = time.perf_counter()
    print(json.dumps({"loop_s": t2 - t1, "loop_end": time.time(), "startup_s": time.time() - t0
                      - (t2 - t1)}), flush=True)
    """
)


def _count(db: Path, run_id: str) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(
            "SELECT COUNT(*) FROM metrics WHERE run_uuid = ? AND key = 'loss'", (run_id,)
        ).fetchone()[0]
    finally:
        conn.close()


def _run_job(tracking_uri: str, registry_uri: str, run_id: str, n: int, db: Path) -> dict:
    env = dict(os.environ)
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri, MLFLOW_REGISTRY_URI=registry_uri, MLFLOW_RUN_ID=run_id
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", _JOB, str(n)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise RuntimeError(f"job failed: {proc.stderr.read()[-2000:]}")
    out = json.loads(line)
    stored_at = None
    while stored_at is None:
        if _count(db, run_id) >= n:
            stored_at = time.time()
            break
        if proc.poll() is not None and _count(db, run_id) < n:
            raise RuntimeError(f"job exited with values missing: {proc.stderr.read()[-2000:]}")
        time.sleep(0.01)
    proc.wait(timeout=300)
    exited_at = time.time()
    if proc.returncode != 0:
        raise RuntimeError(f"job failed: {proc.stderr.read()[-2000:]}")
    return {
        "calls_per_s": n / out["loop_s"],
        "stored_after_s": max(0.0, stored_at - out["loop_end"]),
        "exited_after_s": exited_at - out["loop_end"],
        "startup_s": out["startup_s"],
        "stored": _count(db, run_id),
    }


def measure(n: int = 3000) -> dict:
    """Run both sides once; returns calls/s, the ratio and drain times (seconds)."""
    from jupyter_mlservice.core.tracking import batching_uri
    from jupyter_mlservice.core.tracking.store_setup import prepare_sqlite_tracking_db

    with tempfile.TemporaryDirectory(prefix="bench-logging-") as tmp:
        db = Path(tmp) / "mlflow.db"
        uri = f"sqlite:///{db}"
        store = prepare_sqlite_tracking_db(uri, str(Path(tmp) / "artifacts"))
        now = int(time.time() * 1000)
        sync_run = store.create_run("0", "", now, [], "sync").info.run_id
        batch_run = store.create_run("0", "", now, [], "batched").info.run_id

        sync = _run_job(uri, uri, sync_run, n, db)
        batched = _run_job(batching_uri(uri), uri, batch_run, n, db)
        return {
            "n": n,
            "sync_calls_per_s": sync["calls_per_s"],
            "batched_calls_per_s": batched["calls_per_s"],
            "ratio": batched["calls_per_s"] / sync["calls_per_s"],
            "batched_stored_after_s": batched["stored_after_s"],
            "batched_exited_after_s": batched["exited_after_s"],
            "sync_exited_after_s": sync["exited_after_s"],
            "batched_values_stored": batched["stored"],
            "sync_values_stored": sync["stored"],
        }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    r = measure(n)
    print(f"mlflow.log_metric x {n} in a job process, SQLite MLflow store (WAL)")
    print(f"  synchronous (sqlite:///)      {r['sync_calls_per_s']:>10.0f} calls/s")
    print(f"  batching (mlservice-batch://)  {r['batched_calls_per_s']:>10.0f} calls/s")
    print(f"  ratio                          {r['ratio']:>10.1f}x   (target >= 10x)")
    print(
        f"  batching: all {r['batched_values_stored']} values stored "
        f"{r['batched_stored_after_s']:.2f} s after the last call; "
        f"process exited after {r['batched_exited_after_s']:.2f} s"
    )
    print(f"  synchronous: {r['sync_values_stored']} values stored")


if __name__ == "__main__":
    main()
