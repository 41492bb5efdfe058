"""What a version holds: the files of a path or glob, their format, and the columns of tabular data
read from file footers or a first block (never the whole content)."""

from __future__ import annotations

import glob as globlib
import os
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest
from ..paths import PathPolicy

TABULAR = ("csv", "parquet", "jsonl")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", ".mlservice", ".git"}


def is_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def list_files(root_dir: Path, path: str, paths: PathPolicy | None = None) -> tuple[Path, list[tuple[Path, str]], str]:
    """``(base, [(absolute file, path relative to base)], kind)`` for a file, a folder or a glob
    given relative to ``root_dir`` (or absolute). kind is ``file`` or ``folder``. With ``paths``
    (a request's path) every file must be in reach: the base, each match, each file of a folder."""
    text = os.path.expanduser(path.strip())
    full = text if os.path.isabs(text) else str(root_dir / text)
    if paths is not None:
        base_text = _glob_base(full) if is_glob(text) else full
        confined = paths.confine(base_text, "path")
        full = str(confined / os.path.relpath(full, base_text)) if is_glob(text) else str(confined)
    if is_glob(text):
        base = Path(_glob_base(full))
        matches = sorted(p for p in globlib.glob(full, recursive=True) if os.path.isfile(p))
        if paths is not None:
            for m in matches:
                paths.confine(m, "path")
        if not matches:
            raise InvalidRequest(f"no files match {path!r} (paths are relative to {root_dir})")
        return base, [(Path(p), Path(p).relative_to(base).as_posix()) for p in matches], "folder"
    p = Path(full)
    if not p.exists():
        raise InvalidRequest(f"path {path!r} does not exist on the server (paths are relative to {root_dir})")
    if not os.access(p, os.R_OK):
        raise InvalidRequest(f"path {path!r} cannot be read by the server (permission denied)")
    if p.is_file():
        return p, [(p, p.name)], "file"
    if not p.is_dir():
        raise InvalidRequest(f"path {path!r} is neither a file nor a folder")
    files: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(p):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            f = Path(dirpath) / name
            if f.is_file():
                if paths is not None and f.is_symlink():
                    paths.confine(f, "path")  # a link out of reach inside the folder
                files.append((f, f.relative_to(p).as_posix()))
    if not files:
        raise InvalidRequest(f"folder {path!r} holds no files")
    unreadable = [rel for f, rel in files if not os.access(f, os.R_OK)]
    if unreadable:
        raise InvalidRequest(f"{len(unreadable)} file(s) under {path!r} cannot be read by the server, e.g. {unreadable[0]!r}")
    return p, files, "folder"


def _glob_base(pattern: str) -> str:
    parts = Path(pattern).parts
    keep = []
    for part in parts:
        if is_glob(part):
            break
        keep.append(part)
    return str(Path(*keep)) if keep else "."


def format_of_file(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if suffix in IMAGE_SUFFIXES:
        return "images"
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return "other"
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff":
        return "images"
    stripped = head.lstrip()
    if stripped[:1] == b"{":
        return "jsonl"
    if b"," in head.split(b"\n", 1)[0] and b"\x00" not in head:
        return "csv"
    return "other"


def format_of(files: list[Path]) -> str:
    """One format for all the files, or ``mixed``."""
    found = {format_of_file(f) for f in files}
    return found.pop() if len(found) == 1 else "mixed"


def read_columns(files: list[Path], fmt: str) -> tuple[list[dict[str, Any]] | None, int | None]:
    """Columns (name, type) and, when the format says it cheaply (Parquet footers), the row count."""
    if fmt not in TABULAR or not files:
        return None, None
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            rows = 0
            schema = None
            for f in files:
                meta = pq.read_metadata(f)
                rows += meta.num_rows
                if schema is None:
                    schema = meta.schema.to_arrow_schema()
            return describe_schema(schema), rows
        if fmt == "csv":
            from pyarrow import csv

            reader = csv.open_csv(files[0], read_options=csv.ReadOptions(block_size=1 << 20))
            return describe_schema(reader.schema), None
        from pyarrow import json as pj

        reader = pj.open_json(files[0], read_options=pj.ReadOptions(block_size=1 << 20))
        return describe_schema(reader.schema), None
    except Exception as exc:  # noqa: BLE001 - any reader's complaint
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidRequest(f"{files[0].name} is not readable as {fmt}: {first}") from None


def describe_schema(schema) -> list[dict[str, Any]]:
    return [{"name": field.name, "type": str(field.type)} for field in schema]
