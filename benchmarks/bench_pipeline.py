"""Pipelines, measured against their anchors in one run (an in-process workspace, real jobs).

1. Overhead per step: a 10-step chain of trivial command steps (each reads the previous step's
   output folder) vs the same 10 commands submitted one after another as plain jobs (each
   waiting for the previous). Target: at most 100 ms added per step.
2. Slot occupancy: a 20-step fan-out of `sleep` steps on a 2-slot local target: the time steps
   ran over 2 x the time from the first step's start to the last one's end. Target: >= 90%.
3. A fully reused 10-step pipeline (the chain of 1 submitted again): submit -> Completed.
   Target: under 1 s.

    python benchmarks/bench_pipeline.py --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEP = "test -d ${{inputs.prev}} && touch ${{outputs.out}}/done"


def _workspace(root: Path):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.05))
    ws.start()
    return ws


def _wait_job(ws, job_id: str, timeout: float = 600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ws.jobs.get(job_id)
        if job.status.is_terminal:
            return job
        time.sleep(0.01)
    raise TimeoutError(job_id)


def chain(n: int, name: str = "chain") -> dict:
    jobs = {"s0": {"command": "touch ${{outputs.out}}/done", "outputs": {"out": None}}}
    for i in range(1, n):
        jobs[f"s{i}"] = {"command": STEP, "inputs": {"prev": f"${{{{parent.jobs.s{i - 1}.outputs.out}}}}"}, "outputs": {"out": None}}
    return {"name": name, "jobs": jobs}


def submit(ws, pipeline: dict, **kw):
    from jupyter_mlservice.core.pipelines.schemas import PipelineSubmit

    return ws.pipelines.submit(PipelineSubmit.model_validate({"pipeline": pipeline, "experiment": "bench", **kw}))


def overhead(ws, runs: int) -> tuple[float, float, float]:
    """(median ms of the 10-step pipeline, median ms of 10 plain jobs, ms added per step)"""
    from jupyter_mlservice.core.jobs.schemas import CommandJobSpec

    piped, plain = [], []
    with tempfile.TemporaryDirectory(dir=ws.root_dir) as tmp:
        for r in range(runs):
            t = time.perf_counter()
            run = submit(ws, chain(10), force_rerun=True)
            job = _wait_job(ws, run.id)
            assert job.status.value == "Completed", job.error
            piped.append(time.perf_counter() - t)
            t = time.perf_counter()
            prev = Path(tmp) / f"r{r}-start"
            prev.mkdir()
            for i in range(10):
                out = Path(tmp) / f"r{r}-{i}"
                out.mkdir()
                j = ws.jobs.submit(CommandJobSpec(command=f"test -d {prev} && touch {out}/done", experiment="bench"))
                assert _wait_job(ws, j.id).status.value == "Completed"
                prev = out
            plain.append(time.perf_counter() - t)
    p, q = statistics.median(piped) * 1000, statistics.median(plain) * 1000
    return p, q, (p - q) / 10


def occupancy(ws, seconds: float, name: str) -> float:
    from jupyter_mlservice.core.targets.schemas import TargetCreate

    ws.targets.create(TargetCreate(name=name, type="local", settings={"max_concurrency": 2}))
    jobs = {f"f{i}": {"command": f"sleep {seconds}", "target": name, "force_rerun": True} for i in range(20)}
    run = submit(ws, {"name": "fanout", "jobs": jobs})
    assert _wait_job(ws, run.id).status.value == "Completed"
    steps = [ws.jobs.get(s.job_id) for s in ws.pipelines.get(run.id).steps]
    busy = sum((j.ended_at - j.started_at).total_seconds() for j in steps)
    span = (max(j.ended_at for j in steps) - min(j.started_at for j in steps)).total_seconds()
    return busy / (2 * span)


def reused(ws, runs: int) -> float:
    run = submit(ws, chain(10, "reused"))
    assert _wait_job(ws, run.id).status.value == "Completed"
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        again = submit(ws, chain(10, "reused"))
        job = _wait_job(ws, again.id)
        times.append(time.perf_counter() - t)
        assert job.status.value == "Completed"
        assert all(s.status == "reused" for s in ws.pipelines.get(again.id).steps)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--step-seconds", type=float, nargs="+", default=[0.5, 1.0], help="how long each fan-out step sleeps")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = _workspace(Path(tmp))
        try:
            submit(ws, chain(2, "warmup"))  # first MLflow experiment, imports
            p, q, per_step = overhead(ws, args.runs)
            occ = {s: occupancy(ws, s, f"two-slots-{i}") for i, s in enumerate(args.step_seconds)}
            reuse_ms = reused(ws, args.runs)
        finally:
            ws.stop()
    print(f"1. 10-step chain: pipeline {p:.0f} ms vs 10 plain jobs one after another {q:.0f} ms: "
          f"{per_step:+.0f} ms per step (target <= 100), ratio {p / q:.2f}x")
    for seconds, value in occ.items():
        print(f"2. 20-step fan-out of {seconds:g} s steps on a 2-slot target: slot occupancy {value:.1%} (target >= 90%)")
    print(f"3. fully reused 10-step pipeline, submit -> Completed: {reuse_ms:.0f} ms (target < 1000), "
          f"{reuse_ms / p:.2f}x of running it")


if __name__ == "__main__":
    main()
