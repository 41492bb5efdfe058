#!/usr/bin/env bash
# Runs scripts/gpu_check.sh on a GPU machine that has python3 with PyTorch (CUDA) but no package
# index and no .venv (the lent H200 machine): makes a venv beside that python3, unpacks
# .gpu_carry/site.tar.xz (built here by scripts/gpu_carry.sh) into it, lets it see the image's
# own packages after the carried ones (torch, numpy, pandas, pyarrow, scipy, scikit-learn), points
# it at this checkout (jupyter_mlservice with its entry points), and runs the check with it.
# The whole log goes to $OUT/gpu_check.log, the workspace's and Ray's logs to $OUT/logs.tar.gz.
# Usage: OUT=/some/folder scripts/gpu_check_device.sh   (BASE_PY=... another python3)
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/mls-gpu-check-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
T0=$(date +%s)
BASE=${BASE_PY:-python3}
VENV=${GPU_CHECK_VENV:-/tmp/mls-gpu-venv}
ROOT=${GPU_CHECK_ROOT:-/tmp/mls-gpu-check-ws}
echo "== $(date -u +%FT%TZ) $(uname -m) $(nproc) CPUs; base python: $(command -v "$BASE") ($($BASE --version 2>&1))"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
rm -rf "$VENV" "$ROOT"
"$BASE" -m venv --without-pip "$VENV" || { echo "GPU CHECK: FAIL (no venv)"; exit 1; }
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
IMAGE_SITE=$("$BASE" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$BASE" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="tar")' .gpu_carry/site.tar.xz "$SITE" || { echo "GPU CHECK: FAIL (.gpu_carry/site.tar.xz missing: run scripts/gpu_carry.sh and carry .gpu_carry)"; exit 1; }
# The image's packages after the carried ones (addsitedir: its own .pth files are read too).
echo "import site; site.addsitedir('$IMAGE_SITE')" > "$SITE/zz_image_site.pth"
# This checkout, as an editable install would make it (the mlflow.tracking_store entry point).
echo "$PWD" > "$SITE/jupyter_mlservice_src.pth"
mkdir -p "$SITE/jupyter_mlservice-0.1.0.dist-info"
printf 'Metadata-Version: 2.1\nName: jupyter_mlservice\nVersion: 0.1.0\n' > "$SITE/jupyter_mlservice-0.1.0.dist-info/METADATA"
printf '[console_scripts]\nmlservice = jupyter_mlservice.cli:main\n\n[mlflow.tracking_store]\nmlservice-batch = jupyter_mlservice.core.tracking.batching_store:BatchingTrackingStore\n' \
  > "$SITE/jupyter_mlservice-0.1.0.dist-info/entry_points.txt"
[ -f jupyter_mlservice/_version.py ] || echo "__version__ = VERSION = '0.1.0'" > jupyter_mlservice/_version.py
# The carried console scripts (ray, mlflow, jupyter...) with this venv's python.
for f in "$SITE"/bin/*; do
  sed "1s|^#!.*python.*|#!$VENV/bin/python|" "$f" > "$VENV/bin/$(basename "$f")" && chmod +x "$VENV/bin/$(basename "$f")"
done
printf '#!%s\nimport sys\nfrom jupyter_mlservice.cli import main\nsys.exit(main())\n' "$VENV/bin/python" > "$VENV/bin/mlservice"
chmod +x "$VENV/bin/mlservice"
export PATH="$VENV/bin:$PATH" PYTHONUNBUFFERED=1
"$VENV/bin/python" - <<'PYEOF' || { echo "GPU CHECK: FAIL (imports in the venv)"; exit 1; }
import importlib, importlib.metadata as md
for m in ("torch", "numpy", "pandas", "pyarrow", "sklearn", "protobuf", "grpcio", "ray", "mlflow", "sqlalchemy", "pydantic", "jupyter_server"):
    try:
        print(f"{m} {md.version(m if m != 'sklearn' else 'scikit-learn')}", end="; ")
    except md.PackageNotFoundError:
        print(f"{m} ?", end="; ")
print()
for m in ("torch", "ray", "ray.dashboard.dashboard", "mlflow", "mlflow.pytorch", "jupyter_mlservice.server.app",
          "jupyter_mlservice.core.serving.worker"):
    importlib.import_module(m)
import torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
PYEOF
echo "== setup took $(( $(date +%s) - T0 )) s"
T1=$(date +%s)
PY="$VENV/bin/python" GPU_CHECK_ROOT="$ROOT" GPU_CHECK_TIMEOUT="${GPU_CHECK_TIMEOUT:-300}" bash scripts/gpu_check.sh
RC=$?
echo "== gpu_check.sh exited $RC after $(( $(date +%s) - T1 )) s (total $(( $(date +%s) - T0 )) s)"
tar -czf "$OUT/logs.tar.gz" --exclude='*.db-wal' --exclude='artifacts' --exclude='auth_token' --exclude='secrets' \
  "$ROOT" /tmp/mlsray-*/session_latest/logs 2>/dev/null
exec >&- 2>&-  # let tee finish writing the log before the machine takes $OUT back
sleep 1
exit $RC
