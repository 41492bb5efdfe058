"""Dynamic batching: concurrent requests to one deployment share one forward pass.

A deployment created with ``batching={"max_batch_size": 32, "max_delay_ms": 5}`` gets a
:class:`Batcher` in each worker. A request whose body is one tensor (MLflow ``inputs`` /
``instances``, or an OIP v2 request with one input) is parsed on the event loop, checked against
the model's tensor signature, and queued. The queue goes to the model as one concatenated batch
when it holds ``max_batch_size`` rows, when ``max_delay_ms`` passed since its first request, or,
while a batch is being scored, as soon as that batch is done (requests that arrived meanwhile
have waited already). One batch per deployment is in flight at a time, so under load batches
grow by themselves. The output is split back by row counts, each caller gets its own rows. A
batch whose predict fails is scored again request by request, so one bad request fails alone.

Anything else (DataFrames, CSV, several tensors, a shape the signature refuses) goes through
MLflow's own path unchanged, which decides and words the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np

from .config import BatchingSettings

OIP_DTYPES = {"BOOL": "bool", "UINT8": "uint8", "INT8": "int8", "INT16": "int16", "INT32": "int32", "INT64": "int64",
              "FP16": "float16", "FP32": "float32", "FP64": "float64"}  # fmt: skip


class TensorInput:
    """The one input tensor a deep model takes, batch dimension first (from its MLflow signature)."""

    def __init__(self, dtype: np.dtype, shape: tuple[int, ...]):
        self.dtype = np.dtype(dtype)
        self.shape = shape  # without the batch dimension; -1: any size

    @classmethod
    def of(cls, pyfunc_model) -> TensorInput | None:
        schema = pyfunc_model.metadata.get_input_schema()
        if schema is None or not schema.is_tensor_spec() or len(schema.inputs) != 1:
            return None
        if pyfunc_model.metadata.get_params_schema() is not None:
            return None
        spec = schema.inputs[0]
        if not spec.shape or spec.shape[0] != -1 or spec.type.kind not in "biuf":
            return None
        return cls(spec.type, tuple(spec.shape[1:]))

    def check(self, array: np.ndarray) -> np.ndarray | None:
        if array.ndim != len(self.shape) + 1 or array.shape[0] == 0:
            return None
        if any(want not in (-1, got) for want, got in zip(self.shape, array.shape[1:])):
            return None
        return array

    def from_json(self, payload: Any) -> np.ndarray | None:
        """``{"inputs": [...]}`` or ``{"instances": [...]}`` holding one nested list of numbers."""
        if type(payload) is not dict or len(payload) != 1:
            return None
        key, value = next(iter(payload.items()))
        if key not in ("inputs", "instances") or type(value) is not list:
            return None
        try:
            array = np.asarray(value, dtype=self.dtype)
        except (ValueError, TypeError):
            return None
        return self.check(array)

    def from_oip(self, request: Any) -> np.ndarray | None:
        """An OIP v2 infer request with one input tensor (no parameters, no requested outputs)."""
        if type(request) is not dict or set(request) - {"id", "inputs"}:
            return None
        inputs = request.get("inputs")
        if type(inputs) is not list or len(inputs) != 1 or type(inputs[0]) is not dict:
            return None
        item = inputs[0]
        dtype = OIP_DTYPES.get(item.get("datatype"))
        shape, data = item.get("shape"), item.get("data")
        if dtype is None or type(shape) is not list or type(data) is not list or set(item) - {"name", "shape", "datatype", "data"}:
            return None
        try:
            array = np.asarray(data, dtype=dtype)
            if array.size != int(np.prod(shape)):
                return None
            array = array.reshape(shape).astype(self.dtype, copy=False)
        except (ValueError, TypeError):
            return None
        return self.check(array)


def split(output: Any, counts: list[int]) -> list[Any]:
    """A batch's output -> one part per request (arrays, dicts of arrays, DataFrames, lists)."""
    import pandas as pd

    edges = np.cumsum(counts)[:-1]
    if isinstance(output, dict):
        parts = {k: split(v, counts) for k, v in output.items()}
        return [{k: v[i] for k, v in parts.items()} for i in range(len(counts))]
    if isinstance(output, (pd.DataFrame, pd.Series)):
        bounds = [0, *edges, len(output)]
        return [output.iloc[a:b] for a, b in zip(bounds, bounds[1:])]
    array = np.asarray(output)
    if array.ndim == 0 or array.shape[0] != sum(counts):
        raise ValueError(f"the model answered {array.shape[0] if array.ndim else 'a scalar'} rows for {sum(counts)} inputs; "
                         "it cannot be batched")  # fmt: skip
    return np.split(array, edges)


class Failed:
    """What a caller gets when its rows could not be scored (alone): the exception, formatted."""

    def __init__(self, error: BaseException, trace: str):
        self.error = error
        self.trace = trace


class Batcher:
    """Queues tensors of one deployment and scores them in batches; see the module docstring.

    ``execute(fn)`` runs ``fn()`` off the event loop (the worker's scoring thread) and returns an
    awaitable of its result; ``predict(array)`` is the model.
    """

    def __init__(self, settings: BatchingSettings, predict: Callable[[np.ndarray], Any],
                 execute: Callable[[Callable[[], Any]], asyncio.Future], on_batch: Callable[[int, int], None] = lambda n, rows: None):
        self.max_rows = settings.max_batch_size
        self.max_delay_s = settings.max_delay_ms / 1000
        self.predict = predict
        self.execute = execute
        self.on_batch = on_batch
        self.pending: list[tuple[asyncio.Future, np.ndarray]] = []
        self.rows = 0
        self.busy = False
        self.timer: asyncio.TimerHandle | None = None

    def submit(self, array: np.ndarray) -> asyncio.Future:
        """An awaitable of this request's part of the output (or a :class:`Failed`)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((future, array))
        self.rows += len(array)
        if self.busy:
            return future  # taken as soon as the batch in flight is done
        if self.rows >= self.max_rows or self.max_delay_s == 0:
            self._dispatch()
        elif self.timer is None:
            self.timer = loop.call_later(self.max_delay_s, self._dispatch)
        return future

    def _dispatch(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.busy or not self.pending:
            return
        batch, rows = [], 0
        while self.pending and (not batch or rows + len(self.pending[0][1]) <= self.max_rows):
            item = self.pending.pop(0)
            batch.append(item)
            rows += len(item[1])
        self.rows -= rows
        self.busy = True
        self.on_batch(len(batch), rows)
        arrays = [a for _, a in batch]
        done = self.execute(lambda: self._score(arrays))
        done.add_done_callback(lambda f: self._deliver(batch, f))

    def _score(self, arrays: list[np.ndarray]) -> list[Any]:
        """On the scoring thread: one predict for all, or one per request when the batch fails."""
        import traceback

        try:
            merged = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
            return split(self.predict(merged), [len(a) for a in arrays])
        except Exception as exc:  # noqa: BLE001 - a bad request (or a model that cannot batch)
            if len(arrays) == 1:
                return [Failed(exc, traceback.format_exc())]
        parts = []
        for array in arrays:
            try:
                parts.append(split(self.predict(array), [len(array)])[0])
            except Exception as exc:  # noqa: BLE001
                parts.append(Failed(exc, traceback.format_exc()))
        return parts

    def _deliver(self, batch: list, done: asyncio.Future) -> None:
        self.busy = False
        if done.cancelled() or done.exception() is not None:
            error = done.exception() if not done.cancelled() else RuntimeError("canceled")
            parts = [Failed(error, repr(error))] * len(batch)
        else:
            parts = done.result()
        for (future, _), part in zip(batch, parts):
            if not future.done():
                future.set_result(part)
        if self.pending:  # they waited while this batch was scored: go now
            self._dispatch()
