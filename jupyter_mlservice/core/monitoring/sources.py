"""Reading baselines and windows as a stream of record batches (never a whole frame)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from ..paths import PathPolicy

BATCH_ROWS = 65_536


def expand(paths: PathPolicy, path: str) -> list[Path]:
    """A CSV/Parquet file, a folder of them or a glob (relative to the server root, and in reach
    of ``paths``: 403 otherwise) -> files."""
    from ..batch.prepare import expand_files

    return expand_files(paths, path, what="baseline")


class Batches:
    """Record batches to iterate over, once or more, with ``schema``: each column's type as the
    file stores it. Parquet text columns are read as dictionaries (decoding them and counting
    their categories is several times cheaper so), so a batch's own type can differ."""

    def __init__(self, make: Callable[[], Iterator[pa.RecordBatch]], schema: pa.Schema | None):
        self._make, self.schema = make, schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return self._make()


def file_batches(files: list[Path], columns: list[str] | None = None, batch_rows: int = BATCH_ROWS) -> Batches:
    """Each file's batches in order; Parquet one row group at a time, CSV in 4 MiB blocks."""

    def batches() -> Iterator[pa.RecordBatch]:
        for path in files:
            if path.suffix.lower() == ".csv":
                from pyarrow import csv

                reader = csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 22))
                for batch in reader:
                    yield batch.select([c for c in columns if c in batch.schema.names]) if columns else batch
                continue
            pf = _parquet(path)
            wanted = None if columns is None else [c for c in columns if c in pf.schema_arrow.names]
            # one reader per row group: a single iter_batches keeps every decoded batch alive (pyarrow 25)
            for rg in range(pf.num_row_groups):
                yield from pf.iter_batches(batch_size=batch_rows, row_groups=[rg], columns=wanted, use_threads=True)

    return Batches(batches, _stored_schema(files))


def _parquet(path: Path):
    """The Parquet file, its text columns read as dictionaries."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    return pq.ParquetFile(path, read_dictionary=text or None)


def _stored_schema(files: list[Path]) -> pa.Schema | None:
    """The first Parquet file's schema (the types its text columns had before being read as dictionaries)."""
    parquet = next((f for f in files if f.suffix.lower() != ".csv"), None)
    if parquet is None:
        return None
    import pyarrow.parquet as pq

    return pq.read_schema(parquet)


def schema_of(files: list[Path]) -> pa.Schema:
    """The first file's columns (the read ones for CSV: types are inferred from its first block)."""
    path = files[0]
    if path.suffix.lower() == ".csv":
        from pyarrow import csv

        return csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 20)).schema
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).schema_arrow


def spread_sample(files: list[Path], rows: int, batch_rows: int = BATCH_ROWS):
    """A function giving whole Parquet row groups spread evenly over the files, about ``rows``
    rows in all (the edges' sample of a baseline profile), or None when that would not read
    much less than everything (CSV files, few row groups)."""
    if any(f.suffix.lower() == ".csv" for f in files):
        return None
    import pyarrow.parquet as pq

    groups = []
    for path in files:
        meta = pq.ParquetFile(path).metadata
        groups += [(path, rg, meta.row_group(rg).num_rows) for rg in range(meta.num_row_groups)]
    total = sum(n for _, _, n in groups)
    if total <= 2 * rows or len(groups) < 4:
        return None
    per = total / max(1, sum(1 for _ in groups))
    wanted = max(2, min(len(groups), int(rows / max(per, 1)) + 1))
    chosen = sorted({round(i * (len(groups) - 1) / (wanted - 1)) for i in range(wanted)})
    if sum(groups[i][2] for i in chosen) > total / 2:
        return None

    def batches() -> Iterator[pa.RecordBatch]:
        for i in chosen:
            path, rg, _ = groups[i]
            yield from _parquet(path).iter_batches(batch_size=batch_rows, row_groups=[rg], use_threads=True)

    return lambda: Batches(batches, _stored_schema(files))

