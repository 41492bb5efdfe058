#!/usr/bin/env bash
# Builds .gpu_carry/site.tar.xz: the Python packages `mlservice serve`, the SDK and a managed Ray
# head need, for a machine that has Python and PyTorch but cannot reach a package index (the
# lent GPU machine: python3 3.12 with torch, numpy, pandas, pyarrow, scipy, scikit-learn and
# matplotlib already installed). The versions are those of this repo's .venv (the ones the tests
# pass with), fetched as manylinux x86_64 wheels for Python $PYVER, installed into one folder,
# pruned of what the check does not use (Ray's Java jars, RLlib/Tune/Train/Serve/Data/LLM
# libraries and dashboard UI, MLflow's UI, py-spy, Babel's other locales, symbol tables) and
# packed with xz (about 48 MB for Python 3.12).
# scripts/gpu_check_device.sh unpacks it into a venv beside the machine's python3.
# Usage: scripts/gpu_carry.sh          (from the repo root; PYVER=3.11.7 builds one for a local try)
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER=${PYVER:-3.12}
OUTDIR=${OUTDIR:-.gpu_carry}
WORK=$(mktemp -d /tmp/mls-gpu-carry.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# On the GPU machine's image already (numerics and plotting): never carried, its versions are used.
IMAGE="torch,numpy,pandas,pyarrow,scipy,scikit-learn,joblib,threadpoolctl,matplotlib,fonttools,pillow,kiwisolver,contourpy,cycler,pyparsing"
ROOTS="jupyter_server,jupyterlab_server,jupyter_events,sqlalchemy,alembic,pydantic,mlflow,croniter,prometheus-client,uvicorn,uvloop,httptools,orjson,starlette,inference-schema,psutil,ray[default],requests,nbformat"

# The closure of ROOTS in .venv (markers read for Linux x86_64, Python $PYVER), as name==version.
.venv/bin/python - "$ROOTS" "$IMAGE" "$PYVER" > "$WORK/reqs.txt" <<'PYEOF'
import importlib.metadata as md, sys
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as cn
roots, skip, pyver = sys.argv[1].split(","), {cn(x) for x in sys.argv[2].split(",")}, sys.argv[3]
env = {"python_version": ".".join(pyver.split(".")[:2]), "python_full_version": (pyver + ".0")[:len(pyver) + 2] if pyver.count(".") == 1 else pyver, "sys_platform": "linux", "platform_system": "Linux",
       "platform_machine": "x86_64", "os_name": "posix", "implementation_name": "cpython",
       "platform_python_implementation": "CPython"}
dists = {cn(d.metadata["Name"]): d for d in md.distributions()}
seen: dict[str, set] = {}
stack = list(roots)
while stack:
    req = Requirement(stack.pop())
    name = cn(req.name)
    if name in skip or (name in seen and set(req.extras) <= seen[name]):
        continue
    seen.setdefault(name, set()).update(req.extras)
    if name not in dists:
        sys.exit(f"{name} is not installed in .venv")
    for r in dists[name].requires or []:
        rr = Requirement(r)
        if not rr.marker or any(rr.marker.evaluate({**env, "extra": e}) for e in (seen[name] or {""})):
            stack.append(r)
for name in sorted(seen):
    print(f"{name}=={dists[name].version}")
PYEOF
PLAT=(--only-binary=:all: --python-version "$PYVER" --implementation cp)
for n in 1 2014; do PLAT+=(--platform "manylinux${n}_x86_64"); done
for n in 5 12 17 24 27 28 31 34 35; do PLAT+=(--platform "manylinux_2_${n}_x86_64"); done
echo "gpu_carry: $(wc -l < "$WORK/reqs.txt") packages for Python $PYVER"
.venv/bin/pip download -q --no-deps "${PLAT[@]}" -d "$WORK/whl" -r "$WORK/reqs.txt" 2>&1 | { grep -v "is ignored: it is neither" || true; }
S="$WORK/site"
.venv/bin/pip install -q --no-index --no-deps --no-compile "${PLAT[@]}" --target "$S" "$WORK"/whl/*.whl
# Pruning: what neither the server, a job nor a managed head imports here.
rm -rf "$S"/ray/jars "$S"/ray/rllib "$S"/ray/tune "$S"/ray/train "$S"/ray/llm "$S"/ray/serve "$S"/ray/data \
  "$S"/ray/workflow "$S"/mlflow/server/js "$S"/bin/py-spy "$S"/ray/core/src/ray/thirdparty
# The dashboard refuses to start without its UI's folder; an empty page does.
rm -rf "$S"/ray/dashboard/client/build && mkdir -p "$S"/ray/dashboard/client/build/static \
  && echo '<html><body>dashboard UI not carried</body></html>' > "$S"/ray/dashboard/client/build/index.html
# Babel's locales but English (JupyterLab's translations list), virtualenv's seed wheels (Ray
# makes no pip environments here); native code without its symbol tables
find "$S"/babel/locale-data -name '*.dat' ! -name 'root.dat' ! -name 'en.dat' ! -name 'en_US*.dat' -delete
rm -rf "$S"/virtualenv/seed/wheels/embed/*.whl
find "$S" -name __pycache__ -prune -exec rm -rf {} +
# (not the ones auditwheel patched to load vendored libraries: *.libs/, zmq/, grpc/)
strip --strip-unneeded "$S"/ray/core/src/ray/gcs/gcs_server "$S"/ray/core/src/ray/raylet/raylet
find "$S" -type f -name '*.so' ! -path '*.libs/*' ! -path '*/zmq/*' ! -path '*/grpc/*' -print0 | xargs -0 strip --strip-unneeded
cp "$WORK/reqs.txt" "$S/gpu_carry_requirements.txt"
mkdir -p "$OUTDIR"
tar -C "$S" -cf - . | xz -T0 -6 > "$OUTDIR/site.tar.xz"
echo "gpu_carry: $OUTDIR/site.tar.xz $(du -m "$OUTDIR/site.tar.xz" | cut -f1) MB (unpacked $(du -sm "$S" | cut -f1) MB)"
