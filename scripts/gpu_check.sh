#!/usr/bin/env bash
# GPU check for the `ray` compute target, on a machine with a real NVIDIA GPU and this repo with
# its .venv. Starts `mlservice serve` on 127.0.0.1, creates a managed ray target with one GPU
# through the SDK, runs a job with resources gpu=1 that prints CUDA_VISIBLE_DEVICES and
# `nvidia-smi -L`, and checks that it Completed and saw the GPU. Everything it starts is ended
# by PID. Prints one line "GPU CHECK: PASS" or "GPU CHECK: FAIL (...)"; exit code 0 on PASS.
# Usage: scripts/gpu_check.sh      (from the repo root; about 1 minute, at most 4)
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ROOT=$(mktemp -d /tmp/mls-gpu-check.XXXXXX)
PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
TOKEN=$($PY -c 'import secrets;print(secrets.token_hex(16))')
nvidia-smi -L || { echo "GPU CHECK: FAIL (nvidia-smi -L failed on the host)"; exit 1; }

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

timeout 210 $PY - "$PORT" "$TOKEN" "$ROOT" <<'PYEOF'
import sys, time
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
print(logs[-2000:])
ok = job.status == "Completed" and "CVD=" in logs and "CVD=\n" not in logs and "GPU 0" in logs
try:
    ml.targets.delete("gpu")
except Exception as exc:
    print("note: could not delete the target:", exc)
if ok:
    print(f"GPU CHECK: PASS (job {job.id} Completed on {job.backend.get('submission_id')})")
    sys.exit(0)
print(f"GPU CHECK: FAIL (job {job.status}: {job.error}; CUDA_VISIBLE_DEVICES/nvidia-smi output missing?)")
sys.exit(1)
PYEOF
RC=$?
if [ $RC -eq 124 ]; then echo "GPU CHECK: FAIL (timed out)"; fi
exit $RC
