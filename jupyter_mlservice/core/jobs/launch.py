"""How each job kind becomes a process: argv, working folder and environment."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..paths import PathPolicy

# Runs a `code` job: binds the parameters as globals, then runs the source with its own file name
# so tracebacks point at the user's lines.
_CODE_BOOT = (
    "import json,sys;g={'__name__':'__main__','__file__':'__mlrun__.py'};"
    "g.update(json.load(open('__mlrun_params__.json')));"
    "exec(compile(open('__mlrun__.py').read(),'__mlrun__.py','exec'),g)"
)


def job_paths(job_dir: Path) -> dict[str, Path]:
    return {
        "snapshot": job_dir / "snapshot",
        "outputs": job_dir / "outputs",
        "log": job_dir / "output.log",
    }


def prepare_files(kind: str, spec: dict[str, Any], job_dir: Path, paths: PathPolicy) -> None:
    """Write what the kind needs into the snapshot at submit time (after the code copy)."""
    snap = job_paths(job_dir)["snapshot"]
    snap.mkdir(parents=True, exist_ok=True)
    job_paths(job_dir)["outputs"].mkdir(exist_ok=True)
    if kind == "code":
        (snap / "__mlrun__.py").write_text(spec["source"])
        (snap / "__mlrun_params__.json").write_text(json.dumps(spec.get("parameters") or {}))
    elif kind == "notebook":
        src = paths.confine(spec["notebook"], "notebook")
        (job_dir / "input.ipynb").write_bytes(src.read_bytes())
        (job_dir / "parameters.json").write_text(json.dumps(spec.get("parameters") or {}))
    elif kind == "batch":
        from ..batch.prepare import prepare_batch

        prepare_batch(spec, job_dir, paths)


def resolve(root_dir: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else (root_dir / p)


def argv_for(kind: str, spec: dict[str, Any], job_dir: Path) -> list[str]:
    if kind == "command":
        return ["/bin/sh", "-c", spec["command"]]
    if kind == "code":
        return [sys.executable, "-c", _CODE_BOOT]
    if kind == "notebook":
        args = [
            # by path: `-m` would import this package (the job controller, SQLAlchemy) first
            sys.executable, str(Path(__file__).with_name("notebook_runner.py")),
            str(job_dir / "input.ipynb"),
            str(job_dir / "outputs" / Path(spec["notebook"]).name),
            str(job_dir / "parameters.json"),
        ]
        if spec.get("kernel_name"):
            args += ["--kernel", spec["kernel_name"]]
        # The workspace's pool of pre-started kernels (jobs_dir is <workspace>/jobs).
        args += ["--pool", str(job_dir.parent.parent / "kernels"), "--progress", str(job_dir / "progress.json"), "--html"]
        return args
    if kind == "batch":
        return [sys.executable, "-m", "jupyter_mlservice.core.batch.runner", str(job_dir / "batch.json")]
    raise ValueError(kind)


def working_dir(kind: str, spec: dict[str, Any], job_dir: Path, root_dir: Path) -> Path:
    """Code jobs run in their snapshot. A notebook without a code folder runs beside its source,
    as it would in the editor, so relative data paths keep working."""
    if spec.get("code") or kind in ("code", "batch"):
        return job_paths(job_dir)["snapshot"]
    if kind == "notebook":
        return resolve(root_dir, spec["notebook"]).parent
    return root_dir
