"""MLflow tracking for jobs: a batching tracking-store plugin and the setup of the MLflow database.

A job process gets ``MLFLOW_TRACKING_URI=batching_uri(<real tracking uri>)``. MLflow resolves the
``mlservice-batch`` scheme through the ``mlflow.tracking_store`` entry point to
:class:`~jupyter_mlservice.core.tracking.batching_store.BatchingTrackingStore`, which queues
``log_metric`` / ``log_param`` / ``set_tag`` in memory and writes them with ``log_batch`` from a
background thread, so plain ``mlflow.log_metric`` in user code costs microseconds instead of a
database transaction.

This module is imported by MLflow's entry-point registration in every process that imports
mlflow, so it imports nothing heavy.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

SCHEME = "mlservice-batch"

__all__ = ["SCHEME", "batching_uri", "inner_uri", "artifact_root_of", "is_batching_uri"]


def batching_uri(inner_uri: str, artifact_root: str | None = None) -> str:
    """The tracking URI that routes a process's logging through the batching store.

    ``inner_uri`` is any MLflow tracking URI (``sqlite:////abs/mlflow.db``, ``http://host:5000``,
    ``postgresql://...``). ``artifact_root`` is the default artifact root the inner store uses for
    experiments the job creates itself (SQL stores only); without it MLflow would put them under
    ``./mlruns`` relative to the job's working folder.

    >>> batching_uri("sqlite:////tmp/mlflow.db")
    'mlservice-batch://?uri=sqlite%3A%2F%2F%2F%2Ftmp%2Fmlflow.db'
    """
    if not inner_uri:
        raise ValueError("inner_uri must be a non-empty MLflow tracking URI")
    if is_batching_uri(inner_uri):
        return inner_uri
    # Everything is quoted (safe="") so that '?', '&', '#' and '%' inside the inner URI survive
    # urllib/MLflow parsing of the outer URI; the outer netloc stays empty.
    uri = f"{SCHEME}://?uri={quote(inner_uri, safe='')}"
    if artifact_root:
        uri += f"&artifact_root={quote(artifact_root, safe='')}"
    return uri


def _query(uri: str) -> dict[str, str]:
    parts = urlsplit(uri)
    if parts.scheme != SCHEME:
        raise ValueError(f"not a {SCHEME} URI: {uri!r}")
    values = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if not values.get("uri"):
        raise ValueError(f"{SCHEME} URI without an inner 'uri=' parameter: {uri!r}")
    return values


def inner_uri(batching_uri: str) -> str:
    """The real tracking URI wrapped by a batching URI (the inverse of :func:`batching_uri`)."""
    return _query(batching_uri)["uri"]


def artifact_root_of(batching_uri: str) -> str | None:
    """The artifact root carried by a batching URI, or None."""
    return _query(batching_uri).get("artifact_root") or None


def is_batching_uri(uri: str | None) -> bool:
    return bool(uri) and uri.split(":", 1)[0] == SCHEME


def plugin_pythonpath(scratch_dir: str) -> list[str]:
    """Folders a job process needs on PYTHONPATH so MLflow finds the ``mlservice-batch`` scheme.

    Empty when this package is installed (its ``mlflow.tracking_store`` entry point is visible).
    In a source checkout that was never installed, writes a minimal ``*.dist-info`` holding the
    entry point under ``scratch_dir`` and returns it with the folder that holds the package.
    """
    import importlib.metadata
    from pathlib import Path

    installed = importlib.metadata.entry_points(group="mlflow.tracking_store")
    if any(ep.name == SCHEME for ep in installed):
        return []
    root = Path(scratch_dir)
    info = root / "jupyter_mlservice_tracking_plugin-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: jupyter-mlservice-tracking-plugin\nVersion: 0\n"
    )
    (info / "entry_points.txt").write_text(
        "[mlflow.tracking_store]\n"
        f"{SCHEME} = jupyter_mlservice.core.tracking.batching_store:BatchingTrackingStore\n"
    )
    package_parent = Path(__file__).resolve().parents[3]
    return [str(root), str(package_parent)]
