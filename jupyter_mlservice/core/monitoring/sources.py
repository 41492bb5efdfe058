"""Reading baselines and windows as a stream of record batches (never a whole frame)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

BATCH_ROWS = 65_536


def expand(root_dir: Path, path: str) -> list[Path]:
    """A CSV/Parquet file, a folder of them or a glob (relative to the server root) -> files."""
    from ..batch.prepare import expand_files

    return expand_files(root_dir, path)


def file_batches(files: list[Path], columns: list[str] | None = None, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Each file's batches in order; Parquet one row group at a time, CSV in 4 MiB blocks."""
    for path in files:
        if path.suffix.lower() == ".csv":
            from pyarrow import csv

            reader = csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 22))
            for batch in reader:
                yield batch.select([c for c in columns if c in batch.schema.names]) if columns else batch
            continue
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        wanted = None if columns is None else [c for c in columns if c in pf.schema_arrow.names]
        # one reader per row group: a single iter_batches keeps every decoded batch alive (pyarrow 25)
        for rg in range(pf.num_row_groups):
            yield from pf.iter_batches(batch_size=batch_rows, row_groups=[rg], columns=wanted, use_threads=True)


def schema_of(files: list[Path]) -> pa.Schema:
    """The first file's columns (the read ones for CSV: types are inferred from its first block)."""
    path = files[0]
    if path.suffix.lower() == ".csv":
        from pyarrow import csv

        return csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 20)).schema
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).schema_arrow
