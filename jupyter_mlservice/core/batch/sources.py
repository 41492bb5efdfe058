"""Readers that stream an input as numbered mini-batches, holding one mini-batch at a time.

A mini-batch's number depends only on the input and the mini-batch size, so a rerun over the
same input sees the same numbering and can skip what an earlier run already wrote.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass
class MiniBatch:
    index: int
    offset: int  # first row's position in the whole input (rows mode)
    data: Any  # a pyarrow Table (rows mode) or a list of file paths (files mode)

    @property
    def size(self) -> int:
        return len(self.data) if isinstance(self.data, (list, SQLSlice)) else self.data.num_rows


class Source:
    total: int | None = None  # mini-batches, when knowable up front

    def __iter__(self) -> Iterator[MiniBatch]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _rechunk(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """Exactly `size` rows per table (the last one may be shorter), whatever the reader yields."""
    pending: list[pa.RecordBatch] = []
    have = 0
    for rb in batches:
        if rb.num_rows == 0:
            continue
        pending.append(rb)
        have += rb.num_rows
        while have >= size:
            table = pa.Table.from_batches(pending)
            head, rest = table.slice(0, size), table.slice(size)
            yield head.combine_chunks()
            pending = rest.to_batches()
            have = rest.num_rows
    if have:
        yield pa.Table.from_batches(pending).combine_chunks()


class FileRowsSource(Source):
    """CSV or Parquet files read in order; mini-batches do not span files."""

    def __init__(self, files: list[str], fmt: str, size: int, columns: list[str] | None = None):
        self.files, self.fmt, self.size, self.columns = files, fmt, size, columns
        self.total = sum(math.ceil(n / size) for n in self._row_counts())

    def _row_counts(self) -> list[int]:
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            return [pq.ParquetFile(f).metadata.num_rows for f in self.files]
        return [_csv_rows(f) for f in self.files]

    def _batches(self, path: str) -> Iterator[pa.RecordBatch]:
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(path)
            try:
                # One reader per row group: a single iter_batches over the whole file keeps every
                # batch it decoded alive (pyarrow 25), so memory would grow with the file.
                for rg in range(pf.num_row_groups):
                    yield from pf.iter_batches(batch_size=min(self.size, 65536), row_groups=[rg], columns=self.columns, use_threads=True)
            finally:
                pf.close()
        else:
            from pyarrow import csv

            reader = csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 22))
            for rb in reader:
                yield rb if self.columns is None else rb.select(self.columns)

    def __iter__(self) -> Iterator[MiniBatch]:
        index = offset = 0
        for path in self.files:
            for table in _rechunk(self._batches(path), self.size):
                yield MiniBatch(index, offset, table)
                index += 1
                offset += table.num_rows


def _csv_rows(path: str) -> int:
    """Data lines of a CSV (newlines minus the header); quoted newlines make it an estimate."""
    lines = 0
    last = b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - 1)


class FilesSource(Source):
    """mini_batch_unit=files: each mini-batch is a list of file paths for the script's run()."""

    def __init__(self, files: list[str], size: int):
        self.files, self.size = files, size
        self.total = math.ceil(len(files) / size)

    def __iter__(self) -> Iterator[MiniBatch]:
        for index in range(self.total):
            chunk = self.files[index * self.size:(index + 1) * self.size]
            yield MiniBatch(index, index * self.size, chunk)


@dataclass
class SQLSlice:
    """A mini-batch a worker reads itself: the rows of the query whose key is in [low, high)."""

    url: str
    query: str  # selects the slice; binds :low (and :high, except for the last slice)
    low: Any
    high: Any

    def __len__(self) -> int:  # unknown until read; the worker reports the row count
        return 0


class SQLSource(Source):
    """A query or table through SQLAlchemy, streamed (server-side cursor where the driver has one)."""

    def __init__(self, url: str, sql: str | None, table: str | None, size: int, key_columns: list[str]):
        from sqlalchemy import create_engine, text

        self.engine = create_engine(url)
        self.url, self.size = url, size
        prep = self.engine.dialect.identifier_preparer
        base = f"SELECT * FROM {_quote_table(prep, table)}" if table else sql.strip().rstrip(";")
        self._check(base, "input.table" if table else "input.sql", key_columns)
        self.bounds: list[Any] | None = None
        if len(key_columns) == 1:
            # One key: cut the key range into mini-batches inside the database (a window function,
            # so no row crosses into Python here) and let the workers read their slices in parallel.
            key = prep.quote(key_columns[0])
            cut = text(
                f"SELECT k FROM (SELECT {key} AS k, ROW_NUMBER() OVER (ORDER BY {key}) AS rn FROM ({base}) AS mlservice_k "
                f"WHERE {key} IS NOT NULL) AS mlservice_b WHERE (rn - 1) % {int(size)} = 0 ORDER BY k"
            )
            try:
                with self.engine.connect() as conn:
                    self.bounds = list(conn.execute(cut).scalars())
            except Exception:  # no window functions: stream the rows through this process
                self.bounds = None
            # (the last slice has no upper bound; two texts avoid an untyped NULL parameter in PostgreSQL)
            self.slice_sql = f"SELECT * FROM ({base}) AS mlservice_q WHERE {key} >= :low AND {key} < :high ORDER BY {key}"
            self.last_sql = f"SELECT * FROM ({base}) AS mlservice_q WHERE {key} >= :low ORDER BY {key}"
            if self.bounds is not None:
                self.total = len(self.bounds)
                return
        query = base
        if key_columns:  # a stable order makes mini-batch numbers stable, so reruns can resume
            order = ", ".join(prep.quote(c) for c in key_columns)
            query = f"SELECT * FROM ({base}) AS mlservice_q ORDER BY {order}"
        self.query = text(query)
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT COUNT(*) FROM ({base}) AS mlservice_q")).scalar_one()
        self.total = math.ceil(rows / size)

    def _check(self, base: str, what: str, key_columns: list[str]) -> None:
        """The database's own words for a bad query or a key column the input lacks, before any
        mini-batch (the key-range cut below would take a refusal for "no window functions")."""
        from sqlalchemy import text

        try:
            with self.engine.connect() as conn:
                columns = list(conn.execute(text(f"SELECT * FROM ({base}) AS mlservice_q WHERE 1 = 0")).keys())
        except Exception as exc:  # noqa: BLE001 - any driver's error
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            self.engine.dispose()
            raise SystemExit(f"{what}: the database refused it: {detail}") from None
        known = {c.lower() for c in columns}  # (SQLite matches names in any case)
        missing = [k for k in key_columns if k not in columns and k.lower() not in known]
        if missing:
            self.engine.dispose()
            raise SystemExit(f"key_columns {', '.join(missing)} not in the input, whose columns are: {', '.join(columns)}")

    def __iter__(self) -> Iterator[MiniBatch]:
        if self.bounds is not None:
            for i, low in enumerate(self.bounds):
                high = self.bounds[i + 1] if i + 1 < len(self.bounds) else None
                yield MiniBatch(i, i * self.size, SQLSlice(self.url, self.slice_sql if high is not None else self.last_sql, low, high))
            return
        index = offset = 0
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=self.size).execute(self.query)
            columns = list(result.keys())
            for rows in result.partitions(self.size):
                table = _records_to_table(rows, columns)
                yield MiniBatch(index, offset, table)
                index += 1
                offset += len(rows)

    def close(self) -> None:
        self.engine.dispose()


def _records_to_table(rows: list, columns: list[str]) -> pa.Table:
    # Column-wise: numbers go through numpy (several times faster than pyarrow from Python
    # objects); NULLs, text, dates and PostgreSQL arrays (lists) take the general path.
    import numpy as np

    cols = list(zip(*rows)) if rows else [[] for _ in columns]
    arrays = {}
    for name, values in zip(columns, cols):
        arr = None
        if isinstance(next((v for v in values if v is not None), None), (int, float)):
            arr = np.asarray(values)
        if arr is not None and arr.dtype.kind in "iufb":
            arrays[name] = pa.array(arr)
        else:
            arrays[name] = _general_array(values)
    return pa.table(arrays)


def _general_array(values) -> pa.Array:
    # Values that pandas code (a user's run(), a model) cannot use as they come out of arrow, or
    # that arrow cannot take at all (a jsonb column of mixed shapes), become text: UUIDs (PostgreSQL
    # `uuid`; arrow makes them bytes) and anything arrow refuses.
    import uuid

    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, uuid.UUID):
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    try:
        return pa.array(list(values), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        import json

        return pa.array([None if v is None else v if isinstance(v, str) else json.dumps(v, default=str) for v in values], pa.string())


def _quote_table(prep, table: str) -> str:
    return ".".join(prep.quote(part) for part in table.split("."))


def open_source(plan: dict[str, Any]) -> Source:
    inp = plan["input"]
    size = plan["mini_batch_size"]
    if plan.get("mini_batch_unit") == "files":
        return FilesSource(inp["files"], size)
    if inp.get("files"):
        return FileRowsSource(inp["files"], inp["format"], size)
    return SQLSource(inp["url"], inp.get("sql"), inp.get("table"), size, plan.get("key_columns") or [])
