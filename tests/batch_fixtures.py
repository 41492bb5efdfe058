"""Shared by the batch tests: a small registered scikit-learn model and input data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return pd.DataFrame({"id": np.arange(n, dtype="int64"), "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})


def register_model(tracking_uri: str, registry_uri: str, name: str = "lin", alias: str = "champion") -> str:
    """A LinearRegression y = a + 2b - c, registered as `name` with `alias`; returns the version.

    mlflow.set_tracking_uri/set_registry_uri also export MLFLOW_* variables: they are restored
    after, so that kernels and servers started later in this test process are not pointed here.
    """
    import os

    import mlflow
    from mlflow import MlflowClient
    from sklearn.linear_model import LinearRegression

    df = make_frame(200, seed=1)
    X = df[["a", "b", "c"]]
    model = LinearRegression().fit(X, X["a"] + 2 * X["b"] - X["c"])
    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(registry_uri)
    try:
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(model, name="model", input_example=X.head(3), registered_model_name=name)
        version = info.registered_model_version
        MlflowClient(tracking_uri, registry_uri).set_registered_model_alias(name, alias, version)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        # back to "not set" (MLflow has no public way to unset them)
        from mlflow.tracking._model_registry import utils as registry_utils
        from mlflow.tracking._tracking_service import utils as tracking_utils

        tracking_utils._tracking_uri = None
        registry_utils._registry_uri = None
    return str(version)


def write_sqlite(path: Path, df: pd.DataFrame, table: str = "features") -> None:
    with sqlite3.connect(path) as conn:
        df.to_sql(table, conn, index=False, if_exists="replace")
        conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS ix_{table}_id ON {table}(id)")


def expected(df: pd.DataFrame) -> np.ndarray:
    return (df["a"] + 2 * df["b"] - df["c"]).to_numpy()
