"""Environments benchmark: building with uv vs `python -m venv` + `pip install`, the cost of starting
a job in a built environment, and scoring throughput in an environment vs in the server's.

    .venv/bin/python benchmarks/bench_environments.py [--duration 10] [--rounds 2]

1. First build of a scikit-learn environment (scikit-learn==1.2.2, numpy<2: resolved by us into a
   full lock with the service's own packages) vs `python -m venv` + `pip install -r` of the same
   lock. Both package caches are warm (each tool installs the lock once, untimed, first), so the
   figures compare building, not downloading. Target: ours >= 3x faster.
   Cached reuse: a second use of the same environment (the cache hit).
2. What a cached environment adds to a job's start: the launcher (`enter`: check the cache, then
   exec) timed around `/bin/true`, and the end-to-end time of a command job with and without the
   environment. Target: <= 200 ms.
3. `/score` (an Azure scoring script) and `/invocations` (an MLflow model) of one model served in an
   environment (its scikit-learn pinned to the server's version) vs in the server's environment,
   wrk with 8 connections, alternating round by round. Target: within 10%.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from bench_serving import MLFLOW_BODY, SCRIPT, SCRIPT_BODY, pyload, save_model, wrk  # noqa: E402

from jupyter_mlservice.core.environments import sources  # noqa: E402
from jupyter_mlservice.core.environments.cache import EnvironmentCache  # noqa: E402
from jupyter_mlservice.core.environments.resolve import resolve, uv_bin  # noqa: E402

REQUIREMENTS = ["scikit-learn==1.2.2", "numpy<2"]
LOAD = wrk


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def pip_build(lock: Path, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run([str(folder / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "-r", str(lock)],
                   check=True, env={**os.environ, "PIP_CONSTRAINT": ""}, stderr=subprocess.DEVNULL)


def bench_builds(work: Path, rounds: int) -> dict:
    t = time.perf_counter()
    resolution = resolve(sources.from_list(REQUIREMENTS))
    resolve_s = time.perf_counter() - t
    lock = work / "requirements.lock"
    lock.write_text("\n".join(resolution.lock) + "\n")
    print(f"resolved {len(resolution.lock)} packages in {resolve_s:.1f} s")
    # warm both tools' package caches with the same lock (untimed)
    EnvironmentCache(work / "warm-uv").record(resolution.key, resolution.lock, [])
    EnvironmentCache(work / "warm-uv").ensure(resolution.key)
    if rounds == 0:  # only the environment, for the other measurements
        return {"cache": EnvironmentCache(work / "warm-uv"), "key": resolution.key}
    pip_build(lock, work / "warm-pip")
    ours, theirs, reuse = [], [], []
    for i in range(rounds):
        cache = EnvironmentCache(work / f"cache-{i}")
        cache.record(resolution.key, resolution.lock, [])
        ours.append(timed(lambda: cache.ensure(resolution.key)))
        reuse.append(timed(lambda: cache.ensure(resolution.key)))
        theirs.append(timed(lambda: pip_build(lock, work / f"pip-{i}")))
        print(f"  round {i + 1}: uv build {ours[-1]:.1f} s, venv+pip {theirs[-1]:.1f} s, cached reuse {reuse[-1] * 1000:.1f} ms")
    ours_s, theirs_s = min(ours), min(theirs)
    print(f"first build: ours {ours_s:.1f} s (+ {resolve_s:.1f} s resolving) vs venv+pip {theirs_s:.1f} s: "
          f"{theirs_s / ours_s:.1f}x faster (target >= 3x); with resolving {theirs_s / (ours_s + resolve_s):.1f}x")
    return {"cache": EnvironmentCache(work / "cache-0"), "key": resolution.key}



def bench_start(work: Path, cache: EnvironmentCache, key: str) -> None:
    from jupyter_mlservice.core.environments.enter import LAUNCH

    enter = ["/bin/sh", "-c", LAUNCH, str(cache.folder(key)), sys.executable, str(cache.root), key, "/bin/true"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    plain, wrapped = [], []
    for _ in range(15):
        plain.append(timed(lambda: subprocess.run(["/bin/true"], check=True)))
        wrapped.append(timed(lambda: subprocess.run(enter, check=True, env=env)))
    added = statistics.median(wrapped) - statistics.median(plain)
    print(f"cached start: the launcher adds {added * 1000:.0f} ms (median of 15; target <= 200 ms)")

    from jupyter_mlservice.core.environments.schemas import EnvironmentCreate
    from jupyter_mlservice.core.jobs.schemas import CommandJobSpec
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = work / "jobs-root"
    root.mkdir()
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.05, environments_dir=cache.root))
    ws.start()
    try:
        env_ref = ws.environments.create(EnvironmentCreate(name="bench", requirements=REQUIREMENTS, build=False)).reference
        ws.environments.build(env_ref)

        def run(environment):
            job = ws.jobs.submit(CommandJobSpec(command="true", environment=environment))
            while not (j := ws.jobs.get(job.id)).status.is_terminal:
                time.sleep(0.01)
            assert j.status == "Completed", ws.jobs.logs(job.id).text
            return j.duration_s

        with_env, without = [], []
        for _ in range(8):
            without.append(run(None))
            with_env.append(run(env_ref))
        added = statistics.median(with_env) - statistics.median(without)
        print(f"cached start, end to end: a command job runs {statistics.median(without) * 1000:.0f} ms in the server's "
              f"environment, {statistics.median(with_env) * 1000:.0f} ms in a built one: +{added * 1000:.0f} ms "
              "(median of 8; target <= 200 ms)")
    finally:
        ws.stop()


def bench_serving(work: Path, duration: float, rounds: int) -> None:
    import sklearn

    from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointProcess

    resolution = resolve(sources.from_list([f"scikit-learn=={sklearn.__version__}", "joblib"]))
    cache = EnvironmentCache(work / "serving-cache")
    cache.record(resolution.key, resolution.lock, [])
    python = str(cache.ensure(resolution.key))
    model = work / "model"
    save_model(model)
    code = work / "code"
    code.mkdir()
    (code / "score.py").write_text(SCRIPT)
    endpoints = {}
    for label, interp in (("server", None), ("environment", python)):
        config = EndpointConfig(name=f"bench-{label}", auth_mode="none", deployments=[
            DeploymentConfig(name="mlflow", model_path=str(model), python=interp),
            DeploymentConfig(name="script", model_path=str(model), code_dir=str(code), scoring_script="score.py", python=interp),
        ], traffic={"mlflow": 100})
        endpoints[label] = EndpointProcess.start(config, work / f"ep-{label}", timeout=300)
    try:
        results: dict[tuple[str, str], list[float]] = {}
        for r in range(rounds):
            for path, body, deployment in (("/invocations", MLFLOW_BODY, "mlflow"), ("/score", SCRIPT_BODY, "script")):
                for label, ep in endpoints.items():
                    out = LOAD(ep.base_url + path, body, {"Content-Type": "application/json", "mlservice-deployment": deployment},
                              duration, 8)
                    assert out["bad"] == 0, out
                    results.setdefault((path, label), []).append(out["rps"])
                    print(f"  round {r + 1} {path:12s} {label:11s} {out['rps']:8.0f} req/s  p50 {out['p50']:.2f} ms  p99 {out['p99']:.2f} ms")
        for path in ("/invocations", "/score"):
            ours, base = max(results[(path, "environment")]), max(results[(path, "server")])
            print(f"{path}: in an environment {ours:.0f} req/s vs the server's {base:.0f} req/s: {ours / base:.0%} "
                  "(target: within 10%)")
    finally:
        for ep in endpoints.values():
            ep.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="serving rounds")
    parser.add_argument("--build-rounds", type=int, default=2, help="build rounds (0: skip the build comparison)")
    args = parser.parse_args()
    global LOAD
    LOAD = wrk if shutil.which("wrk") else pyload  # as bench_serving.py: wrk when installed
    print(f"load generator: {'wrk' if LOAD is wrk else 'python asyncio (apt-get install -y wrk for wrk)'}")
    print(f"uv: {subprocess.run([uv_bin(), '--version'], capture_output=True, text=True).stdout.strip()}")
    work = Path(tempfile.mkdtemp(prefix="mlservice-bench-env-"))
    try:
        built = bench_builds(work, args.build_rounds)
        bench_start(work, built["cache"], built["key"])
        bench_serving(work, args.duration, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
