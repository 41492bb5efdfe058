"""Submit-time work for a batch job: check the input exists, resolve paths, write batch.json."""

from __future__ import annotations

import glob
import hashlib
import json
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest
from .modelref import model_uri

SUFFIXES = (".parquet", ".pq", ".csv")


def resolve_path(root_dir: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else root_dir / p


def expand_files(root_dir: Path, path: str, suffixes: tuple[str, ...] | None = SUFFIXES) -> list[Path]:
    """A file, a folder (its files with one of ``suffixes``; None: every file) or a glob -> sorted files."""
    p = resolve_path(root_dir, path)
    if any(ch in path for ch in "*?["):
        files = [Path(f) for f in glob.glob(str(p), recursive=True)]
    elif p.is_dir():
        files = [f for f in p.rglob("*") if suffixes is None or f.suffix.lower() in suffixes]
    else:
        files = [p] if p.is_file() else []
    return sorted(f for f in files if f.is_file())


def sqlite_url(root_dir: Path, url: str) -> str:
    """Relative SQLite paths are relative to the server root, as every other path is."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url[len(prefix):] not in ("", ":memory:"):
        return prefix + str(resolve_path(root_dir, url[len(prefix):]))
    return url


def fingerprint(spec: dict[str, Any]) -> str:
    """What identifies "the same batch": a rerun with the same value resumes the earlier one."""
    ident = {k: spec.get(k) for k in ("model", "scoring_script", "input", "mini_batch_size", "mini_batch_unit", "key_columns", "input_columns")}
    if spec.get("output_format", "default") != "default":  # another file layout: written anew
        ident["output_format"] = spec["output_format"]
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def prepare_batch(spec: dict[str, Any], job_dir: Path, root_dir: Path) -> None:
    inp = dict(spec["input"])
    if inp.get("path"):
        # files mode hands paths to the script's run(): any file (images, audio...) is input
        by_file = spec.get("mini_batch_unit") == "files"
        files = expand_files(root_dir, inp["path"], None if by_file else SUFFIXES)
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
        inp["url"] = sqlite_url(root_dir, inp["url"])
    out = dict(spec["output"]) if spec.get("output") else None
    if out is not None:
        if out.get("path"):
            out["path"] = str(resolve_path(root_dir, out["path"]))
        else:
            out["url"] = sqlite_url(root_dir, out["url"])
    if spec.get("model"):
        try:
            model_uri(spec["model"])
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
    script = None
    if spec.get("scoring_script"):
        base = job_dir / "snapshot" if spec.get("code") else root_dir
        script = resolve_path(base, spec["scoring_script"])
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
