"""Reading what was collected: the files of a time window, and their rows in that window.

A writer merges its parts of a finished hour into ``<prefix>.parquet`` and deletes the parts an
hour later, so a folder holds both for a while: the parts of a prefix whose merged file exists
are skipped, and a reader that listed the parts before the merge still finds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa

from .collection import INPUTS, OUTPUTS, hour_dir

__all__ = ["INPUTS", "OUTPUTS", "hour_files", "window_files", "window_batches", "window_rows"]


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def hour_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.parquet") if not p.name.startswith(".")]
    merged = {p.stem for p in files if p.stem.count("-") == 1}  # "<pid>-<nonce>" is a merged file
    return sorted(p for p in files if p.stem in merged or p.stem.rsplit("-", 1)[0] not in merged)


def window_files(folder: Path, stream: str, start: datetime, end: datetime) -> list[Path]:
    """Files of the hours that overlap [start, end)."""
    start, end = _utc(start), _utc(end)
    hour = start.replace(minute=0, second=0, microsecond=0)
    files: list[Path] = []
    while hour < end:
        files += hour_files(hour_dir(folder, stream, hour))
        hour += timedelta(hours=1)
    return files


def window_batches(
    folder: Path, stream: str, start: datetime, end: datetime, deployment: str | None = None, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """The rows collected in [start, end) (of one deployment), batch by batch."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    start, end = _utc(start), _utc(end)
    lo = pa.scalar(start, pa.timestamp("us", tz="UTC"))
    hi = pa.scalar(end, pa.timestamp("us", tz="UTC"))
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        for path in hour_files(hour_dir(folder, stream, hour)):
            pf = pq.ParquetFile(path)
            wanted = None
            if columns is not None:
                wanted = [c for c in pf.schema_arrow.names if c in columns or c in ("time", "deployment")]
            for rg in range(pf.num_row_groups):
                for batch in pf.iter_batches(row_groups=[rg], columns=wanted):
                    keep = pc.and_(pc.greater_equal(batch.column("time"), lo), pc.less(batch.column("time"), hi))
                    if deployment is not None:
                        keep = pc.and_(keep, pc.equal(batch.column("deployment"), deployment))
                    batch = batch.filter(keep)
                    if batch.num_rows:
                        yield batch
        hour += timedelta(hours=1)


def window_rows(folder: Path, stream: str, start: datetime, end: datetime, deployment: str | None = None) -> int:
    return sum(b.num_rows for b in window_batches(folder, stream, start, end, deployment, columns=[]))
