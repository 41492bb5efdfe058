"""Data assets, measured against their anchors on this machine, in one run.

    .venv/bin/python benchmarks/bench_data.py [--gib 2] [--rounds 3] [--workdir DIR]

1. Profile of a generated Parquet folder (--gib on disk: floats, ints, a category, a timestamp)
   by the profile job's module (`python -m jupyter_mlservice.core.data.profile`, one streaming
   pass) vs `pandas.read_parquet(folder).describe(include="all")`, each in its own process: wall
   time and peak RSS (the process's maxrss from wait4). Targets: >= 2x faster, <= 1/4 of pandas'
   peak memory.
2. Registration digest of the same folder (`ml.data.create(..., mode="reference")` through the
   data service: listing, schema from the footers, sha256 of every byte on several threads) vs
   `sha256sum` over the same files, alternating, page cache warm for both. Target: >= 80% of
   sha256sum's throughput.
3. Recording an input on a job's run (lineage edge + `mlflow log_inputs` from the stored digest,
   schema and profile): its cost does not depend on the data's size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PANDAS = "import sys, pandas as pd; d = pd.read_parquet(sys.argv[1]).describe(include='all'); print(d.shape)"


def generate(folder: Path, gib: float, files: int = 16) -> int:
    """Parquet files totalling ~gib GiB on disk; returns the row count."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob("*.parquet"))
    if len(existing) == files and abs(sum(f.stat().st_size for f in existing) / 2**30 - gib) < 0.1 * gib:
        return sum(pq.read_metadata(f).num_rows for f in existing)
    for f in existing:
        f.unlink()
    rng = np.random.default_rng(0)
    regions = np.array(["north", "south", "east", "west", "centre"])
    per_row = 60.0  # bytes on disk per row, measured on a first file below
    total_rows = 0
    for i in range(files):
        want = gib * 2**30 / files
        rows = int(want / per_row)
        start = total_rows
        chunk = pd.DataFrame({
            **{f"x{j}": rng.normal(j, 1 + j, rows) for j in range(6)},
            "count": rng.integers(0, 1_000_000, rows),
            "small": rng.integers(0, 100, rows).astype("int32"),
            "region": pd.Categorical.from_codes(rng.integers(0, 5, rows), categories=regions).astype(str),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(start, start + rows), unit="s"),
        })
        chunk.loc[rng.integers(0, rows, rows // 100), "x0"] = np.nan
        path = folder / f"part-{i:03d}.parquet"
        pq.write_table(pa.Table.from_pandas(chunk, preserve_index=False), path, row_group_size=1_000_000)
        if i == 0:
            per_row = path.stat().st_size / rows
        total_rows += rows
    return total_rows


def timed_process(argv: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """(wall seconds, peak RSS bytes, stdout) of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}):\n{err[-3000:]}")
    return wall, usage.ru_maxrss * 1024, out


def bench_profile(folder: Path, rounds: int, work: Path) -> dict:
    env = {"PYTHONPATH": str(ROOT)}
    ours, theirs = [], []
    for r in range(rounds):
        out = work / "profile.json"
        ours.append(timed_process([sys.executable, "-m", "jupyter_mlservice.core.data.profile", str(folder), "--out", str(out)], env))
        theirs.append(timed_process([sys.executable, "-c", PANDAS, str(folder)]))
        print(f"  round {r + 1}: profile {ours[-1][0]:.1f} s / {ours[-1][1] / 2**20:,.0f} MiB; "
              f"pandas {theirs[-1][0]:.1f} s / {theirs[-1][1] / 2**20:,.0f} MiB", flush=True)
    o_s, o_m = statistics.median(t for t, _, _ in ours), max(m for _, m, _ in ours)
    p_s, p_m = statistics.median(t for t, _, _ in theirs), max(m for _, m, _ in theirs)
    return {"ours_s": o_s, "ours_rss": o_m, "pandas_s": p_s, "pandas_rss": p_m}


def bench_digest(folder: Path, rounds: int, work: Path) -> dict:
    from jupyter_mlservice.core.data.schemas import DataCreate
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    files = sorted(str(p) for p in folder.glob("*.parquet"))
    size = sum(os.path.getsize(f) for f in files)
    subprocess.run(["sha256sum", *files], capture_output=True, check=True)  # warm the page cache
    root = work / "ws"
    root.mkdir(exist_ok=True)
    ws = Workspace(WorkspaceConfig(root_dir=root))
    ours, theirs = [], []
    try:
        for r in range(rounds):
            t0 = time.perf_counter()
            subprocess.run(["sha256sum", *files], capture_output=True, check=True)
            theirs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            v = ws.data.create(DataCreate(name=f"bench-{r}", path=str(folder), mode="reference", profile=False))
            ours.append(time.perf_counter() - t0)
            print(f"  round {r + 1}: sha256sum {size / theirs[-1] / 2**20:,.0f} MiB/s; registration {size / ours[-1] / 2**20:,.0f} MiB/s ({v.digest[:19]}...)", flush=True)
        record = bench_record(ws, root)
    finally:
        ws.stop()
    return {"bytes": size, "sha256sum_s": statistics.median(theirs), "ours_s": statistics.median(ours), **record}


def bench_record(ws, root: Path) -> dict:
    """The cost of recording an input (lineage + MLflow log_inputs), small data vs the big folder."""
    from jupyter_mlservice.core.data.inputs import JobIO, Resolved
    from jupyter_mlservice.core.data.schemas import DataCreate
    from jupyter_mlservice.core.jobs.schemas import CommandJobSpec

    (root / "tiny.csv").write_text("a\n1\n")
    tiny = ws.data.create(DataCreate(name="tiny", path="tiny.csv", profile=False))
    big = ws.data.resolve("bench-0")
    io = JobIO(ws.data, ws.lineage, ws.experiments, ws.models, ws.jobs_dir, ws.root_dir)
    out = {}
    for label, v in (("tiny", tiny), ("big", big)):
        times = []
        for _ in range(5):
            job = ws.jobs.submit(CommandJobSpec(command="true", experiment="bench-record"))
            row = ws.jobs.row(job.id)
            t0 = time.perf_counter()
            io._record(row, "train", Resolved(v.path, version=v))
            times.append(time.perf_counter() - t0)
            ws.jobs.cancel(job.id)
        out[f"record_{label}_ms"] = statistics.median(times) * 1000
        out[f"record_{label}_bytes"] = v.size_bytes
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gib", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default=None, help="keeps the generated data between runs")
    ap.add_argument("--skip", action="append", default=[], choices=["profile", "digest"])
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-data-"))
    folder = work / "parquet"
    t0 = time.perf_counter()
    rows = generate(folder, args.gib)
    size = sum(f.stat().st_size for f in folder.glob("*.parquet"))
    print(f"data: {rows:,} rows in {len(list(folder.glob('*.parquet')))} Parquet files, {size / 2**30:.2f} GiB on disk "
          f"({time.perf_counter() - t0:.0f} s to make or find); load average {os.getloadavg()[0]:.1f}", flush=True)
    if "profile" not in args.skip:
        print("profile vs pandas read_parquet().describe(include='all'):", flush=True)
        p = bench_profile(folder, args.rounds, work)
        print(f"PROFILE: ours {p['ours_s']:.1f} s, peak {p['ours_rss'] / 2**20:,.0f} MiB; pandas {p['pandas_s']:.1f} s, peak "
              f"{p['pandas_rss'] / 2**20:,.0f} MiB -> {p['pandas_s'] / p['ours_s']:.2f}x faster (>= 2), "
              f"{p['ours_rss'] / p['pandas_rss']:.2f} of its memory (<= 0.25)", flush=True)
    if "digest" not in args.skip:
        print("registration digest vs sha256sum:", flush=True)
        d = bench_digest(folder, args.rounds, work)
        ratio = d["sha256sum_s"] / d["ours_s"]
        print(f"DIGEST: sha256sum {d['bytes'] / d['sha256sum_s'] / 2**20:,.0f} MiB/s, registration {d['bytes'] / d['ours_s'] / 2**20:,.0f} MiB/s "
              f"-> {ratio:.0%} of sha256sum's throughput (>= 80%)", flush=True)
        print(f"RECORD: recording an input on a run: {d['record_tiny_ms']:.1f} ms for {d['record_tiny_bytes']} bytes, "
              f"{d['record_big_ms']:.1f} ms for {d['record_big_bytes'] / 2**30:.2f} GiB", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}; data kept in {work}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
