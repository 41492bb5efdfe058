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
    """A LinearRegression y = a + 2b - c, registered as `name` version 1 with `alias`."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.linear_model import LinearRegression

    df = make_frame(200, seed=1)
    X = df[["a", "b", "c"]]
    model = LinearRegression().fit(X, X["a"] + 2 * X["b"] - X["c"])
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(registry_uri)
    try:
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(model, name="model", input_example=X.head(3), registered_model_name=name)
        client = MlflowClient(tracking_uri, registry_uri)
        version = client.get_latest_versions(name)[0].version if False else info.registered_model_version
        client.set_registered_model_alias(name, alias, version)
    finally:
        mlflow.set_tracking_uri(None) if hasattr(mlflow, "set_tracking_uri") else None
    return str(version)


def write_sqlite(path: Path, df: pd.DataFrame, table: str = "features") -> None:
    with sqlite3.connect(path) as conn:
        df.to_sql(table, conn, index=False, if_exists="replace")
        conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS ix_{table}_id ON {table}(id)")


def expected(df: pd.DataFrame) -> np.ndarray:
    return (df["a"] + 2 * df["b"] - df["c"]).to_numpy()
