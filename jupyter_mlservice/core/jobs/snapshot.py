"""Code snapshots: a job runs on a copy of its code taken at submit time."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ..errors import InvalidRequest

IGNORED = {".git", "__pycache__", ".ipynb_checkpoints", ".mlservice", "node_modules", ".venv", ".mypy_cache", ".pytest_cache"}


def folder_size(root: Path, limit: int) -> int:
    """Bytes under root (ignored folders skipped); stops counting once past limit."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED]
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
            if total > limit:
                return total
    return total


def snapshot(source: Path, dest: Path, max_bytes: int) -> None:
    if not source.is_dir():
        raise InvalidRequest(f"code must be a folder; {source} is not one")
    size = folder_size(source, max_bytes)
    if size > max_bytes:
        raise InvalidRequest(
            f"code folder {source} holds more than {max_bytes // 2**20} MiB, the snapshot limit; "
            "move data out of it (read data from its own path or a datastore) or raise "
            "MLServiceApp.max_snapshot_mb"
        )
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True, dirs_exist_ok=True)


def git_commit(path: Path) -> str | None:
    """The commit of the git repository holding path, if any."""
    for parent in [path, *path.parents]:
        if (parent / ".git").exists():
            try:
                out = subprocess.run(
                    ["git", "-C", str(parent), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
                )
            except (OSError, subprocess.TimeoutExpired):
                return None
            return out.stdout.strip() or None if out.returncode == 0 else None
    return None
