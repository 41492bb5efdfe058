"""Recording what a deployment (or a batch job) scores, off the request path.

``Collector.offer`` runs on the request path: a sampling draw, a length check and an append to
a deque, nothing else (no parsing, no I/O, no lock). A writer thread wakes every
``FLUSH_INTERVAL_S``, turns what was queued into Arrow tables (parsing request bodies then) and
writes one Parquet *part* per stream and hour. A full queue (the writer is slow or stuck) drops
the request and counts it; a failed write (the store is full, gone or read-only) drops what it
held and counts it. Neither ever reaches the request.

Layout, under ``<workspace>/monitoring/collected/<source>/``::

    inputs/2026-12-03/14/<pid>-<seq>.parquet     one row per scored row
    outputs/2026-12-03/14/<pid>-<seq>.parquet    one row per prediction

Every row has ``request_id``, ``time`` (UTC, when the request arrived), ``deployment``,
``latency_ms`` and ``row`` (its position in the request), then the inputs' columns or the
outputs' (``prediction``, or one column per named output). When an hour is over a writer merges
its own parts of it into ``<pid>-<nonce>.parquet`` (rolled per hour); readers skip the parts of a
writer whose merged file exists (see ``collected.py``), and the parts are deleted an hour later.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger("jupyter_mlservice.monitoring")

FLUSH_INTERVAL_S = 1.0
QUEUE_REQUESTS = 10_000  # requests waiting for the writer, per deployment and process
QUEUE_BYTES = 64 * 2**20  # ... and their payload bytes
PRUNE_AFTER_S = 3600.0  # parts of a merged hour are deleted this long after the merge
META = ("request_id", "time", "deployment", "latency_ms", "row")
INPUTS, OUTPUTS = "inputs", "outputs"


def collected_dir(workspace_dir: Path, source: str) -> Path:
    """Where a source (an endpoint, or a batch collection name) keeps what it collected."""
    return Path(workspace_dir) / "monitoring" / "collected" / source


def hour_dir(folder: Path, stream: str, when: datetime) -> Path:
    return folder / stream / when.strftime("%Y-%m-%d") / when.strftime("%H")


class ParquetSink:
    """Writes part files (temp file, then rename, so a reader never sees half a file)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.prefix = f"{os.getpid()}-{os.urandom(3).hex()}"
        self.seq = 0
        self.merged: list[tuple[float, list[Path]]] = []

    def write(self, stream: str, hour: datetime, table) -> None:
        import pyarrow.parquet as pq

        target = hour_dir(self.folder, stream, hour)
        target.mkdir(parents=True, exist_ok=True)
        self.seq += 1
        path = target / f"{self.prefix}-{self.seq:06d}.parquet"
        tmp = target / f".{path.name}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)

    def roll(self, stream: str, hour: datetime) -> None:
        """Merge this writer's parts of a finished hour into one file. The parts stay (readers
        skip them from now on) until ``prune``, so a reader that listed them still finds them."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        target = hour_dir(self.folder, stream, hour)
        parts = sorted(target.glob(f"{self.prefix}-*.parquet"))
        if not parts:
            return
        table = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")
        merged = target / f"{self.prefix}.parquet"
        tmp = target / f".{merged.name}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, merged)
        self.merged.append((time.monotonic(), parts))

    def prune(self, older_than_s: float = PRUNE_AFTER_S) -> None:
        """Delete the parts of hours merged more than ``older_than_s`` ago."""
        now = time.monotonic()
        while self.merged and (now - self.merged[0][0] >= older_than_s):
            for p in self.merged.pop(0)[1]:
                p.unlink(missing_ok=True)


class Collector:
    """One deployment's collection in one process (see the module docstring)."""

    def __init__(
        self,
        folder: Path,
        deployment: str,
        inputs: bool = True,
        outputs: bool = True,
        sample_rate: float = 1.0,
        input_names: list[str] | None = None,
        sink: Any = None,
        flush_interval: float = FLUSH_INTERVAL_S,
        max_requests: int = QUEUE_REQUESTS,
        max_bytes: int = QUEUE_BYTES,
    ):
        self.deployment = deployment
        self.inputs, self.outputs = inputs, outputs
        self.sample_rate = sample_rate
        self.input_names = input_names
        self.drop_columns: list[str] = []
        self.sink = sink if sink is not None else ParquetSink(folder)
        self.flush_interval = flush_interval
        self.max_requests, self.max_bytes = max_requests, max_bytes
        self.queue: deque = deque()
        # queued bytes = bytes_in - bytes_out; each side is added to by one thread only
        self.bytes_in = 0
        self.bytes_out = 0
        # counters: each written by one thread only (offer: the event loop; the rest: the writer)
        self.dropped_full = 0
        self.dropped_error = 0
        self.written = 0
        self.written_rows = 0
        self.last_error: str | None = None
        self._ids = f"{os.getpid():x}-{os.urandom(2).hex()}-"
        self._count = 0  # requests queued so far (their number makes their id)
        self._hours: dict[str, set[datetime]] = {INPUTS: set(), OUTPUTS: set()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"collect-{deployment}", daemon=True)
        self._thread.start()

    # ---- the request path ----------------------------------------------------------------------

    def offer(self, kind: str, payload: Any, output: Any, started_at: float, latency_s: float, request_id: str | None = None) -> None:
        """Queue one answered request: ``kind`` says how to read ``payload`` (see ``to_columns``),
        ``output`` is the reply body (or a table), ``started_at`` the epoch second it arrived.
        Request ids not given by the caller are numbered by the writer."""
        if self.sample_rate < 1.0 and random.random() >= self.sample_rate:
            return
        size = (payload.nbytes if kind == "rows" else _size(payload)) + (len(output) if type(output) is bytes else _size(output))
        if len(self.queue) >= self.max_requests or self.bytes_in - self.bytes_out + size > self.max_bytes:
            self.dropped_full += 1
            return
        self.bytes_in += size
        self._count += 1
        self.queue.append((self._count, request_id, started_at, latency_s, kind, payload, output, size))

    def offer_batch(self, inputs: Any, outputs: Any, seconds: float, wait_s: float = 60.0) -> None:
        """A batch job's scored mini-batch: its input table and its output table (key columns
        left out). A batch is not in a hurry: a full queue is waited on (up to ``wait_s``)
        before the mini-batch is dropped and counted."""
        import pyarrow as pa

        if not isinstance(inputs, pa.Table):
            inputs = None  # files or SQL slices: their rows are the scoring script's business
        if outputs is not None and self.drop_columns:
            outputs = outputs.drop_columns([c for c in self.drop_columns if c in outputs.column_names])
        size = _size(inputs) + _size(outputs)
        deadline = time.monotonic() + wait_s
        while (len(self.queue) >= self.max_requests or self.bytes_in - self.bytes_out + size > self.max_bytes) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.offer("table", inputs, outputs, time.time() - seconds, seconds)

    @property
    def dropped(self) -> int:
        return self.dropped_full + self.dropped_error

    def stats(self) -> dict[str, Any]:
        return {"collected": self.written, "dropped": self.dropped, "dropped_queue_full": self.dropped_full,
                "dropped_write_failed": self.dropped_error, "written_rows": self.written_rows, "queued": len(self.queue),
                "last_error": self.last_error}  # fmt: skip

    # ---- the writer ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval):
            self.flush()
        self.flush()
        self._roll(final=True)

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued (within ``timeout``) and end the writer."""
        self._stop.set()
        self._thread.join(timeout)

    def flush(self) -> None:
        taken = []
        while self.queue and len(taken) < 50_000:
            item = self.queue.popleft()
            self.bytes_out += item[7]
            taken.append(item)
        if taken:
            try:
                self._write(taken)
            except Exception as exc:  # noqa: BLE001 - a full disk, a vanished folder, a bug: drop and count
                self.dropped_error += len(taken)
                message = f"{type(exc).__name__}: {exc}"
                if message != self.last_error:
                    print(f"mlservice collection ({self.deployment}): dropped {len(taken)} request(s): {message}", flush=True)
                self.last_error = message
        self._roll()

    def _write(self, items: list) -> None:
        import pyarrow as pa

        by_hour: dict[int, list] = {}
        for item in items:
            by_hour.setdefault(int(item[2] // 3600), []).append(item)
        rows = 0
        for key, part in by_hour.items():
            hour = datetime.fromtimestamp(key * 3600, timezone.utc)
            fast = [it for it in part if it[4] == "rows"]  # the MLflow fast path: numpy rows, one width
            slow = [it for it in part if it[4] != "rows"]
            for stream, wanted in ((INPUTS, self.inputs), (OUTPUTS, self.outputs)):
                if not wanted:
                    continue
                tables = []
                if fast:
                    tables.append(self._fast_table(fast, stream))
                if slow:
                    tables.append(_table([(self._meta(it), (to_columns(it[4], it[5], self.input_names) if stream == INPUTS
                                                                 else output_columns(it[6]))) for it in slow], self.deployment))  # fmt: skip
                tables = [t for t in tables if t.num_rows]
                if not tables:
                    continue
                table = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="permissive")
                self.sink.write(stream, hour, table)
                self._hours[stream].add(hour)
                if stream == INPUTS:
                    rows += table.num_rows
        self.written += len(items)
        self.written_rows += rows

    def _meta(self, item) -> tuple[str, float, float]:
        return (item[1] or f"{self._ids}{item[0]}", item[2], item[3])

    def _fast_table(self, items: list, stream: str):
        """Many fast-path requests at once, with numpy and arrow (no Python loop over rows)."""
        import numpy as np
        import orjson
        import pyarrow as pa
        import pyarrow.compute as pc

        if stream == INPUTS:
            arrays = [it[5] for it in items]
            counts = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
            matrix = np.concatenate(arrays)
            names = self.input_names or [f"x{i}" for i in range(matrix.shape[1])]
            columns = {n: matrix[:, i] for i, n in enumerate(names)}
        else:
            try:  # the replies are {"predictions": [...]}: one parse for all of them
                docs = orjson.loads(b"[" + b",".join(it[6] for it in items) + b"]")
                preds = [d["predictions"] for d in docs]
                if any(not isinstance(p, list) or (p and isinstance(p[0], (list, dict))) for p in preds):
                    raise ValueError("not a flat list")
            except (ValueError, KeyError, TypeError):
                return _table([(self._meta(it), output_columns(it[6])) for it in items], self.deployment)
            counts = np.fromiter((len(p) for p in preds), dtype=np.int64, count=len(preds))
            from itertools import chain

            columns = {"prediction": list(chain.from_iterable(preds))}
        total = int(counts.sum())
        numbers = pa.array(np.repeat(np.fromiter((it[0] for it in items), dtype=np.int64, count=len(items)), counts))
        ids = pc.binary_join_element_wise(pa.scalar(self._ids), pc.cast(pc.cast(numbers, pa.uint64()), pa.string()), "")
        given = [it[1] for it in items]
        if any(g is not None for g in given):
            chosen = pa.array(np.repeat(np.array(given, dtype=object), counts), pa.string())
            ids = pc.if_else(pc.is_null(chosen), ids, chosen)
        starts = np.cumsum(counts) - counts
        arrays = {
            "request_id": ids,
            "time": pa.array((np.repeat(np.fromiter((it[2] for it in items), dtype=np.float64, count=len(items)), counts) * 1e6)
                             .astype(np.int64), pa.timestamp("us", tz="UTC")),  # fmt: skip
            "deployment": pa.array(np.full(total, self.deployment, dtype=object), pa.string()),
            "latency_ms": pa.array(np.repeat(np.fromiter((it[3] for it in items), dtype=np.float64, count=len(items)), counts) * 1000.0),
            "row": pa.array((np.arange(total) - np.repeat(starts, counts)).astype(np.int32)),
        }
        for name, values in columns.items():
            arrays[f"input_{name}" if name in arrays else name] = _array(values) if isinstance(values, list) else pa.array(values)
        return pa.table(arrays)

    def _roll(self, final: bool = False) -> None:
        """Merge the parts of hours that are over (all of them at the end)."""
        roll = getattr(self.sink, "roll", None)
        if roll is None:
            return
        try:
            self.sink.prune()
        except OSError:
            pass
        now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        for stream, hours in self._hours.items():
            for hour in sorted(hours):
                if final or hour < now:
                    try:
                        roll(stream, hour)
                    except Exception as exc:  # noqa: BLE001 - the parts stay readable as they are
                        self.last_error = f"could not merge {stream} {hour:%Y-%m-%d %H}h: {exc}"
                    hours.discard(hour)


def _size(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (bytes, bytearray, str)):
        return len(value)
    nbytes = getattr(value, "nbytes", None)
    if nbytes is not None:
        return int(nbytes)
    if isinstance(value, tuple):
        return sum(_size(v) for v in value if isinstance(v, (bytes, bytearray, str)) or hasattr(v, "nbytes"))
    return 256


def _table(records: list, deployment: str):
    """One table from many requests' columns; a column whose values disagree in type is kept
    as text (the drift engine reads numbers written as text, and counts the rest as mismatches)."""
    import pyarrow as pa

    names: dict[str, None] = {}
    for _, cols in records:
        names.update(dict.fromkeys(cols[1]))
    ids, times, latencies, rows = [], [], [], []
    data: dict[str, list] = {n: [] for n in names}
    for (request_id, started_at, latency_s), (n, cols) in records:
        ids.extend([request_id] * n)
        times.extend([int(started_at * 1_000_000)] * n)
        latencies.extend([latency_s * 1000.0] * n)
        rows.extend(range(n))
        for name in names:
            values = cols.get(name)
            if values is None:
                data[name].extend([None] * n)
            elif hasattr(values, "tolist"):
                data[name].extend(values.tolist())
            else:
                data[name].extend(values)
    arrays = {
        "request_id": pa.array(ids, pa.string()),
        "time": pa.array(times, pa.timestamp("us", tz="UTC")),
        "deployment": pa.array([deployment] * len(ids), pa.string()),
        "latency_ms": pa.array(latencies, pa.float64()),
        "row": pa.array(rows, pa.int32()),
    }
    for name, values in data.items():
        if name in arrays:
            name = f"input_{name}"
        arrays[name] = _array(values)
    return pa.table(arrays)


def _array(values: list):
    import json

    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    out = []
    for v in values:
        if v is None or isinstance(v, str):
            out.append(v)
        elif isinstance(v, (dict, list)):
            out.append(json.dumps(v))
        else:
            out.append(repr(v) if isinstance(v, float) else str(v))
    return pa.array(out, pa.string())


# ---- reading requests and replies (on the writer thread) -------------------------------------


def to_columns(kind: str, payload: Any, names: list[str] | None) -> tuple[int, dict[str, Any]]:
    """(rows, {column: values}) of a request's inputs.

    ``rows``: a numpy array (the MLflow fast path) with ``names``; ``invocations``/``json``:
    ``(body, content_type)`` of MLflow's scoring protocol; ``score``: ``(body, content_type,
    headers)`` of a scoring script (``{"data": ...}`` or any JSON); ``oip``: ``(request, name)``
    of the Open Inference Protocol; ``tensor``: ``(array, answer)`` of a dynamically batched
    tensor request; ``table``: a pyarrow table (batch jobs). Anything that cannot
    be read as rows is kept whole in one ``raw_input`` column.
    """
    if kind == "rows":
        return len(payload), {n: payload[:, i] for i, n in enumerate(names or [f"x{i}" for i in range(payload.shape[1])])}
    if kind == "table":
        if payload is None:
            return 0, {}
        return payload.num_rows, {n: payload.column(n).to_numpy(zero_copy_only=False) for n in payload.column_names}
    if kind == "oip":
        return _oip_columns(payload[0], names)
    if kind == "tensor":  # a batched tensor request: a (rows, ...) array; 2-D as columns, else one list per row
        array = payload[0]
        if array.ndim == 2:
            return to_columns("rows", array, names)
        return len(array), {"tensor": [row.ravel().tolist() for row in array]}
    body, content_type = payload[0], payload[1]
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    if "csv" in (content_type or "").lower():
        return _csv_columns(text)
    try:
        import orjson

        doc = orjson.loads(body)
    except Exception:  # noqa: BLE001 - not JSON: keep it whole
        return 1, {"raw_input": [text]}
    return json_columns(doc, names)


def json_columns(doc: Any, names: list[str] | None = None) -> tuple[int, dict[str, Any]]:
    """MLflow's and Azure ML's JSON request shapes as columns."""
    if isinstance(doc, dict) and len(doc) == 1:
        key, value = next(iter(doc.items()))
        if key == "dataframe_split" and isinstance(value, dict) and isinstance(value.get("data"), list):
            cols = value.get("columns") or names or []
            return _rows_columns(value["data"], cols)
        if key in ("dataframe_records", "instances", "inputs", "data"):
            return json_columns(value, names)
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        keys: dict[str, None] = {}
        for r in doc:
            keys.update(dict.fromkeys(r))
        return len(doc), {k: [r.get(k) for r in doc] for k in keys}
    if isinstance(doc, list) and doc and all(isinstance(r, list) for r in doc):
        return _rows_columns(doc, names or [])
    if isinstance(doc, dict) and doc and all(isinstance(v, list) for v in doc.values()) and len({len(v) for v in doc.values()}) == 1:
        return len(next(iter(doc.values()))), dict(doc)
    if isinstance(doc, list) and doc and not any(isinstance(v, (list, dict)) for v in doc):
        return len(doc), {"value": doc}
    import json

    return 1, {"raw_input": [json.dumps(doc)]}


def _rows_columns(rows: list, names: list[str]) -> tuple[int, dict[str, Any]]:
    width = max((len(r) for r in rows if isinstance(r, list)), default=0)
    cols = list(names)[:width] + [f"x{i}" for i in range(len(names), width)]
    out: dict[str, list] = {c: [] for c in cols}
    for r in rows:
        r = r if isinstance(r, list) else [r]
        for i, c in enumerate(cols):
            out[c].append(r[i] if i < len(r) else None)
    return len(rows), out


def _csv_columns(text: str) -> tuple[int, dict[str, Any]]:
    import io

    from pyarrow import csv

    table = csv.read_csv(io.BytesIO(text.encode()))
    return table.num_rows, {n: table.column(n).to_pylist() for n in table.column_names}


def _oip_columns(request: Any, names: list[str] | None) -> tuple[int, dict[str, Any]]:
    import numpy as np

    inputs = request.get("inputs") if isinstance(request, dict) else None
    if not isinstance(inputs, list) or not inputs:
        return 0, {}
    if len(inputs) == 1:
        item = inputs[0]
        array = np.asarray(item.get("data")).reshape(item.get("shape") or [-1])
        if array.ndim == 2:
            cols = list(names or [])[: array.shape[1]]
            cols += [f"{item.get('name', 'x')}_{i}" for i in range(len(cols), array.shape[1])]
            return array.shape[0], {c: array[:, i] for i, c in enumerate(cols)}
        return len(array.reshape(-1)), {item.get("name", "x"): array.reshape(-1)}
    cols = {i.get("name", f"x{n}"): np.asarray(i.get("data")).reshape(-1) for n, i in enumerate(inputs)}
    lengths = {len(v) for v in cols.values()}
    if len(lengths) != 1:
        import json

        return 1, {"raw_input": [json.dumps(request, default=str)]}
    return lengths.pop(), cols


def output_columns(output: Any) -> tuple[int, dict[str, Any]]:
    """(rows, {column: values}) of a reply: MLflow's ``{"predictions": ...}``, a scoring script's
    JSON, an OIP reply, or a table (batch jobs)."""
    if output is None:
        return 0, {}
    if hasattr(output, "num_rows"):
        return output.num_rows, {n: output.column(n).to_numpy(zero_copy_only=False) for n in output.column_names}
    try:
        import orjson

        doc = orjson.loads(output)
    except Exception:  # noqa: BLE001
        text = output.decode("utf-8", "replace") if isinstance(output, (bytes, bytearray)) else str(output)
        return 1, {"raw_output": [text]}
    if isinstance(doc, dict) and isinstance(doc.get("outputs"), list) and all(isinstance(o, dict) for o in doc["outputs"]):
        cols = {}
        for o in doc["outputs"]:
            data = o.get("data") or []
            shape = o.get("shape") or [len(data)]
            if len(shape) == 2 and shape[1] > 1:
                for j in range(shape[1]):
                    cols[f"{o.get('name', 'output')}_{j}"] = data[j :: shape[1]]
            else:
                name = o.get("name", "output")
                cols["prediction" if name == "predict" else name] = data  # MLflow's OIP name for its one output
        n = len(next(iter(cols.values()))) if cols else 0
        return n, cols
    if isinstance(doc, dict) and "predictions" in doc:
        doc = doc["predictions"]
    if isinstance(doc, list):
        if doc and all(isinstance(v, dict) for v in doc):
            keys: dict[str, None] = {}
            for r in doc:
                keys.update(dict.fromkeys(r))
            return len(doc), {k: [r.get(k) for r in doc] for k in keys}
        if doc and all(isinstance(v, list) for v in doc):
            width = max(len(v) for v in doc)
            return len(doc), {f"prediction_{j}": [v[j] if j < len(v) else None for v in doc] for j in range(width)}
        return len(doc), {"prediction": doc}
    if isinstance(doc, dict) and doc and all(isinstance(v, list) for v in doc.values()) and len({len(v) for v in doc.values()}) == 1:
        return len(next(iter(doc.values()))), dict(doc)
    import json

    return 1, {"prediction": [doc if isinstance(doc, (int, float, str, bool)) or doc is None else json.dumps(doc)]}


def batch_collector(plan: dict[str, Any], model_dir: str | None, model_info: dict[str, Any]) -> Collector:
    """The collector of a batch job (``collect`` in its spec); the job id goes in ``deployment``.
    The collection folder also gets ``model.json``: the model the monitor's run then uses."""
    import json

    job_dir = Path(plan["job_dir"])
    settings = plan["collect"]
    folder = collected_dir(job_dir.parent.parent, settings["name"])  # jobs live in <workspace>/jobs/<id>
    if model_dir:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            info = {"path": model_dir, "name": model_info.get("model_name"), "version": model_info.get("model_version"), "job_id": job_dir.name}
            (folder / "model.json").write_text(json.dumps(info))
        except OSError as exc:
            print(f"mlservice-batch: cannot record the model for monitoring: {exc}", flush=True)
    c = Collector(folder, job_dir.name, inputs=settings.get("inputs", True), outputs=settings.get("outputs", True),
                  sample_rate=settings.get("sample_rate", 1.0), max_bytes=256 * 2**20)  # fmt: skip
    c.drop_columns = list(plan.get("key_columns") or [])
    return c

