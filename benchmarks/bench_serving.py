"""Real-time scoring benchmark: our endpoint vs `mlflow models serve`, azmlinfsrv and a bare ASGI floor.

    .venv/bin/python benchmarks/bench_serving.py [--duration 10] [--rounds 2]

Pairs, measured on the same machine in one run, servers alternating round by round, 8 connections:

1. scikit-learn LogisticRegression on iris saved as an MLflow model:
   our ``/invocations`` (key auth on) vs ``mlflow models serve --env-manager local`` vs a bare
   starlette/uvicorn app that parses the JSON and returns a constant (the HTTP floor).
   Targets: >= 8x MLflow's req/s, p99 <= 1/8 of MLflow's, >= 60% of the floor's req/s.
2. An Azure ML scoring script (inference-schema decorated) behind our ``/score`` (key auth on) vs
   ``azureml-inference-server-http`` (its gunicorn app, bound to 127.0.0.1, settings as shipped).
   Target: >= 2x its req/s at no worse p99.

azmlinfsrv pins pydantic/opentelemetry versions that clash with this project's venv, so it runs
from its own venv (created on first use under --azml-venv; PyPI needed once). Load comes from
``wrk`` when installed, else from a small asyncio load generator; the output says which.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointProcess  # noqa: E402

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
MLFLOW_BODY = '{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], ' \
    '"data": [[5.1, 3.5, 1.4, 0.2]]}}'  # fmt: skip
SCRIPT_BODY = '{"data": [[5.1, 3.5, 1.4, 0.2]]}'
SCRIPT = textwrap.dedent(
    '''
    import os

    import joblib
    import numpy as np
    from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
    from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
    from inference_schema.schema_decorators import input_schema, output_schema


    def init():
        global model
        model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model.pkl"))


    @input_schema("data", NumpyParameterType(np.array([[5.1, 3.5, 1.4, 0.2]])))
    @output_schema(StandardPythonParameterType({"predictions": [0]}))
    def run(data):
        return {"predictions": model.predict(data).tolist()}
    '''
)
FLOOR_APP = textwrap.dedent(
    """
    import json

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route


    async def invocations(request):
        json.loads(await request.body())
        return JSONResponse({"predictions": [0]})


    app = Starlette(routes=[Route("/invocations", invocations, methods=["POST"])])
    """
)


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a server's process tree (robust to other load on the machine)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.25)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


def save_model(path: Path) -> None:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = COLUMNS
    model = LogisticRegression(max_iter=500).fit(X, y)
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.sklearn.save_model(
            model, str(path), signature=infer_signature(X, model.predict(X)),
            serialization_format="cloudpickle", pip_requirements=["scikit-learn"],
        )  # fmt: skip


def azml_python(venv: Path) -> Path | None:
    python = venv / "bin" / "python"
    if (venv / "bin" / "gunicorn").exists() and subprocess.run(
        [str(python), "-c", "import azureml_inference_server_http, sklearn"], capture_output=True
    ).returncode == 0:
        return python
    print(f"creating {venv} for azureml-inference-server-http (one time)...", flush=True)
    import sklearn

    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = [f"scikit-learn=={sklearn.__version__}", "joblib"]
    r = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "azureml-inference-server-http", *pins], capture_output=True
    )
    if r.returncode != 0:
        print(r.stderr.decode()[-2000:])
        return None
    return python


# ---- load generation --------------------------------------------------------------------------


def wrk(url: str, body: str, headers: dict[str, str], seconds: float, connections: int) -> dict:
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lines = ['wrk.method = "POST"', f"wrk.body = [==[{body}]==]"]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    lua.write("\n".join(lines) + "\n")
    lua.close()
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", lua.name, url],
        capture_output=True,
        text=True,
    ).stdout
    os.unlink(lua.name)

    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms(pct["50"]),
        "p99": ms(pct["99"]),
        "bad": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1) if errors else "",
    }


def pyload(url: str, body: str, headers: dict[str, str], seconds: float, connections: int) -> dict:
    """Keep-alive HTTP/1.1 load from asyncio streams (used only when wrk is missing)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (head + "\r\n" + body).encode()
    latencies: list[float] = []
    bad = 0

    async def one(deadline: float) -> None:
        nonlocal bad
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            bad += not status.split()[1].startswith(b"2")
        writer.close()

    async def run() -> float:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(t0 + seconds) for _ in range(connections)))
        return time.perf_counter() - t0

    elapsed = asyncio.run(run())
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1e3,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1e3,
        "bad": bad,
        "errors": "",
    }


# ---- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--azml-venv", type=Path, default=Path(tempfile.gettempdir()) / "mlservice-bench" / "azml-venv")
    parser.add_argument("--skip-azml", action="store_true")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--python-load", action="store_true", help="use the asyncio load generator even if wrk exists")
    args = parser.parse_args()

    load = pyload if args.python_load or not shutil.which("wrk") else wrk
    print(f"load generator: {'wrk' if load is wrk else 'python asyncio'}; {args.connections} connections; "
          f"{args.duration:g}s per measurement after {args.warmup:g}s warm-up; {args.rounds} alternating rounds")  # fmt: skip
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}")

    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    procs: list[subprocess.Popen] = []
    endpoints: list[EndpointProcess] = []
    try:
        model = work / "model"
        save_model(model)
        code = work / "code"
        code.mkdir()
        (code / "score.py").write_text(SCRIPT)
        (work / "floor_app.py").write_text(FLOOR_APP)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        targets: dict[str, tuple[str, str, dict, int]] = {}
        json_headers = {"Content-Type": "application/json"}

        ours = EndpointProcess.start(
            EndpointConfig(name="bench", deployments=[DeploymentConfig(name="blue", model_path=str(model))]),
            work / "ep-mlflow",
        )
        endpoints.append(ours)
        auth = {**json_headers, "Authorization": f"Bearer {ours.config.primary_key}"}
        targets["ours /invocations"] = (f"{ours.base_url}/invocations", MLFLOW_BODY, auth, ours.pid)

        port = free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", str(work), "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--no-access-log"], **quiet))  # fmt: skip
        targets["bare ASGI floor"] = (f"http://127.0.0.1:{port}/invocations", MLFLOW_BODY, json_headers, procs[-1].pid)
        wait_http(f"http://127.0.0.1:{port}/")

        if not args.skip_mlflow:
            port = free_port()
            mlflow_bin = Path(sys.executable).with_name("mlflow")
            procs.append(subprocess.Popen(
                [str(mlflow_bin), "models", "serve", "-m", str(model), "--env-manager", "local",
                 "-h", "127.0.0.1", "-p", str(port)],
                env={**os.environ, "PATH": f"{mlflow_bin.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
                **quiet))  # fmt: skip
            targets["mlflow models serve"] = (
                f"http://127.0.0.1:{port}/invocations", MLFLOW_BODY, json_headers, procs[-1].pid)
            wait_http(f"http://127.0.0.1:{port}/ping")

        script_ep = EndpointProcess.start(
            EndpointConfig(
                name="benchscript",
                deployments=[DeploymentConfig(name="script", model_path=str(model), code_dir=str(code),
                                              scoring_script="score.py")],  # fmt: skip
            ),
            work / "ep-script",
        )
        endpoints.append(script_ep)
        auth = {**json_headers, "Authorization": f"Bearer {script_ep.config.primary_key}"}
        targets["ours /score (script)"] = (f"{script_ep.base_url}/score", SCRIPT_BODY, auth, script_ep.pid)

        python = None if args.skip_azml else azml_python(args.azml_venv)
        if python is not None:
            port = free_port()
            env = {**os.environ, "AZUREML_ENTRY_SCRIPT": str(code / "score.py"), "AZUREML_MODEL_DIR": str(model),
                   "AML_APP_ROOT": str(code), "PYTHONPATH": ""}  # fmt: skip
            procs.append(subprocess.Popen(
                [str(python.with_name("gunicorn")), "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "300",
                 "--access-logfile", "-", "--error-logfile", "/dev/null",
                 "azureml_inference_server_http.server.entry:app"], env=env, cwd=str(code), **quiet))  # fmt: skip
            targets["azmlinfsrv"] = (f"http://127.0.0.1:{port}/score", SCRIPT_BODY, json_headers, procs[-1].pid)
            wait_http(f"http://127.0.0.1:{port}/")

        for name, (url, body, headers, _) in targets.items():  # every server answers before timing starts
            r = requests.post(url, data=body, headers=headers, timeout=30)
            assert r.status_code == 200, (name, r.status_code, r.text[:300])
            print(f"  {name:24s} -> {r.text.strip()[:60]}")

        results: dict[str, list[dict]] = {name: [] for name in targets}
        for rnd in range(args.rounds):
            for name, (url, body, headers, pid) in targets.items():
                load(url, body, headers, args.warmup, args.connections)
                cpu = tree_cpu(pid)
                result = load(url, body, headers, args.duration, args.connections)
                result["cpu_us"] = (tree_cpu(pid) - cpu) / max(1, result["rps"] * args.duration) * 1e6
                results[name].append(result)
                print(f"round {rnd + 1} {name:24s} {result['rps']:9.0f} req/s  p50 {result['p50']:7.2f} ms  "
                      f"p99 {result['p99']:7.2f} ms  server CPU {result['cpu_us']:6.0f} us/req  "
                      f"non-2xx {result['bad']} {result['errors']}", flush=True)  # fmt: skip

        median = {
            n: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99", "cpu_us")}
            for n, rs in results.items()
        }
        print("\nmedian over rounds:")
        for name, m in median.items():
            print(f"  {name:24s} {m['rps']:9.0f} req/s  p50 {m['p50']:7.2f} ms  p99 {m['p99']:7.2f} ms  "
                  f"server CPU {m['cpu_us']:6.0f} us/req")
        print("\nratios (median over rounds):")
        ours_m = median["ours /invocations"]
        if "mlflow models serve" in median:
            ml = median["mlflow models serve"]
            print(f"  ours vs mlflow serve: {ours_m['rps'] / ml['rps']:.1f}x req/s (target >= 8x); "
                  f"p99 {ours_m['p99']:.2f} ms vs {ml['p99']:.2f} ms = 1/{ml['p99'] / ours_m['p99']:.1f} "
                  "(target <= 1/8)")  # fmt: skip
        fl = median["bare ASGI floor"]
        print(f"  ours vs bare ASGI floor: {100 * ours_m['rps'] / fl['rps']:.0f}% of its req/s (target >= 60%)")
        if "azmlinfsrv" in median:
            sc, az = median["ours /score (script)"], median["azmlinfsrv"]
            print(f"  ours /score vs azmlinfsrv: {sc['rps'] / az['rps']:.1f}x req/s (target >= 2x); "
                  f"p99 {sc['p99']:.2f} ms vs {az['p99']:.2f} ms (target: no worse)")  # fmt: skip
        return 0
    finally:
        for ep in endpoints:
            ep.stop()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
