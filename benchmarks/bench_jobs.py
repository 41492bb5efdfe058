"""Job overheads against their anchors, in one run.

(a) submit -> Completed of `python -c pass` as a job vs the same command run bare (target: at most
    250 ms median overhead);
(b) a trivial notebook job vs the `papermill` CLI on the same notebook (target ratio <= 1.0);
(c) 50 trivial jobs on a 2-slot local target: jobs/s;
(d) `mlflow.log_metric` calls/s inside a job vs synchronous MLflow on the same store (target >= 10x).

Usage: python benchmarks/bench_jobs.py [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from _server import BenchServer, median  # noqa: E402


def bare(cmd: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t


def as_job(ml, **spec) -> float:
    t = time.perf_counter()
    job = ml.jobs.submit(**spec).wait(timeout=300)
    elapsed = time.perf_counter() - t
    assert job.status == "Completed", job.logs()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    with BenchServer() as server:
        ml = server.client()
        root = server.root
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("x = 1")]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / "trivial.ipynb")
        as_job(ml, command="python -c pass")  # warm the experiment and caches

        # (a) alternating, so machine noise hits both sides alike
        bare_t, job_t = [], []
        for _ in range(args.runs):
            bare_t.append(bare([sys.executable, "-c", "pass"], root))
            job_t.append(as_job(ml, command="python -c pass"))
        overhead_ms = (median(job_t) - median(bare_t)) * 1000
        print(f"(a) trivial command: bare {median(bare_t)*1000:.0f} ms, as a job {median(job_t)*1000:.0f} ms "
              f"-> overhead {overhead_ms:.0f} ms median (target <= 250 ms) {'OK' if overhead_ms <= 250 else 'MISSED'}")

        # (b)
        pm_t, nbjob_t = [], []
        papermill = [str(Path(sys.executable).with_name("papermill")), "trivial.ipynb", "out.ipynb", "--no-progress-bar"]
        for _ in range(max(3, args.runs // 2)):
            pm_t.append(bare(papermill, root))
            nbjob_t.append(as_job(ml, notebook="trivial.ipynb"))
        ratio = median(nbjob_t) / median(pm_t)
        print(f"(b) trivial notebook: papermill CLI {median(pm_t):.2f} s, as a job {median(nbjob_t):.2f} s "
              f"-> ratio {ratio:.2f} (target <= 1.0) {'OK' if ratio <= 1.0 else 'MISSED'}")

        # (c)
        ml.targets.create(name="two-slots", type="local", max_concurrency=2)
        t = time.perf_counter()
        jobs = [ml.jobs.submit(command="python -c pass", target="two-slots") for _ in range(50)]
        for job in jobs:
            job.wait(timeout=600)
        elapsed = time.perf_counter() - t
        assert all(j.status == "Completed" for j in jobs)
        seq = median(bare_t) * 50 / 2
        print(f"(c) 50 trivial jobs on a 2-slot target: {elapsed:.1f} s -> {50/elapsed:.1f} jobs/s "
              f"(bare processes, 2 at a time, would take ~{seq:.1f} s)")

    # (d) measured by the logging benchmark (a job-like subprocess against the same kind of store)
    from bench_logging import measure

    d = measure()
    print(f"(d) log_metric: {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
