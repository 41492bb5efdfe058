"""Batch jobs in an environment: the runner (reading, writing, the registry) stays on the server's
Python; its scoring workers run on the environment's.

The runner's workers fork from a forkserver, which is started with ``multiprocessing``'s executable;
each worker is handed the parent's ``sys.path``. The executable is the environment's, and
``sys.path`` is switched to the environment's while a worker starts, so the workers import the
environment's packages (its scikit-learn, numpy), never the server's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys

from .usage import ENV_PYTHON_VAR


_ENV_PATH: list[str] = []


@contextlib.contextmanager
def environment_workers(ctx):
    """Around each worker's ``start()``: the forkserver, and every worker forked from it, are handed
    the parent's ``sys.path`` at that moment (multiprocessing's preparation data)."""
    python = os.environ.get(ENV_PYTHON_VAR)
    if not python:
        yield
        return
    python = shutil.which(python) or python  # `python` on a node (a shipped environment): its bin is first on PATH
    if not _ENV_PATH:
        out = subprocess.run([python, "-c", "import json, sys; print(json.dumps(sys.path))"],
                             capture_output=True, text=True, check=True).stdout
        _ENV_PATH.extend(p for p in json.loads(out) if p)
        ctx.set_executable(python)
    saved = list(sys.path)
    sys.path[:] = _ENV_PATH
    try:
        yield
    finally:
        sys.path[:] = saved
