#!/usr/bin/env bash
# GPU check for the `ray` compute target and GPU deployments, on a machine with a real NVIDIA GPU
# and this repo with its .venv. Starts `mlservice serve` on 127.0.0.1, creates a managed ray target
# with one GPU through the SDK, runs a job with resources gpu=1 that prints CUDA_VISIBLE_DEVICES and
# `nvidia-smi -L`, then trains the small PyTorch CNN of the deep learning tests on the GPU as a job
# (cuda asserted in the job), registers it, deploys it with gpu=1 and dynamic batching, calls it,
# and checks that the endpoint's worker process holds a CUDA context (nvidia-smi lists it).
# Everything it starts is ended by PID. Prints one line "GPU CHECK: PASS" or "GPU CHECK: FAIL
# (...)"; exit code 0 on PASS.
# make setup installs torch's CPU wheel: with GPU_CHECK_CUDA_TORCH=1 the script first replaces it
# with PyPI's Linux wheel of the same version (built with CUDA; several GB).
# Usage: scripts/gpu_check.sh      (from the repo root; about 3 minutes, at most 8)
# PY=... runs it with another Python than .venv's (scripts/gpu_check_device.sh: a machine without
# a package index), GPU_CHECK_ROOT=... keeps the workspace (server.log, the head's log) in a folder
# of your choice, GPU_CHECK_TIMEOUT=... lowers the 470 s limit of the checks.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ROOT=${GPU_CHECK_ROOT:-$(mktemp -d /tmp/mls-gpu-check.XXXXXX)}
mkdir -p "$ROOT"
PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
TOKEN=$($PY -c 'import secrets;print(secrets.token_hex(16))')
nvidia-smi -L || { echo "GPU CHECK: FAIL (nvidia-smi -L failed on the host)"; exit 1; }
if [ "${GPU_CHECK_CUDA_TORCH:-0}" = 1 ]; then
  # --isolated: without this machine's pip config (its local CPU wheel); then the CUDA libraries it needs
  $PY -m pip install -q --isolated --force-reinstall --no-deps "torch==2.13.0" && $PY -m pip install -q --isolated "torch==2.13.0"
fi
$PY -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
  || { echo "GPU CHECK: FAIL (torch in $PY has no CUDA: rerun with GPU_CHECK_CUDA_TORCH=1)"; exit 1; }

setsid $PY -m jupyter_mlservice.cli serve --root "$ROOT" --port "$PORT" --token "$TOKEN" \
  --ServerApp.log_level=WARN > "$ROOT/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill -TERM "$SERVER" 2>/dev/null
  for _ in $(seq 1 60); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$SERVER" 2>/dev/null
  # the managed head is stopped by the server (target deleted / shutdown); belt and braces:
  if [ -f "$ROOT/.mlservice/ray/gpu/head.json" ]; then
    HEAD=$($PY -c 'import json,sys;print(json.load(open(sys.argv[1]))["pid"])' "$ROOT/.mlservice/ray/gpu/head.json")
    kill -TERM "$HEAD" 2>/dev/null; sleep 5; kill -KILL -- "-$HEAD" 2>/dev/null
  fi
}
trap cleanup EXIT

timeout "${GPU_CHECK_TIMEOUT:-470}" $PY - "$PORT" "$TOKEN" "$ROOT" <<'PYEOF'
import os, subprocess, sys, textwrap, time
from pathlib import Path
from jupyter_mlservice import MLService

port, token, root = sys.argv[1], sys.argv[2], sys.argv[3]
url = f"http://127.0.0.1:{port}/"
deadline = time.monotonic() + 60
while True:
    try:
        ml = MLService(url=url, token=token)
        ml.targets.list()
        break
    except Exception:
        if time.monotonic() > deadline:
            print("GPU CHECK: FAIL (the server did not start; see server.log)"); sys.exit(1)
        time.sleep(0.5)
t0 = time.monotonic()
ml.targets.create("gpu", type="ray", head={"cpu": 2, "gpu": 1}, object_store_memory=200_000_000)
while (st := ml.targets.get("gpu")["status"])["state"] not in ("ready", "failed"):
    if time.monotonic() - t0 > 120:
        break
    time.sleep(1)
print(f"head: {st.get('state')} in {time.monotonic() - t0:.0f} s; nodes: {[n['resources'] for n in st.get('nodes', [])]}")
if st.get("state") != "ready":
    print(f"GPU CHECK: FAIL (the Ray head did not start: {st.get('error')})"); sys.exit(1)
job = ml.jobs.submit(command='echo "CVD=$CUDA_VISIBLE_DEVICES"; nvidia-smi -L', target="gpu", resources={"gpu": 1})
job = job.wait(timeout=90)
logs = job.logs()
print(f"[{time.monotonic() - t0:.0f} s] gpu job {job.status}")
print(logs[-2000:])
ok = job.status == "Completed" and "CVD=" in logs and "CVD=\n" not in logs and "GPU 0" in logs
if not ok:
    print(f"GPU CHECK: FAIL (job {job.status}: {job.error}; CUDA_VISIBLE_DEVICES/nvidia-smi output missing?)")
    sys.exit(1)

# Train the CNN on the GPU as a job, then serve it from a GPU deployment.
code = Path(root) / "cnn"
code.mkdir()
(code / "train.py").write_text(textwrap.dedent("""
    import mlflow, mlflow.pytorch, numpy as np, torch
    from mlflow.models import infer_signature
    from torch import nn
    assert torch.cuda.is_available(), "no CUDA device in the job"
    dev = torch.device("cuda")
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.3, size=(300, 1, 8, 8)).astype("float32"); y = rng.integers(0, 2, size=300)
    for i, label in enumerate(y):
        x[i, 0, :, 3:5] += label; x[i, 0, 3:5, :] += 1 - label
    X, Y = torch.from_numpy(x).to(dev), torch.from_numpy(y).to(dev)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    with mlflow.start_run():
        for epoch in range(2):
            for i in range(0, 300, 50):
                opt.zero_grad(); loss = nn.functional.cross_entropy(model(X[i:i+50]), Y[i:i+50]); loss.backward(); opt.step()
            mlflow.log_metric("loss", loss.item(), step=epoch)
        print("trained on", torch.cuda.get_device_name(0), flush=True)
        model = model.cpu().eval()
        sig = infer_signature(x[:2], model(torch.from_numpy(x[:2])).detach().numpy())
        # MLflow's default format (pt2, torch.export), saved from the CPU: the deployment moves it to its GPU
        mlflow.pytorch.log_model(model, name="model", signature=sig, input_example=x[:2], pip_requirements=["torch"])
"""))
train = ml.jobs.submit(command="python train.py", code=str(code), target="gpu", resources={"gpu": 1},
                       environment_variables={"MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT": "5"}).wait(timeout=240)
print(f"[{time.monotonic() - t0:.0f} s] training job {train.status}")
print(train.logs()[-1500:])
if train.status != "Completed" or "trained on" not in train.logs():
    print(f"GPU CHECK: FAIL (training job {train.status}: {train.error})"); sys.exit(1)
ml.models.register("gpu-cnn", job=train, path="model")
ml.endpoints.create("gpu-cnn")
dep = ml.deployments.create(endpoint="gpu-cnn", name="cnn", model="gpu-cnn:1", gpu=1,
                            batching={"max_batch_size": 32, "max_delay_ms": 5}, timeout=180)
print(f"[{time.monotonic() - t0:.0f} s] deployment:", dep.status, "gpus:", dep.gpus)
answer = ml.endpoints.invoke("gpu-cnn", {"inputs": [[[[0.0] * 8] * 8]]})
print(f"[{time.monotonic() - t0:.0f} s] answer:", str(answer)[:200])
holders = subprocess.run(["nvidia-smi", "--query-compute-apps=pid", "--format=csv,noheader"], capture_output=True, text=True).stdout.split()
import psutil
supervisor = [p for p in psutil.process_iter(["cmdline"]) if "gpu-cnn" in " ".join(p.info["cmdline"] or []) and "supervisor" in " ".join(p.info["cmdline"] or [])]
workers = {str(c.pid) for s in supervisor for c in s.children(recursive=True)}
on_gpu = bool(workers & set(holders))
ml.endpoints.delete("gpu-cnn")
try:
    ml.targets.delete("gpu")
except Exception as exc:
    print("note: could not delete the target:", exc)
if dep.gpus and "predictions" in answer and on_gpu:
    print(f"GPU CHECK: PASS (job {job.id} saw the GPU; the CNN trained on it as job {train.id} and was served from it by "
          f"deployment gpu-cnn/cnn with gpus {dep.gpus})")
    sys.exit(0)
print(f"GPU CHECK: FAIL (deployment gpus {dep.gpus}, answer {str(answer)[:200]}, worker pids {workers}, "
      f"CUDA processes {holders})")
sys.exit(1)
PYEOF
RC=$?
if [ $RC -eq 124 ]; then echo "GPU CHECK: FAIL (timed out)"; fi
exit $RC
