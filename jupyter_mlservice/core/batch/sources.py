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
        return len(self.data) if isinstance(self.data, list) else self.data.num_rows


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
                yield from pf.iter_batches(batch_size=min(self.size, 65536), columns=self.columns, use_threads=True)
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


class SQLSource(Source):
    """A query or table through SQLAlchemy, streamed (server-side cursor where the driver has one)."""

    def __init__(self, url: str, sql: str | None, table: str | None, size: int, key_columns: list[str]):
        from sqlalchemy import create_engine, text

        self.engine = create_engine(url)
        self.size = size
        prep = self.engine.dialect.identifier_preparer
        if table:
            query = f"SELECT * FROM {_quote_table(prep, table)}"
        else:
            query = sql.strip().rstrip(";")
        self.count_sql = text(f"SELECT COUNT(*) FROM ({query}) AS mlservice_q")
        if key_columns:  # a stable order makes mini-batch numbers stable, so reruns can resume
            order = ", ".join(prep.quote(c) for c in key_columns)
            query = f"SELECT * FROM ({query}) AS mlservice_q ORDER BY {order}"
        self.query = text(query)
        with self.engine.connect() as conn:
            rows = conn.execute(self.count_sql).scalar_one()
        self.total = math.ceil(rows / size)

    def __iter__(self) -> Iterator[MiniBatch]:
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
    # Column-wise transposition is much faster than building a DataFrame row by row.
    cols = list(zip(*rows)) if rows else [[] for _ in columns]
    return pa.table({name: pa.array(values, from_pandas=True) for name, values in zip(columns, cols)})


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
