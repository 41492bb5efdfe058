"""Batch scoring and scheduled notebooks, measured against their anchors on this machine.

    .venv/bin/python benchmarks/bench_batch.py [--rows 5000000] [--big-gib 5.2] [--workdir DIR]

1. 5M rows x 8 features, a scikit-learn RandomForestRegressor registered in MLflow, scored by a
   batch job (2 workers, append_row into a Parquet file) from a Parquet file and from a SQLite
   table, vs the physical limit: `model.predict` on the whole array already in memory.
2. Peak memory (RSS of the job's whole process tree, sampled every 0.1 s) while a batch job
   scores a Parquet input of >= 5 GiB (5x the 1 GiB bound) with a LinearRegression.
3. A trivial notebook run by a schedule ("run now" through the scheduler, pooled kernel) vs the
   `papermill` CLI on the same notebook, end to end (submit to Completed vs process wall time).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FEATURES = [f"f{i}" for i in range(8)]


def frame(n: int, start: int = 0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {"id": np.arange(start, start + n, dtype="int64")}
    data.update({f: rng.normal(size=n) for f in FEATURES})
    return pd.DataFrame(data)


def register(ws, model, name: str, X) -> None:
    import mlflow

    mlflow.set_tracking_uri(ws.config.tracking_uri)
    mlflow.set_registry_uri(ws.config.registry_uri)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model", input_example=X.head(2), registered_model_name=name,
                                        skops_trusted_types=["sklearn.tree._tree.Tree"])
    mlflow.MlflowClient().set_registered_model_alias(name, "bench", info.registered_model_version)


def run_job(ws, spec, sample_memory: bool = False) -> dict:
    from jupyter_mlservice.core.jobs.schemas import BatchJobSpec

    t0 = time.perf_counter()
    job = ws.jobs.submit(BatchJobSpec(**spec))
    peak = peak_pss = 0
    while not (j := ws.jobs.get(job.id)).status.is_terminal:
        if sample_memory:
            row = ws.jobs.row(job.id)
            pid = (row.backend_state or {}).get("handle", {}).get("pid")
            if pid:
                try:
                    root = psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                    # RSS summed over processes counts the pages forked workers share several
                    # times; PSS splits shared pages between their users (the honest total).
                    peak = max(peak, sum(p.memory_info().rss for p in procs))
                    peak_pss = max(peak_pss, sum(p.memory_full_info().pss for p in procs))
                except psutil.NoSuchProcess:
                    pass
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    progress = json.loads((ws.jobs.job_dir(job.id) / "progress.json").read_text())
    if j.status != "Completed":
        raise SystemExit(f"batch job failed: {ws.jobs.logs(job.id).text[-3000:]}")
    return {"wall_s": wall, "rows_per_s": progress["rows_per_s"], "rows": progress["rows_done"], "peak_rss": peak, "peak_pss": peak_pss, "elapsed_in_job_s": progress["elapsed_s"]}


def bench_scoring(ws, work: Path, rows: int, skip: list[str]) -> dict:
    from sklearn.ensemble import RandomForestRegressor

    df = frame(rows)
    train = df.sample(50_000, random_state=0)
    model = RandomForestRegressor(n_estimators=20, max_depth=10, random_state=0, n_jobs=1)
    model.fit(train[FEATURES], train[FEATURES].sum(axis=1) + np.sin(train["f0"] * 3))
    register(ws, model, "bench-rf", train[FEATURES])
    X = df[FEATURES]
    t0 = time.perf_counter()
    model.predict(X)
    limit_s = time.perf_counter() - t0
    limit = rows / limit_s
    print(f"physical limit: model.predict on {rows:,} rows in memory: {limit_s:.2f} s = {limit:,.0f} rows/s", flush=True)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), work / "input.parquet", row_group_size=500_000)
    db = work / "warehouse.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"CREATE TABLE features (id INTEGER PRIMARY KEY, {', '.join(f + ' REAL' for f in FEATURES)})")
        conn.executemany(f"INSERT INTO features VALUES ({', '.join('?' * 9)})", df.itertuples(index=False, name=None))
    del df, X
    common = dict(model="bench-rf@bench", key_columns=["id"], mini_batch_size=50_000, max_concurrency=2, resume=False)
    parquet = sql = None
    if "parquet" not in skip:
        parquet = run_job(ws, {**common, "input": {"path": str(work / "input.parquet")}, "output": {"path": str(work / "out" / "p.parquet")}})
        print(f"batch from Parquet, 2 workers: {parquet['rows_per_s']:,.0f} rows/s while scoring ({parquet['rows_per_s'] / limit:.0%} of the limit); "
              f"job end to end {parquet['wall_s']:.1f} s ({rows / parquet['wall_s']:,.0f} rows/s)", flush=True)
    if "sqlite" not in skip:
        sql = run_job(ws, {**common, "input": {"table": "features", "url": f"sqlite:///{db}"}, "output": {"path": str(work / "out" / "s.parquet")}})
        print(f"batch from SQLite, 2 workers: {sql['rows_per_s']:,.0f} rows/s while scoring ({sql['rows_per_s'] / limit:.0%} of the limit); "
              f"job end to end {sql['wall_s']:.1f} s ({rows / sql['wall_s']:,.0f} rows/s)", flush=True)
    return {"limit_rows_per_s": limit, "parquet": parquet, "sqlite": sql}


def bench_memory(ws, work: Path, gib: float) -> dict:
    from sklearn.linear_model import LinearRegression

    train = frame(10_000)
    register(ws, LinearRegression().fit(train[FEATURES], train["f0"] * 2), "bench-lin", train[FEATURES])
    path = work / "big.parquet"
    chunk = 2_000_000
    bytes_per_row = 8 * (len(FEATURES) + 1)
    total = int(gib * 2**30 / bytes_per_row)
    schema = pa.Table.from_pandas(frame(1), preserve_index=False).schema
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, total, chunk):
            n = min(chunk, total - start)
            writer.write_table(pa.Table.from_pandas(frame(n, start, seed=start), preserve_index=False), row_group_size=250_000)
    size = total * bytes_per_row
    print(f"big input: {total:,} rows, {size / 2**30:.2f} GiB of values ({path.stat().st_size / 2**30:.2f} GiB on disk)", flush=True)
    res = run_job(ws, dict(model="bench-lin@bench", key_columns=["id"], mini_batch_size=50_000, max_concurrency=2, resume=False,
                           input={"path": str(path)}, output={"path": str(work / "out" / "big.parquet")}), sample_memory=True)
    print(f"peak memory of the job's processes: PSS {res['peak_pss'] / 2**20:,.0f} MiB (RSS summed: {res['peak_rss'] / 2**20:,.0f} MiB) "
          f"for a {size / 2**30:.1f} GiB input "
          f"({res['rows_per_s']:,.0f} rows/s)", flush=True)
    path.unlink()
    return {"input_gib": size / 2**30, **res}


def bench_notebook(ws, work: Path, repeats: int) -> dict:
    import nbformat

    from jupyter_mlservice.core.schedules.schemas import ScheduleCreate

    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("x = 1")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell("print(x * 2)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = work / "trivial.ipynb"
    nbformat.write(nb, path)
    ws.schedules.create(ScheduleCreate(name="bench-nb", cron="0 3 * * *", job={"kind": "notebook", "notebook": str(path), "parameters": {"x": 3}}))
    ready = ws.workspace_dir / "kernels" / "python3" / "ready"
    ours, theirs = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        while not list(ready.glob("*.json")):
            time.sleep(0.05)
        t0 = time.perf_counter()
        run = ws.schedules.run_now("bench-nb")
        while not (j := ws.jobs.get(run.job_id)).status.is_terminal:
            time.sleep(0.02)
        ours.append(time.perf_counter() - t0)
        assert j.status == "Completed", ws.jobs.logs(j.id).text
        t0 = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("papermill")), str(path), str(work / "pm-out.ipynb"), "-p", "x", "3"],
                       check=True, capture_output=True)
        theirs.append(time.perf_counter() - t0)
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"trivial notebook: scheduled job {o:.2f} s (median of {repeats}) vs papermill CLI {t:.2f} s: {o / t:.2f}x", flush=True)
    return {"scheduled_job_s": ours, "papermill_cli_s": theirs, "ratio": o / t}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--big-gib", type=float, default=5.2)
    ap.add_argument("--notebook-repeats", type=int, default=3)
    ap.add_argument("--skip", action="append", default=[], choices=["scoring", "parquet", "sqlite", "memory", "notebook"])
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-batch-"))
    (work / "root").mkdir(parents=True, exist_ok=True)
    ws = Workspace(WorkspaceConfig(root_dir=work / "root", poll_interval=0.1))
    ws.start()
    results = {"load_average": list(psutil.getloadavg()), "cpus": psutil.cpu_count()}
    try:
        if "notebook" not in args.skip:
            results["notebook"] = bench_notebook(ws, work, args.notebook_repeats)
        if "scoring" not in args.skip:
            results["scoring"] = bench_scoring(ws, work, args.rows, args.skip)
        if "memory" not in args.skip:
            results["memory"] = bench_memory(ws, work, args.big_gib)
    finally:
        ws.stop()
    results["load_average_end"] = list(psutil.getloadavg())
    print(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
