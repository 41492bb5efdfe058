"""Profile data in one streaming pass, in memory bounded whatever the size.

    python -m jupyter_mlservice.core.data.profile PATH [--format csv|parquet|jsonl] --out profile.json

The data service runs this as an ordinary job after a version is registered. Tabular data (CSV,
Parquet, JSON lines; a file or a folder of them) is read batch by batch with pyarrow; per column it
keeps a fixed amount of state:

* rows, nulls (NaN counts as missing, as in pandas), type;
* numbers: exact min / max / mean / std (batch moments merged with Chan's formula);
* distinct values: exact up to ``DISTINCT_K`` values, above that estimated from the ``DISTINCT_K``
  smallest 64-bit hashes (a KMV sketch, about 1% error);
* quantiles and a histogram from a uniform random sample of ``SAMPLE_K`` rows (bottom-k by a
  random priority), exact when the data has fewer rows; histogram counts are scaled to all rows;
* top values of text and boolean columns, counted per batch and merged into a bounded counter
  (exact while a column has few distinct values, approximate above);
* the first 100 rows, as a sample.

Images get counts, sizes and pixel dimensions (read from headers); other files, counts and sizes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SAMPLE_ROWS = 100
SAMPLE_K = 50_000
DISTINCT_K = 8192
TOP_VALUES = 10
TOP_TRACKED = 2000
HIST_BINS = 20
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
BATCH_BYTES = 64 * 2**20
MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


# ---- hashing and sketches ---------------------------------------------------------------------


def _mix(x: np.ndarray) -> np.ndarray:
    """Spread 64-bit keys over 64 bits (multiply, fold, multiply: murmur3's finalizer, halved),
    so that the smallest hashes are a uniform sample of the distinct keys."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64, copy=True)
        z *= np.uint64(0xFF51AFD7ED558CCD)
        z ^= z >> np.uint64(33)
        z *= np.uint64(0xC4CEB9FE1A85EC53)
    return z


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    # np.unique on high-entropy uint64 keys takes its hash-table path in numpy 2.4, ~25x slower
    # than sorting for these sizes
    s = np.sort(a)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


class Distinct:
    """The K smallest distinct hashes seen: exact count below K, an estimate above."""

    def __init__(self, k: int = DISTINCT_K):
        self.k = k
        self.kept = np.empty(0, dtype=np.uint64)
        self.full = False
        self.batches = 0

    def add(self, hashes: np.ndarray) -> None:
        """Hashes of one batch's values (repeats are fine)."""
        self.batches += 1
        if not len(hashes):
            return
        if self.full:
            hashes = hashes[hashes < self.kept[-1]]
            if not len(hashes):
                return
        if len(hashes) > 4 * self.k:
            hashes = _sorted_unique(hashes)[: self.k]
        merged = _sorted_unique(np.concatenate([self.kept, hashes]))
        if len(merged) >= self.k:
            self.full = True
            merged = merged[: self.k]
        self.kept = merged

    def count(self) -> tuple[int, bool]:
        """(distinct values, exact?)"""
        if not self.full:
            return len(self.kept), True
        return int(round((self.k - 1) / (float(self.kept[-1]) / 2.0**64))), False


class TopValues:
    """Counts of the most frequent values, kept to a bounded number of entries."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.pruned = False

    def add(self, values: list, counts: list[int]) -> None:
        self.counts.update(dict(zip(values, counts)))
        if len(self.counts) > 2 * TOP_TRACKED:
            self.counts = Counter(dict(self.counts.most_common(TOP_TRACKED)))
            self.pruned = True

    def top(self) -> list[dict[str, Any]]:
        return [{"value": _jsonable(v), "count": int(c)} for v, c in self.counts.most_common(TOP_VALUES)]


class RowSample:
    """A uniform random sample of rows: the SAMPLE_K rows with the smallest random priorities."""

    def __init__(self, k: int = SAMPLE_K, seed: int = 0):
        self.k = k
        self.rng = np.random.default_rng(seed)
        self.priorities = np.empty(0)
        self.tables: list[pa.Table] = []
        self.threshold = 1.0

    def add(self, table: pa.Table) -> None:
        pr = self.rng.random(table.num_rows)
        keep = np.nonzero(pr < self.threshold)[0]
        if not len(keep):
            return
        if len(keep) > self.k:  # only this batch's k smallest can stay
            keep = keep[np.argpartition(pr[keep], self.k)[: self.k]]
        self.tables.append(table.take(pa.array(keep)))
        self.priorities = np.concatenate([self.priorities, pr[keep]])
        if len(self.priorities) > 2 * self.k:
            self._trim()

    def _trim(self) -> None:
        if len(self.priorities) <= self.k:
            return
        order = np.argpartition(self.priorities, self.k)[: self.k]
        table = pa.concat_tables(self.tables, promote_options="permissive")
        self.tables = [table.take(pa.array(order))]
        self.priorities = self.priorities[order]
        self.threshold = float(self.priorities.max())

    def table(self) -> pa.Table | None:
        self._trim()
        if not self.tables:
            return None
        return pa.concat_tables(self.tables, promote_options="permissive")


# ---- per-column statistics --------------------------------------------------------------------


def _kind(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "text"
    if pa.types.is_dictionary(t):
        return "text" if _kind(t.value_type) == "text" else "other"
    if pa.types.is_temporal(t):
        return "datetime"
    return "other"


class Column:
    def __init__(self, name: str, type_: pa.DataType):
        self.name = name
        self.type = type_
        self.kind = _kind(type_)
        self.count = 0  # non-missing values
        self.nulls = 0
        self.distinct = Distinct()
        self.top = TopValues() if self.kind in ("text", "boolean") else None
        self.min: Any = None
        self.max: Any = None
        self.mean = 0.0
        self.m2 = 0.0
        self.length_sum = 0

    def add(self, arr: pa.ChunkedArray | pa.Array) -> None:
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
        if self.kind == "number":
            self._numbers(arr)
        elif self.kind in ("text", "boolean"):
            self._categories(arr)
        elif self.kind == "datetime":
            self._datetimes(arr)
        else:
            self.nulls += arr.null_count
            self.count += len(arr) - arr.null_count

    def _hash_all(self, arr: pa.Array) -> bool:
        """Hash every value (many distinct ones) rather than dedupe them in arrow first (few)."""
        if self.distinct.full:
            return True
        if self.distinct.batches == 0 and len(arr) > 4 * DISTINCT_K:
            # a first batch: judge by its head, where arrow's count is cheap
            return pc.count_distinct(arr.slice(0, 8192)).as_py() > 2048
        return False

    def missing(self, rows: int) -> None:
        """A batch (of a file) that lacks this column."""
        self.nulls += rows

    def _numbers(self, arr: pa.Array) -> None:
        n_all = len(arr)
        if pa.types.is_decimal(arr.type) or pa.types.is_float16(arr.type):
            arr = arr.cast(pa.float64())
        if arr.null_count:
            arr = arr.drop_null()
        v = arr.to_numpy(zero_copy_only=False)
        if v.dtype.kind == "f":
            nan = np.isnan(v)
            if nan.any():
                v = v[~nan]
        n = len(v)
        self.nulls += n_all - n
        if not n:
            return
        lo, hi = v.min(), v.max()
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)
        f = v.astype(np.float64, copy=False)
        mean = float(f.mean())
        m2 = float(np.square(f - mean).sum())
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total
        # distinct values: while the sketch holds every value seen, arrow's hash table dedupes the
        # batch first (few distinct values: little to hash); once it is full, only hashes under
        # its threshold matter, so every value is hashed and most are dropped at once
        u = v if self._hash_all(arr) else pc.unique(arr).to_numpy(zero_copy_only=False)
        if u.dtype.kind == "f":
            u = u.astype(np.float64, copy=False)
            keys = (u[~np.isnan(u)] + 0.0).view(np.uint64)  # -0.0 and 0.0 are one value
        else:
            keys = u.astype(np.int64, copy=False).view(np.uint64)
        self.distinct.add(_mix(keys))

    def _categories(self, arr: pa.Array) -> None:
        self.nulls += arr.null_count
        self.count += len(arr) - arr.null_count
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if self.kind == "text":
            lengths = pc.sum(pc.utf8_length(arr)).as_py()
            self.length_sum += lengths or 0
        counts = pc.value_counts(arr.drop_null() if arr.null_count else arr)
        values, freqs = counts.field("values"), counts.field("counts")
        if len(values) > TOP_TRACKED:
            best = pc.select_k_unstable(freqs, k=TOP_TRACKED, sort_keys=[("counts", "descending")])
            top_values, top_freqs = values.take(best), freqs.take(best)
        else:
            top_values, top_freqs = values, freqs
        self.top.add(top_values.to_pylist(), top_freqs.to_pylist())
        if self.kind == "boolean":
            py = values.to_pylist()
            self.distinct.add(_mix(np.array([int(b) for b in py], dtype=np.uint64)))
        else:
            # hash() of str is stable within this process, which is all a count needs
            py = values.to_pylist()
            self.distinct.add(_mix(np.fromiter((hash(s) for s in py), dtype=np.int64, count=len(py)).view(np.uint64)))

    def _datetimes(self, arr: pa.Array) -> None:
        self.nulls += arr.null_count
        valid = arr.drop_null() if arr.null_count else arr
        n = len(valid)
        self.count += n
        if not n:
            return
        mm = pc.min_max(valid)
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)
        unique = valid if self._hash_all(valid) else pc.unique(valid)
        as_int = unique.cast(pa.int64()) if not pa.types.is_date32(unique.type) else unique.cast(pa.int32()).cast(pa.int64())
        self.distinct.add(_mix(as_int.to_numpy(zero_copy_only=False).view(np.uint64)))

    def result(self, rows: int, sample: pa.Table | None) -> dict[str, Any]:
        distinct, exact = self.distinct.count()
        out: dict[str, Any] = {
            "name": self.name,
            "type": str(self.type),
            "kind": self.kind,
            "count": self.count,
            "nulls": self.nulls,
            "null_fraction": round(self.nulls / rows, 6) if rows else 0.0,
            "distinct": distinct,
            "distinct_exact": exact,
        }
        if self.kind == "number" and self.count:
            std = math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else 0.0
            out.update(min=_jsonable(self.min), max=_jsonable(self.max), mean=self.mean, std=std)
            values = _sample_numbers(sample, self.name)
            if values is not None and len(values):
                qs = np.quantile(values, QUANTILES)
                out["quantiles"] = {f"{q:g}": float(x) for q, x in zip(QUANTILES, qs)}
                out["histogram"] = _histogram(values, float(self.min), float(self.max), self.count)
        elif self.kind == "datetime" and self.count:
            out.update(min=_jsonable(self.min), max=_jsonable(self.max))
        elif self.top is not None:
            out["top_values"] = self.top.top()
            out["top_values_exact"] = not self.top.pruned
            if self.kind == "text" and self.count:
                out["mean_length"] = self.length_sum / self.count
        return out


def _sample_numbers(sample: pa.Table | None, name: str) -> np.ndarray | None:
    if sample is None or name not in sample.column_names:
        return None
    arr = sample.column(name)
    if pa.types.is_decimal(arr.type):
        arr = arr.cast(pa.float64())
    v = arr.drop_null().to_numpy().astype(np.float64)
    return v[~np.isnan(v)]


def _histogram(values: np.ndarray, lo: float, hi: float, total: int) -> dict[str, Any]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        values = values[np.isfinite(values)]
        if not len(values):
            return {"edges": [], "counts": [], "estimated": False}
        lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        hi = lo + 1.0
    counts, edges = np.histogram(values, bins=HIST_BINS, range=(lo, hi))
    estimated = len(values) < total
    if estimated:  # scale the sample's counts to every row
        counts = np.round(counts * (total / len(values))).astype(np.int64)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts], "estimated": estimated}


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


# ---- reading ----------------------------------------------------------------------------------


def tabular_files(path: Path, fmt: str | None) -> tuple[list[Path], str | None]:
    from .formats import SKIPPED_DIRS, TABULAR, format_of

    if path.is_file():
        files = [path]
    else:
        files = []
        for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
            files += [Path(dirpath) / f for f in sorted(filenames)]
    fmt = fmt or (format_of(files) if files else None)
    return files, fmt if fmt in TABULAR else fmt


def _batch_rows(schema: pa.Schema) -> int:
    width = sum(8 if pa.types.is_primitive(f.type) else 32 for f in schema) or 8
    return int(min(1 << 20, max(8192, BATCH_BYTES // width)))


def batches(files: list[Path], fmt: str, text_columns: frozenset[str] = frozenset()) -> Iterator[pa.RecordBatch]:
    for path in files:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(path)
            try:
                size = _batch_rows(pf.schema_arrow)
                # one reader per row group, so memory holds one row group's batches at most
                for rg in range(pf.num_row_groups):
                    yield from pf.iter_batches(batch_size=size, row_groups=[rg], use_threads=True)
            finally:
                pf.close()
        elif fmt == "csv":
            from pyarrow import csv

            convert = csv.ConvertOptions(column_types={c: pa.string() for c in text_columns})
            yield from csv.open_csv(path, read_options=csv.ReadOptions(block_size=16 << 20), convert_options=convert)
        else:
            from pyarrow import json as pj

            yield from pj.open_json(path, read_options=pj.ReadOptions(block_size=16 << 20))


def _prefetch(source: Iterator[pa.RecordBatch], depth: int = 1) -> Iterator[pa.RecordBatch]:
    """Decode the next batch on a thread while this one is profiled (both release the GIL)."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=produce, name="profile-read", daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def profile_table(files: list[Path], fmt: str) -> dict[str, Any]:
    """Profile CSV/Parquet/JSON-lines files. A CSV column whose later values do not fit the type
    guessed from its first block is read again as text."""
    text_columns: set[str] = set()
    for _ in range(64):
        try:
            return _profile_once(files, fmt, frozenset(text_columns))
        except pa.ArrowInvalid as exc:
            column = _offending_csv_column(str(exc), files, fmt)
            if column is None or column in text_columns:
                raise
            text_columns.add(column)
    raise RuntimeError("too many CSV columns changed type")  # pragma: no cover


def _offending_csv_column(message: str, files: list[Path], fmt: str) -> str | None:
    import re

    if fmt != "csv":
        return None
    m = re.search(r"In CSV column #(\d+)", message)
    if not m:
        return None
    from pyarrow import csv

    for f in files:
        names = csv.open_csv(f, read_options=csv.ReadOptions(block_size=1 << 16)).schema.names
        if int(m.group(1)) < len(names):
            return names[int(m.group(1))]
    return None


def _profile_once(files: list[Path], fmt: str, text_columns: frozenset[str]) -> dict[str, Any]:
    columns: dict[str, Column] = {}
    rows = 0
    head: list[pa.RecordBatch] = []
    head_rows = 0
    sample = RowSample()
    for batch in _prefetch(batches(files, fmt, text_columns)):
        n = batch.num_rows
        if not n:
            continue
        for field, arr in zip(batch.schema, batch.columns):
            col = columns.get(field.name)
            if col is None:
                col = columns[field.name] = Column(field.name, field.type)
                col.missing(rows)  # earlier files had no such column
            col.add(arr)
        for name, col in columns.items():
            if batch.schema.get_field_index(name) < 0:
                col.missing(n)
        if head_rows < SAMPLE_ROWS:
            head.append(batch.slice(0, SAMPLE_ROWS - head_rows))
            head_rows += head[-1].num_rows
        numeric = [f.name for f in batch.schema if _kind(f.type) == "number"]
        if numeric:
            sample.add(pa.Table.from_batches([batch.select(numeric)]))
        rows += n
    sample_table = sample.table()
    return {
        "rows": rows,
        "columns": [c.result(rows, sample_table) for c in columns.values()],
        "sample": _head_rows(head),
        "quantile_sample_rows": sample_table.num_rows if sample_table is not None else 0,
    }


def _head_rows(head: list[pa.RecordBatch]) -> list[dict[str, Any]]:
    if not head:
        return []
    table = pa.Table.from_batches(head) if len({b.schema for b in head}) == 1 else pa.concat_tables(
        [pa.Table.from_batches([b]) for b in head], promote_options="permissive"
    )
    return [{k: _jsonable(v) for k, v in row.items()} for row in table.to_pylist()]


def profile_files(files: list[Path], fmt: str | None) -> dict[str, Any]:
    """Counts and sizes of any files; pixel sizes for images."""
    by_ext: Counter = Counter()
    size = 0
    for f in files:
        by_ext[f.suffix.lower() or "(none)"] += 1
        size += f.stat().st_size
    out: dict[str, Any] = {"by_extension": dict(by_ext.most_common())}
    if fmt == "images":
        widths, heights, modes = [], [], Counter()
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover - pillow comes with mlflow's matplotlib
            Image = None
        for f in files if Image is not None else []:
            try:
                with Image.open(f) as im:  # reads the header only
                    widths.append(im.width)
                    heights.append(im.height)
                    modes[im.mode] += 1
            except Exception:  # noqa: BLE001 - an unreadable image is counted, not fatal
                modes["unreadable"] += 1
        if widths:
            out["images"] = {
                "width": {"min": min(widths), "max": max(widths), "mean": sum(widths) / len(widths)},
                "height": {"min": min(heights), "max": max(heights), "mean": sum(heights) / len(heights)},
                "modes": dict(modes),
            }
    return out


def profile(path: Path, fmt: str | None = None) -> dict[str, Any]:
    files, fmt = tabular_files(path, fmt)
    out: dict[str, Any] = {
        "format": fmt,
        "files": len(files),
        "bytes": sum(f.stat().st_size for f in files),
    }
    out.update(profile_files(files, fmt))
    if fmt in ("csv", "parquet", "jsonl"):
        out.update(profile_table(files, fmt))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m jupyter_mlservice.core.data.profile", description="Profile a data file or folder.")
    p.add_argument("path")
    p.add_argument("--format", choices=["csv", "parquet", "jsonl", "images", "other"], default=None)
    p.add_argument("--out", default="-", help="file to write the profile JSON to (default: stdout)")
    args = p.parse_args(argv)
    path = Path(args.path)
    if not path.exists():
        print(f"profile: {path} does not exist", file=sys.stderr)
        return 2
    result = profile(path, args.format)
    text = json.dumps(result, default=str, allow_nan=False)
    if args.out == "-":
        print(text)
    else:
        tmp = Path(args.out + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, args.out)
        print(f"profile: {result.get('rows', result['files'])} {'rows' if 'rows' in result else 'files'} profiled -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
