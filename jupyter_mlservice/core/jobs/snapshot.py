"""Code snapshots: a job runs on a copy of its code taken at submit time."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import InvalidRequest
from ..paths import PathPolicy, TooLarge

IGNORED = {".git", "__pycache__", ".ipynb_checkpoints", ".mlservice", "node_modules", ".venv", ".mypy_cache", ".pytest_cache"}


def snapshot(source: Path, dest: Path, max_bytes: int, paths: PathPolicy | None = None) -> None:
    """Copy a code folder (symlinks kept as links; each must point inside the allowed paths)."""
    if not source.is_dir():
        raise InvalidRequest(f"code must be a folder; {source} is not one")
    try:
        (paths or PathPolicy(source)).copy(source, dest, max_bytes, f"code folder {source}", ignore=IGNORED.__contains__, keep_links=True)
    except TooLarge:
        raise InvalidRequest(
            f"code folder {source} holds more than {max_bytes // 2**20} MiB, the snapshot limit; "
            "move data out of it (read data from its own path or a datastore) or raise "
            "MLServiceApp.max_snapshot_mb"
        ) from None


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
