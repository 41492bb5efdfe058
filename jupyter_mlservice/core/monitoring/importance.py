"""Feature importance of a model on the baseline, by permutation, without labels.

A feature matters as much as shuffling it changes the model's own predictions on a sample of
the baseline: the share of predictions that change (classes, text) or the mean absolute change
over the predictions' standard deviation (numbers). No target column is needed, so any
deployed model can weight its drift. Computed once per baseline and model version, on a
sample of at most ``rows`` rows (the only place a small pandas frame is built: models take one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

SAMPLE_ROWS = 2000
REPEATS = 3


def permutation_importance(
    predict: Callable[[Any], Any],
    table: pa.Table,
    features: list[str],
    rows: int = SAMPLE_ROWS,
    repeats: int = REPEATS,
    seed: int = 0,
) -> dict[str, float]:
    """``{feature: share of importance}``, shares summing to 1 (all equal when nothing matters)."""
    rng = np.random.default_rng(seed)
    if table.num_rows > rows:
        table = table.take(pa.array(np.sort(rng.choice(table.num_rows, rows, replace=False))))
    frame = table.to_pandas()
    reference = _as_array(predict(frame))
    numeric = reference.dtype.kind == "f"
    scale = float(np.std(reference)) if numeric else 1.0
    raw: dict[str, float] = {}
    for name in features:
        if name not in frame.columns:
            raw[name] = 0.0
            continue
        original = frame[name].to_numpy(copy=True)
        changes = []
        for _ in range(repeats):
            frame[name] = original[rng.permutation(len(original))]
            shuffled = _as_array(predict(frame))
            if numeric:
                changes.append(float(np.mean(np.abs(shuffled - reference))) / (scale or 1.0))
            else:
                changes.append(float(np.mean(_differs(shuffled, reference))))
        frame[name] = original
        raw[name] = max(0.0, float(np.mean(changes)))
    total = sum(raw.values())
    if total <= 0:
        return {f: 1.0 / len(features) for f in features} if features else {}
    return {f: v / total for f, v in raw.items()}


def _as_array(predictions: Any) -> np.ndarray:
    if hasattr(predictions, "to_numpy"):
        predictions = predictions.to_numpy()
    out = np.asarray(predictions)
    if out.ndim > 1:
        out = out.reshape(len(out), -1)
        if out.dtype.kind != "f":
            return np.array(["|".join(map(str, r)) for r in out])
    if out.dtype.kind in "iub":
        return out.astype(str) if out.ndim == 1 else out
    return out


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    eq = a == b
    return ~eq.all(axis=1) if eq.ndim > 1 else ~eq
