"""A scoring worker process: loads the model or the user's script once, then scores mini-batches
sent by the runner over a pipe. Azure's contract: ``init()`` once, ``run(mini_batch)`` per batch.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from typing import Any

import pandas as pd
import pyarrow as pa


class Scorer:
    def __init__(self, model_dir: str | None, script: str | None, key_columns: list[str], input_columns: list[str] | None,
                 azureml_model_dir: str | None = None):
        self.key_columns = key_columns
        self.input_columns = input_columns
        self._engines: dict[str, Any] = {}
        self.last_rows = 0
        self.model = None
        self.run_fn = None
        if model_dir:  # AZUREML_MODEL_DIR in Azure's layout, as real-time deployments get it (serving/model_dir.py)
            from ..frameworks import use_saved_keras_backend

            os.environ["MLSERVICE_MODEL_DIR"] = model_dir
            os.environ["AZUREML_MODEL_DIR"] = azureml_model_dir or model_dir
            use_saved_keras_backend(model_dir)
        if os.environ.get("MLSERVICE_BATCH_OUTPUT_DIR"):  # where Azure's batch driver lets run() write files
            os.environ["AZUREML_BI_OUTPUT_PATH"] = os.environ["MLSERVICE_BATCH_OUTPUT_DIR"]
        if script:
            folder = os.path.dirname(os.path.abspath(script))
            if folder not in sys.path:
                sys.path.insert(0, folder)
            spec = importlib.util.spec_from_file_location("mlservice_scoring_script", script)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            if not callable(getattr(module, "run", None)):
                raise RuntimeError(f"the scoring script {os.path.basename(script)} has no run(mini_batch) function")
            if callable(getattr(module, "init", None)):
                module.init()
            self.run_fn = module.run
        elif model_dir:
            import mlflow.pyfunc

            self.model = mlflow.pyfunc.load_model(model_dir)
            if self.input_columns is None:
                try:
                    schema = self.model.metadata.get_input_schema()
                    names = schema.input_names() if schema is not None and schema.has_input_names() else None
                except Exception:
                    names = None
                self.input_columns = list(names) if names else None

    def _score_file(self, path: str) -> pd.DataFrame:
        """Azure's MLflow batch scoring over files: ``row`` (within the file), ``prediction``, ``file``."""
        df = pd.read_parquet(path) if path.lower().endswith((".parquet", ".pq")) else pd.read_csv(path)
        cols = self.input_columns or [c for c in df.columns if c not in self.key_columns]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise KeyError(f"{os.path.basename(path)} has no column(s) {', '.join(missing)} that the model needs")
        frame = _frame(self.model.predict(df[cols]))
        frame.insert(0, "row", range(len(df)))
        frame["file"] = os.path.basename(path)
        return frame

    def read_slice(self, sl) -> pa.Table:
        from sqlalchemy import create_engine, text

        from .sources import _records_to_table

        engine = self._engines.get(sl.url)
        if engine is None:
            engine = self._engines[sl.url] = create_engine(sl.url)
        with engine.connect() as conn:
            params = {"low": sl.low} if sl.high is None else {"low": sl.low, "high": sl.high}
            result = conn.execute(text(sl.query), params)
            # The driver's plain tuples: SQLAlchemy Row objects cost more to transpose than the
            # query itself (numbers need no result processing).
            rows = result.cursor.fetchall() if result.cursor is not None else result.fetchall()
            return _records_to_table(rows, list(result.keys()))

    def score(self, data: Any, offset: int) -> pa.Table:
        from .sources import SQLSlice

        if isinstance(data, SQLSlice):
            data = self.read_slice(data)
        self.last_rows = len(data) if isinstance(data, list) else data.num_rows
        if isinstance(data, list) and self.run_fn is None:  # files mode, an MLflow model: each file's rows
            return pa.Table.from_pandas(pd.concat([self._score_file(path) for path in data], ignore_index=True),
                                        preserve_index=False)
        if isinstance(data, list):  # files mode
            out = self.run_fn(list(data))
            frame = _frame(out)
            azure = os.environ.get("MLSERVICE_BATCH_OUTPUT_FORMAT") == "azure"  # what run() returned, as is
            if len(frame) == len(data) and "file" not in frame.columns and not azure:
                frame.insert(0, "file", [os.path.basename(p) for p in data])
            return pa.Table.from_pandas(frame, preserve_index=False)
        df = data.to_pandas()
        if self.run_fn is not None:
            out = self.run_fn(df)
        else:
            cols = self.input_columns or [c for c in df.columns if c not in self.key_columns]
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise KeyError(f"the input has no column(s) {', '.join(missing)} that the model needs")
            out = self.model.predict(df[cols])
        frame = _frame(out)
        if len(frame) == len(df):
            keys = self.key_columns or []
            if keys:
                add = [k for k in keys if k not in frame.columns]
                for i, k in enumerate(add):
                    frame.insert(i, k, df[k].to_numpy())
            elif "row_id" not in frame.columns:
                frame.insert(0, "row_id", range(offset, offset + len(df)))
        return pa.Table.from_pandas(frame, preserve_index=False)


def _frame(out: Any) -> pd.DataFrame:
    import numpy as np

    if isinstance(out, pd.DataFrame):
        return out.reset_index(drop=True)
    if isinstance(out, pd.Series):
        return pd.DataFrame({out.name if isinstance(out.name, str) else "prediction": out.to_numpy()})
    if isinstance(out, pa.Table):
        return out.to_pandas()
    arr = np.asarray(out)
    if arr.ndim == 2:
        if arr.shape[1] == 1:
            return pd.DataFrame({"prediction": arr[:, 0]})
        return pd.DataFrame({f"prediction_{i}": arr[:, i] for i in range(arr.shape[1])})
    if arr.ndim == 1:
        return pd.DataFrame({"prediction": arr})
    return pd.DataFrame({"prediction": [out]})


def worker_main(conn, model_dir: str | None, script: str | None, key_columns: list[str], input_columns: list[str] | None,
                azureml_model_dir: str | None = None) -> None:
    try:
        scorer = Scorer(model_dir, script, key_columns, input_columns, azureml_model_dir)
    except BaseException:
        conn.send(("init_error", None, traceback.format_exc(limit=8)))
        return
    conn.send(("ready", None, None))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        index, offset, data = msg
        start = time.perf_counter()
        try:
            table = scorer.score(data, offset)
        except BaseException as exc:
            tb = traceback.format_exc(limit=6)
            conn.send(("error", index, f"{type(exc).__name__}: {exc}\n{tb}"))
            continue
        conn.send(("ok", index, (table, time.perf_counter() - start, scorer.last_rows)))
