"""Batch jobs in an environment: the runner (reading, writing, the registry) stays on the server's
Python; its scoring workers run on the environment's.

The runner's workers fork from a forkserver, which is started with ``multiprocessing``'s executable
and handed the parent's ``sys.path``. Both are switched to the environment's while the forkserver
starts, so the workers import the environment's packages (its scikit-learn, numpy), never the
server's.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys

from .usage import ENV_PYTHON_VAR


@contextlib.contextmanager
def environment_workers(ctx):
    python = os.environ.get(ENV_PYTHON_VAR)
    if not python or getattr(ctx, "_mlservice_env_started", False):
        yield
        return
    env_path = json.loads(subprocess.run([python, "-c", "import json, sys; print(json.dumps(sys.path))"],
                                         capture_output=True, text=True, check=True).stdout)
    ctx.set_executable(python)
    saved = list(sys.path)
    sys.path[:] = [p for p in env_path if p]
    try:
        yield
    finally:
        sys.path[:] = saved
        ctx._mlservice_env_started = True
