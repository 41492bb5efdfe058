"""How jobs and deployments run inside an environment (called from one line in each).

Jobs: the process starts through :data:`.enter.LAUNCH` (exec at once when built, else build once first) with the environment's
``bin`` first on PATH and the service's runtime folder on PYTHONPATH; a ``code`` job runs the
environment's interpreter, a notebook job's kernel runs in it (the runner itself stays on the
server's Python), a batch job's scoring workers run in it.

On a backend whose processes may run on other machines (Ray), the environment travels with the job
instead: its lock goes in the job's environment variables (the Ray job's ``runtime_env``) and the
job starts through :mod:`.enter` ``--shipped``, which builds the environment on the node that runs
it (once per node; a managed head shares the server's cache) and execs the job inside.

Deployments: ``environment=`` names one; ``env_manager="virtualenv"`` builds the MLflow model's own
requirements; with neither, an MLflow model whose pinned versions disagree with the server's gets
its own environment, one whose pins agree runs in the server's (``env_manager="local"`` forces that).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from ..errors import InvalidRequest
from . import sources
from .enter import LOCK_VAR, ROOT_VAR

ENV_PYTHON_VAR = "MLSERVICE_ENV_PYTHON"  # batch: the interpreter of the scoring workers
# MLflow reads models written by nearby versions of itself: a different MLflow pin alone is no
# reason for a separate environment.
IGNORED_PINS = {"mlflow", "mlflow-skinny"}
# Distributions that install the same modules, built another way: MLflow logs what the module is
# called (`tensorflow==2.21.0`) where the server has `tensorflow-cpu==2.21.0`. A pin of one is met
# by any of its group at the same version.
SAME_MODULES = [
    ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos", "tensorflow-gpu", "tensorflow-aarch64"),
    ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    ("psycopg2", "psycopg2-binary"),
]


def job_launch(service, kind: str, spec: dict[str, Any], argv: list[str], env: dict[str, str],
               shipped: bool = False) -> tuple[list[str], dict[str, str]]:
    """``argv``/``env`` of a job attempt, moved into the job's environment (unchanged without one);
    ``shipped``: for a backend whose nodes build the environment themselves (see the module doc)."""
    ref = spec.get("environment")
    if not ref or service is None:
        return argv, env
    row = service.row(ref)
    cache = service.cache
    if shipped:
        return _shipped_launch(kind, row, str(cache.root), argv, env)
    python = str(cache.python(row.key))
    if kind == "code":
        argv = [python, *argv[1:]]
    elif kind == "notebook":
        argv = [*argv, "--python", python]
    merged = cache.activate(row.key, {**os.environ, **env})
    env = {**env, **{k: merged[k] for k in ("PATH", "PYTHONPATH", "VIRTUAL_ENV", "MLSERVICE_ENVIRONMENT_KEY")}}
    if kind == "batch":
        env[ENV_PYTHON_VAR] = python
    from .cache import uv_bin
    from .enter import LAUNCH

    env["MLSERVICE_UV"] = uv_bin()  # the launcher runs without site-packages (python -S)
    return ["/bin/sh", "-c", LAUNCH, str(cache.folder(row.key)), sys.executable, str(cache.root), row.key, *argv], env


def _shipped_launch(kind: str, row, root: str, argv: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The job as ``python -m ...enter --shipped KEY -- ARGV``, the lock in its variables. Paths of
    the environment are the node's: its interpreter is found as ``python`` on the PATH that
    ``enter`` puts the environment's ``bin`` first on."""
    from .cache import uv_bin

    if kind == "code":
        argv = ["python", *argv[1:]]
    elif kind == "notebook":
        argv = [*argv, "--python", "python"]
    env = {**env, LOCK_VAR: "\n".join(row.resolved) + "\n", ROOT_VAR: root, "MLSERVICE_UV": uv_bin()}
    if kind == "batch":
        env[ENV_PYTHON_VAR] = "python"
    return [sys.executable, "-m", "jupyter_mlservice.core.environments.enter", "--shipped", row.key, "--", *argv], env


def disagreements(model_dir: Path) -> list[str]:
    """The model's pins that the server does not have: ``scikit-learn==1.2.2 (server: 1.9.1)``."""
    path = model_dir / "requirements.txt"
    if not path.is_file():
        return []
    try:
        pins = sources.exact_pins(sources.check_lines(path.read_text().splitlines()))
    except InvalidRequest:  # no package lines: nothing to disagree with
        return []
    out = []
    for name, version in pins.items():
        if name in IGNORED_PINS:
            continue
        have = _installed(name)
        if not have:
            out.append(f"{name}=={version} (not installed on the server)")
        elif not any(_same_release(v, version) for v in have.values()):
            out.append(f"{name}=={version} (server: {', '.join(f'{n} {v}' if n != name else v for n, v in have.items())})")
    return out


def _installed(name: str) -> dict[str, str]:
    """The server's versions of ``name`` and of the distributions that install the same modules."""
    group = next((g for g in SAME_MODULES if name in g), (name,))
    found = {}
    for dist in dict.fromkeys((name, *group)):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def _same_release(have: str, pinned: str) -> bool:
    """Local labels aside: torch 2.13.0+cpu meets torch==2.13.0 (MLflow may drop the label or keep it)."""
    try:
        return Version(have).public == Version(pinned).public
    except InvalidVersion:
        return have == pinned


def deployment_environment(service, spec: dict[str, Any], model_path: Path, model_name: str, model_version: str) -> dict[str, Any]:
    """What a deployment's stored spec records about its environment (empty: the server's)."""
    ref, manager = spec.get("environment"), spec.get("env_manager")
    if ref and manager == "virtualenv":
        raise InvalidRequest("give environment (a named one) or env_manager='virtualenv' (the model's own requirements), not both")
    if (ref or manager == "virtualenv") and service is None:
        raise InvalidRequest("this workspace has no environments service")
    if ref:
        row = service.row(ref)
        return {"environment": f"{row.name}@{row.version}", "environment_key": row.key}
    if manager == "local":
        return {"environment": None, "environment_key": None}
    is_mlflow = (model_path / "MLmodel").is_file()
    if manager == "virtualenv" and not is_mlflow:
        raise InvalidRequest(f"env_manager='virtualenv' builds an MLflow model's own requirements; model "
                             f"{model_name}:{model_version} is not an MLflow model (no MLmodel file): use environment=")
    why = disagreements(model_path) if is_mlflow else []
    if manager != "virtualenv" and not why:
        return {"environment": None, "environment_key": None}
    if service is None:
        return {"environment": None, "environment_key": None}
    env = service.from_model_folder(_model_env_name(model_name), model_path, f"{model_name}:{model_version}",
                                    scoring_script=bool(spec.get("scoring_script")))
    return {"environment": env.reference, "environment_key": env.key,
            "environment_reason": ("the model pins " + ", ".join(why)) if why else "env_manager=virtualenv"}


def _model_env_name(model_name: str) -> str:
    import re

    name = re.sub(r"[^A-Za-z0-9_.-]", "-", model_name)[:58]
    return f"model-{name}"

