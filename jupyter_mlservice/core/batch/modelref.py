"""Model references as users write them, turned into MLflow model URIs."""

from __future__ import annotations

import re

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\- ]*"


def model_uri(ref: str) -> str:
    """``iris@champion`` -> ``models:/iris@champion``; ``iris:3`` -> ``models:/iris/3``;
    ``iris`` -> ``models:/iris/latest``; ``models:/``, ``runs:/`` and other URIs pass through.

    >>> model_uri("iris:3")
    'models:/iris/3'
    """
    ref = ref.strip()
    if "://" in ref or ref.startswith(("models:/", "runs:/")) or ref.startswith("/"):
        return ref
    if m := re.fullmatch(rf"({_NAME})@([A-Za-z0-9_\-]+)", ref):
        return f"models:/{m.group(1)}@{m.group(2)}"
    if m := re.fullmatch(rf"({_NAME}):(\d+|latest)", ref):
        return f"models:/{m.group(1)}/{m.group(2)}"
    if re.fullmatch(_NAME, ref):
        return f"models:/{ref}/latest"
    raise ValueError(f"model {ref!r} is not a model reference; use name@alias, name:version, name or a models:/ URI")
