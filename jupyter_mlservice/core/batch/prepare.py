"""Submit-time work for a batch job: check the input exists, resolve paths, write batch.json."""

from __future__ import annotations

import glob
import hashlib
import itertools
import json
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import Forbidden, InvalidRequest
from ..paths import PathPolicy, relative_subpath
from .modelref import model_uri

SUFFIXES = (".parquet", ".pq", ".csv")


def expand_files(paths: PathPolicy, path: str, suffixes: tuple[str, ...] | None = SUFFIXES, what: str = "input.path") -> list[Path]:
    """A file, a folder (its files with one of ``suffixes``; None: every file) or a glob -> sorted
    files, each inside the allowed paths (a glob or folder reaching out through a symlink is refused)."""
    if any(ch in path for ch in "*?["):
        # glob only under the part before the first wildcard (in reach); check every match too
        parts = PurePosixPath(path).parts
        fixed = list(itertools.takewhile(lambda part: not any(ch in part for ch in "*?["), parts))
        prefix = paths.confine(str(PurePosixPath(*fixed)) if fixed else ".", what)
        pattern = str(prefix.joinpath(*parts[len(fixed):]))
        files = [paths.confine(f, what) for f in glob.glob(pattern, recursive=True)]
    else:
        p = paths.confine(path, what)
        if p.is_dir():
            files = [paths.confine(f, what) for f in p.rglob("*") if suffixes is None or f.suffix.lower() in suffixes]
        else:
            files = [p] if p.is_file() else []
    return sorted(f for f in files if f.is_file())


def fingerprint(spec: dict[str, Any]) -> str:
    """What identifies "the same batch": a rerun with the same value resumes the earlier one."""
    ident = {k: spec.get(k) for k in ("model", "scoring_script", "input", "mini_batch_size", "mini_batch_unit", "key_columns", "input_columns")}
    if spec.get("output_format", "default") != "default":  # another file layout: written anew
        ident["output_format"] = spec["output_format"]
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def prepare_batch(spec: dict[str, Any], job_dir: Path, paths: PathPolicy) -> None:
    root_dir = paths.root
    inp = dict(spec["input"])
    if inp.get("path"):
        # files mode hands paths to the script's run(): any file (images, audio...) is input
        by_file = spec.get("mini_batch_unit") == "files"
        files = expand_files(paths, inp["path"], None if by_file else SUFFIXES)
        if not files:
            what = "file" if by_file else "CSV or Parquet file"
            raise InvalidRequest(f"input.path {inp['path']!r} matches no {what} on the server (paths are relative to {root_dir})")
        fmt = inp.get("format")
        if not fmt and spec.get("mini_batch_unit") != "files":
            kinds = {"csv" if f.suffix.lower() == ".csv" else "parquet" for f in files}
            if len(kinds) > 1:
                raise InvalidRequest("input.path mixes CSV and Parquet files; pick one format (input.format) or a narrower glob")
            fmt = kinds.pop()
        inp["format"] = fmt
        inp["files"] = [str(f) for f in files]
    else:
        inp["url"] = paths.confine_url(inp["url"], "input.url")
    out = dict(spec["output"]) if spec.get("output") else None
    if out is not None:
        if out.get("path"):
            out["path"] = str(paths.confine(out["path"], "output.path"))
        else:
            out["url"] = paths.confine_url(out["url"], "output.url")
    if spec.get("model"):
        try:
            model_uri(spec["model"])
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
    script = None
    if spec.get("scoring_script"):
        if spec.get("code"):  # inside the snapshot just taken (the workspace folder)
            base = (job_dir / "snapshot").resolve()
            script = (base / relative_subpath(spec["scoring_script"], "scoring_script")).resolve()
            if not script.is_relative_to(base):
                raise Forbidden(f"scoring_script {spec['scoring_script']!r} leads out of the code folder (a symlink)")
        else:
            script = paths.confine(spec["scoring_script"], "scoring_script")
        if not script.is_file():
            where = "the code folder" if spec.get("code") else str(root_dir)
            raise InvalidRequest(f"scoring_script {spec['scoring_script']!r} is not a file in {where}")
    plan = {
        **spec,
        "input": inp,
        "output": out,
        "scoring_script_path": str(script) if script else None,
        "model_uri": model_uri(spec["model"]) if spec.get("model") else None,
        "fingerprint": fingerprint({**spec, "input": inp}),
        "job_dir": str(job_dir),
    }
    (job_dir / "batch.json").write_text(json.dumps(plan, indent=1))
