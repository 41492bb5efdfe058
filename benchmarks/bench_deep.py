"""Deep model serving benchmark: one small CNN (PyTorch, 1x8x8 images), one image per request, 16
connections, servers measured one after the other in rounds within one run.

    .venv/bin/python benchmarks/bench_deep.py [--duration 10] [--rounds 2] [--connections 16]

1. Our endpoint (MLflow PyTorch flavor, no code, dynamic batching max_batch_size=32,
   max_delay_ms=5) vs ``mlflow models serve --env-manager local`` vs a plain FastAPI + torch
   handler written the obvious way (a sync handler: JSON -> tensor -> model -> JSON, under
   uvicorn). Targets: >= 10x mlflow serve and >= 2x the plain handler in req/s, p99 no worse than
   the plain handler's.
2. The same CNN exported to ONNX and served by our endpoint (MLflow onnx flavor, onnxruntime, same
   batching) vs the PyTorch flavor: the ratio is reported.

Every server is one process with OMP_NUM_THREADS=1 (the load generator needs the other core of a
2-core machine). Load comes from ``wrk`` when installed, else from bench_serving's asyncio client.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_serving import free_port, pyload, wait_http, wrk  # noqa: E402

from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointProcess  # noqa: E402

THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
BATCHING = {"max_batch_size": 32, "max_delay_ms": 5}

PLAIN_APP = textwrap.dedent(
    '''
    import os
    import mlflow.pytorch
    import torch
    from fastapi import FastAPI

    torch.set_num_threads(1)
    model = mlflow.pytorch.load_model(os.environ["MODEL_DIR"])
    app = FastAPI()

    @app.post("/invocations")
    def invocations(body: dict):
        x = torch.tensor(body["inputs"], dtype=torch.float32)
        with torch.no_grad():
            y = model(x)
        return {"predictions": y.tolist()}
    '''
)


def save_models(folder: Path) -> tuple[Path, Path, list]:
    """The CNN of the deep learning tests (MLflow PyTorch flavor) and its ONNX export (onnx flavor)."""
    import mlflow.onnx
    import mlflow.pytorch
    import numpy as np
    import onnx
    import torch
    from mlflow.models import infer_signature
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)).eval()
    x = np.random.default_rng(0).normal(size=(2, 1, 8, 8)).astype("float32")
    signature = infer_signature(x, model(torch.from_numpy(x)).detach().numpy())
    torch_dir, onnx_dir = folder / "cnn-torch", folder / "cnn-onnx"
    mlflow.pytorch.save_model(model, str(torch_dir), signature=signature, input_example=x, pip_requirements=["torch"])
    onnx_file = folder / "cnn.onnx"
    torch.onnx.export(model, (torch.from_numpy(x),), str(onnx_file), input_names=["input"], output_names=["output"],
                      dynamic_shapes=({0: torch.export.Dim("batch")},), dynamo=True, verbose=False)
    mlflow.onnx.save_model(onnx.load(str(onnx_file)), str(onnx_dir), signature=signature, pip_requirements=["onnxruntime"])
    return torch_dir, onnx_dir, x[:1].tolist()


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, env={**os.environ, **env}, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    load = wrk if shutil.which("wrk") else pyload
    work = Path(tempfile.mkdtemp(prefix="bench-deep-"))
    torch_dir, onnx_dir, image = save_models(work)
    body = json.dumps({"inputs": image})

    endpoint = EndpointProcess.start(EndpointConfig(name="bench", auth_mode="key", deployments=[
        DeploymentConfig(name="torch", model_path=str(torch_dir), batching=BATCHING, environment_variables=THREADS),
        DeploymentConfig(name="onnx", model_path=str(onnx_dir), batching=BATCHING, environment_variables=THREADS),
    ], traffic={"torch": 100}), work / "endpoint", timeout=600)  # fmt: skip
    key = {"Authorization": f"Bearer {endpoint.config.primary_key}", "Content-Type": "application/json"}
    mlflow_port, plain_port = free_port(), free_port()
    mlflow_serve = start([sys.executable, "-m", "mlflow", "models", "serve", "-m", str(torch_dir), "--env-manager", "local",
                          "-h", "127.0.0.1", "-p", str(mlflow_port)], THREADS, work / "mlflow.log")  # fmt: skip
    (work / "plain_app.py").write_text(PLAIN_APP)
    plain = start([sys.executable, "-m", "uvicorn", "plain_app:app", "--app-dir", str(work), "--host", "127.0.0.1",
                   "--port", str(plain_port), "--log-level", "warning"], {**THREADS, "MODEL_DIR": str(torch_dir)},
                  work / "plain.log")  # fmt: skip
    servers = {
        "ours (pytorch flavor, batching)": (f"{endpoint.base_url}/invocations", {**key, "mlservice-deployment": "torch"}),
        "ours (onnx flavor, batching)": (f"{endpoint.base_url}/invocations", {**key, "mlservice-deployment": "onnx"}),
        "mlflow models serve": (f"http://127.0.0.1:{mlflow_port}/invocations", {"Content-Type": "application/json"}),
        "plain FastAPI + torch": (f"http://127.0.0.1:{plain_port}/invocations", {"Content-Type": "application/json"}),
    }
    try:
        wait_http(f"http://127.0.0.1:{mlflow_port}/ping", 300)
        wait_http(f"http://127.0.0.1:{plain_port}/docs", 300)
        import requests

        for name, (url, headers) in servers.items():  # each answers correctly before it is timed
            r = requests.post(url, data=body, headers=headers, timeout=60)
            assert r.status_code == 200, (name, r.text)
            print(f"{name}: {r.text[:120]}", flush=True)
        results: dict[str, list[dict]] = {name: [] for name in servers}
        for round_ in range(args.rounds):
            for name, (url, headers) in servers.items():
                load(url, body, headers, 2, args.connections)  # warm up
                results[name].append(load(url, body, headers, args.duration, args.connections))
                r = results[name][-1]
                print(f"round {round_ + 1} {name:34s} {r['rps']:8.0f} req/s  p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms"
                      f"  non-2xx {r['bad']} {r['errors']}", flush=True)
    finally:
        endpoint.stop()
        stop(mlflow_serve)
        stop(plain)

    def best(name: str) -> dict:
        return max(results[name], key=lambda r: r["rps"])

    ours, onnx_, mlf, plain_ = (best(n) for n in servers)
    print(f"\nload generator: {load.__name__}, {args.connections} connections, {args.duration:g} s x {args.rounds} rounds "
          f"(best round of each)")
    print(f"{'server':36s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for name in servers:
        r = best(name)
        print(f"{name:36s} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f}")
    checks = [
        (f"vs mlflow models serve: {ours['rps'] / mlf['rps']:.1f}x req/s", ours["rps"] >= 10 * mlf["rps"], ">= 10x"),
        (f"vs plain FastAPI + torch: {ours['rps'] / plain_['rps']:.1f}x req/s", ours["rps"] >= 2 * plain_["rps"], ">= 2x"),
        (f"p99 {ours['p99']:.1f} ms vs plain {plain_['p99']:.1f} ms", ours["p99"] <= plain_["p99"], "no worse"),
    ]
    for text, ok, target in checks:
        print(f"{'OK  ' if ok else 'MISS'} {text} (target {target})")
    print(f"ONNX Runtime vs PyTorch flavor (both ours, batching): {onnx_['rps'] / ours['rps']:.2f}x req/s, "
          f"p99 {onnx_['p99']:.1f} vs {ours['p99']:.1f} ms")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
