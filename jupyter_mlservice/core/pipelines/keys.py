"""Step reuse: the key of a step, from content digests only, and why a step ran.

A key has named parts, flattened: ``component.type``, ``component.command`` (or ``.notebook``,
``.source``), ``component.code`` (digest of the code snapshot), ``component.environment`` (the
pinned version), ``component.parameters``; ``inputs.NAME`` (content digest of a folder, file or
data version; a model version's id) and ``parameters.NAME`` (scalar values). Paths and asset
names never enter the key, so data changed in place changes the key.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..data import digest as dg


def text_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def path_digest(path: Path) -> str:
    """Content digest of a file or a folder (names relative to it + bytes); missing: ``missing``."""
    if path.is_file():
        sha, _ = dg.hash_file(path)
        return "sha256:" + sha
    if path.is_dir():
        files = []
        for dirpath, _dirs, names in os.walk(path, followlinks=True):
            for n in names:
                full = Path(dirpath) / n
                files.append((full, full.relative_to(path).as_posix()))
        return dg.folder_digest(dg.hash_files(files))
    return "missing"


def key_of(parts: dict[str, Any]) -> str:
    return text_digest(json.dumps(parts, sort_keys=True, default=str))


def why_ran(parts: dict[str, Any], earlier: list[tuple[str | None, dict[str, Any]]]) -> str:
    """Which parts of ``parts`` differ from the closest earlier run (the one differing least)."""
    if not earlier:
        return "no earlier run of this step to reuse"
    best_job, best_diff = None, None
    for job_id, other in earlier:
        diff = sorted(k for k in set(parts) | set(other) if parts.get(k) != other.get(k))
        if best_diff is None or len(diff) < len(best_diff):
            best_job, best_diff = job_id, diff
    if not best_diff:
        return f"same key as job {best_job}, whose outputs are gone"
    shown = []
    for k in best_diff[:4]:
        shown.append(f"{k} ({_short(earlier_value(earlier, best_job, k))} -> {_short(parts.get(k))})")
    more = f" and {len(best_diff) - 4} more" if len(best_diff) > 4 else ""
    return f"{', '.join(shown)}{more} differ from the closest earlier run (job {best_job})"


def earlier_value(earlier: list[tuple[str | None, dict[str, Any]]], job_id: str | None, key: str) -> Any:
    for j, parts in earlier:
        if j == job_id:
            return parts.get(key)
    return None


def _short(value: Any) -> str:
    if value is None:
        return "unset"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text.startswith("sha256:"):
        return text[:15]
    return text if len(text) <= 40 else text[:37] + "..."
