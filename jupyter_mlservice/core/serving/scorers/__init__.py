"""What a deployment does with a request, one module per protocol:

- `mlflow`: an MLflow model (no code) behind MLflow's `/invocations`, with a sklearn fast path;
- `script`: the Azure ML scoring-script contract behind `/score`;
- `oip`: the Open Inference Protocol v2 codec (`/v2/models/{name}/infer`) an MLflow model answers;
- `swagger`: the swagger/OpenAPI documents of `/score`;
- `base`: the `Reply` every scoring call returns and the `Scorer` base.
"""

from __future__ import annotations

import os

from ..config import DeploymentConfig
from .base import JSON, TEXT, Reply, Scorer, dumps, error, is_json
from .mlflow import MLflowScorer, oip_reply, predictions_reply
from .script import ScriptScorer
from .swagger import swagger_document

__all__ = [
    "JSON", "TEXT", "MLflowScorer", "Reply", "Scorer", "ScriptScorer", "apply_env", "dumps", "error", "is_json",
    "load_scorer", "oip_reply", "predictions_reply", "restore_env", "swagger_document",
]  # fmt: skip


def load_scorer(config: DeploymentConfig) -> Scorer:
    return ScriptScorer(config) if config.scoring_script else MLflowScorer(config)


def apply_env(env: dict[str, str]) -> dict[str, str | None]:
    """Set variables; return what to restore."""
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    return previous


def restore_env(previous: dict[str, str | None]) -> None:
    for k, v in previous.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
