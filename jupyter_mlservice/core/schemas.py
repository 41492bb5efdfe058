"""What every area's REST models share: the base model, name rules, limits, sizes, errors.

Each area keeps its own models in its folder (`core/jobs/schemas.py`, `core/targets/schemas.py`,
...). The values clients need too (name patterns, limits, statuses) are published in the OpenAPI
document as ``x-mlservice-constants`` (see `core/contract.py`), so the frontend never copies them.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

#: targets, schedules, experiments' jobs...: what most named things may be called
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
#: endpoints and deployments: their names go into host-like URIs and HTTP headers
ENDPOINT_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{0,31}$"
#: registered models (MLflow allows more; these stay safe in `iris:3` / `iris@champion` refs)
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
#: model aliases (`champion`); `latest` is reserved
MODEL_ALIAS_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
#: the most items one page of a list route holds
MAX_PAGE_SIZE = 1000
#: environment variable names (execve refuses '=' in one)
ENV_NAME = re.compile(r"^[^=\s\x00-\x1f\x7f]{1,256}$")
#: MLflow's rule for tag keys (letters, digits, _ - . / : and spaces; no empty or '..' segments)
TAG_KEY = re.compile(r"^[\w./\- :]{1,250}$")
MAX_TAG_VALUE = 8000


def env_names(env: dict[str, str] | None) -> dict[str, str] | None:
    """Environment variables a process can be given (execve refuses '=' in a name)."""
    bad = [k for k in env or {} if not ENV_NAME.match(k)]
    if bad:
        raise ValueError(f"{bad[0][:64]!r} is not an environment variable name (1-256 characters, no '=', whitespace or control characters)")
    return env


def printable_name(value: str) -> str:
    """Names shown in lists and written into MLflow: no control characters (newlines, escapes)."""
    if any(not ch.isprintable() for ch in value):
        raise ValueError("must not contain control characters (newlines, tabs, escapes)")
    return value


def checked_tags(tags: dict[str, str]) -> dict[str, str]:
    """Tags MLflow will store as given (it refuses the others only after a run exists)."""
    import posixpath

    for key, value in tags.items():
        if not TAG_KEY.match(key) or posixpath.normpath(key) != key or key.startswith(("/", "..")):
            raise ValueError(f"tag key {key[:64]!r} must use letters, digits, '_', '-', '.', '/', ':' or spaces (at most 250), "
                             "as a normalized relative path")
        if len(value) > MAX_TAG_VALUE:
            raise ValueError(f"tag {key!r} is longer than {MAX_TAG_VALUE} characters")
    return tags


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "ki": 2**10, "kib": 2**10, "mi": 2**20, "mib": 2**20, "gi": 2**30,
          "gib": 2**30, "ti": 2**40, "tib": 2**40}


def parse_bytes(value: int | float | str) -> int:
    """``"4Gi"`` -> 4294967296; plain numbers are bytes."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("must not be negative")
        return int(value)
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", value)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"{value!r} is not a size; use bytes or a unit such as 512Mi, 4Gi, 2GB")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


class LogChunk(Model):
    text: str
    offset: int = Field(description="Byte offset to ask for next.")
    size: int = Field(description="Size of the log file now.")
    complete: bool = Field(description="True once the job has ended and the text reached the end.")


class ErrorBody(Model):
    message: str
    reason: str = ""


class Info(Model):
    version: str
    root_dir: str
    workspace_dir: str
    database_url: str
    tracking_uri: str
    artifact_root: str
    backends: list[str]
