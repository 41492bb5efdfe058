"""Baseline profiles and window counts: every feature folded into fixed bins, batch by batch.

A *profile* is computed once per baseline: for each numeric feature about a thousand bins at the
baseline's quantiles (its exact distinct values when it has that few), for each categorical
feature its categories, plus the baseline's counts in those bins, its null rate, range, mean and
standard deviation. A production *window* is then folded into the same bins one record batch at
a time, so memory does not grow with the window and nothing is ever held as a whole frame.

Bin edges come from a uniform sample of at most ``EDGE_SAMPLE`` baseline rows (bottom-k on
random keys, so one pass over any number of batches); the counts are exact.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NUMERIC, CATEGORICAL = "numeric", "categorical"
FINE_BINS = 1000
COARSE_BINS = 10  # PSI and Jensen-Shannon use deciles of the baseline (plus the two tails)
EDGE_SAMPLE = 100_000
MAX_CATEGORIES = 10_000
UNSEEN_EXAMPLES = 5
PROFILE_VERSION = 1


# ---- reading values of one column --------------------------------------------------------------


def kind_of(arrow_type: pa.DataType) -> str | None:
    """The kind a baseline column gets unless told otherwise; None: not a feature we can monitor."""
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return NUMERIC
    if pa.types.is_dictionary(arrow_type):
        return kind_of(arrow_type.value_type)
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_boolean(arrow_type):
        return CATEGORICAL
    return None


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _is_nested(t: pa.DataType) -> bool:
    return pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)


def _chunks(col: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(col.chunks) if isinstance(col, pa.ChunkedArray) else [col]


def numeric_rows(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, int, int]:
    """Every row of a column as float64, NaN where there is no usable number; with the count of
    nulls (NaN and infinities included) and of type mismatches among those NaN.

    Text that reads as a number counts as that number (collected JSON can mix the two); other
    text, booleans, lists and objects are type mismatches.
    """
    parts: list[np.ndarray] = []
    nulls = mismatches = 0
    for chunk in _chunks(col):
        t = chunk.type
        if pa.types.is_dictionary(t):
            chunk, t = chunk.dictionary_decode(), t.value_type
        if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
            if pa.types.is_float64(t) and chunk.null_count == 0:
                x = chunk.to_numpy(zero_copy_only=False)
            else:
                # nulls -> NaN; unchecked: a checked cast scans for integers past 2^53 (5-10x slower)
                # and would fail the whole profile over one, where the nearest float64 will do
                x = pc.cast(chunk, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
            bad = 0
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            x, bad = _parse_numbers(chunk)
        else:
            x, bad = np.full(len(chunk), np.nan), len(chunk) - chunk.null_count
        if not math.isfinite(float(np.sum(x))):  # one cheap pass; the masks only when needed
            odd = ~np.isfinite(x)
            if not x.flags.writeable:
                x = x.copy()
            x[odd] = np.nan
            nulls += int(np.count_nonzero(odd)) - bad
        mismatches += bad
        parts.append(x)
    if not parts:
        return np.empty(0), nulls, mismatches
    return (parts[0] if len(parts) == 1 else np.concatenate(parts)), nulls, mismatches


def numeric_values(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, int, int]:
    """(the usable values as float64, nulls, type mismatches) of one column; see numeric_rows."""
    x, nulls, mismatches = numeric_rows(col)
    if nulls or mismatches:
        x = x[~np.isnan(x)]
    return x, nulls, mismatches


def _first_seen(codes: np.ndarray, distinct: int) -> np.ndarray:
    """The ``distinct`` codes in order of first appearance (the order value_counts gives the
    text), from a prefix of the codes that holds them all, most often a short one."""
    k = 1024
    while True:
        found, first = np.unique(codes[:k], return_index=True)
        if len(found) >= distinct or k >= len(codes):
            return found[np.argsort(first)]
        k *= 8


def _parse_numbers(chunk: pa.Array) -> tuple[np.ndarray, int]:
    """Text to float64 (NaN for nulls); the count of non-null strings that are not numbers."""
    try:
        return pc.cast(chunk, pa.float64()).to_numpy(zero_copy_only=False), 0
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out = np.full(len(chunk), np.nan)
    bad = 0
    for i, v in enumerate(chunk.to_pylist()):
        if v is None:
            continue
        try:
            out[i] = float(v)
        except ValueError:
            bad += 1
            out[i] = np.nan
    return out, bad


def category_values(col: pa.Array | pa.ChunkedArray) -> tuple[list[Any], np.ndarray, int, int]:
    """(distinct values as text, their counts, nulls, type mismatches) of one column."""
    values: dict[str, int] = {}
    nulls = mismatches = 0
    for chunk in _chunks(col):
        t = chunk.type
        if pa.types.is_dictionary(t) and _is_text(t.value_type) and chunk.dictionary.null_count == 0:
            # count the codes, not the strings
            nulls += chunk.null_count
            codes = (chunk.indices.drop_null() if chunk.null_count else chunk.indices).to_numpy()
            tally = np.bincount(codes, minlength=len(chunk.dictionary))
            present = _first_seen(codes, int(np.count_nonzero(tally)))
            words = chunk.dictionary
            if len(words) <= 256:  # a few categories: listing them all costs less than arrow's take
                every = words.to_pylist()
                text = [every[i] for i in present.tolist()]
            else:
                text = words.take(pa.array(present)).to_pylist()
            for v, n in zip(text, tally[present].tolist()):
                values[v] = values.get(v, 0) + n
            continue
        if pa.types.is_dictionary(t):
            chunk, t = chunk.dictionary_decode(), t.value_type
        nulls += chunk.null_count
        if _is_nested(t):
            mismatches += len(chunk) - chunk.null_count
            continue
        if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            chunk = pc.cast(chunk, pa.string())
        counts = pc.value_counts(chunk.drop_null())
        for v, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()):
            values[v] = values.get(v, 0) + n
    return list(values), np.fromiter(values.values(), dtype=np.int64, count=len(values)), nulls, mismatches


# ---- bins ---------------------------------------------------------------------------------------


class NumericBins:
    """Edges of one numeric feature and a fast way to bin values on them.

    ``bin(x)`` equals ``np.searchsorted(edges, x, side="right")``: 0 below the baseline's
    minimum, ``len(edges)`` from its maximum up (the last edge sits just above the maximum).
    A uniform grid of cells over the range maps each value and each edge to a cell with the
    same floating-point formula, which is monotonic: every edge of an earlier cell is <= the
    value and every edge of a later cell is > it, so when a cell holds at most one edge, one
    comparison finishes the job. Values in the rare cells holding several edges fall back to a
    binary search. When such cells hold much of the data (a heavy tail squeezes most values
    into a few cells), ``count`` sorts each batch instead and cuts it at the edges.
    """

    def __init__(self, edges: np.ndarray, discrete: bool, coarse: np.ndarray, by_sorting: bool = False):
        self.edges = e = np.asarray(edges, dtype=np.float64)
        self.discrete = discrete
        self.coarse = np.asarray(coarse, dtype=np.int64)  # start indices of coarse bins over the counts
        self.by_sorting = by_sorting
        self.lo, self.hi = float(e[0]), float(e[-1])
        self.cells = int(min(max(8 * len(e), 1024), 1 << 17))
        span = self.hi - self.lo
        self.scale = self.cells / span if span > 0 and math.isfinite(self.cells / span) else 0.0
        self.upper = np.append(e, np.inf)
        if self.scale:
            edge_cells = self._cells(e)
            per_cell = np.bincount(edge_cells, minlength=self.cells + 1)
            # first[c]: how many edges lie in cells before c, i.e. are <= any value of cell c
            self.first = np.concatenate([[0], np.cumsum(per_cell)[:-1]]).astype(np.int64)
            self.crowded = per_cell > 1
            self.any_crowded = bool(self.crowded.any())

    def _cells(self, x: np.ndarray) -> np.ndarray:
        cell = np.multiply(x, self.scale)
        cell -= self.lo * self.scale
        np.clip(cell, 0, self.cells, out=cell)
        return cell.astype(np.int64)

    @property
    def size(self) -> int:
        return len(self.edges) + 1

    def crowded_share(self, sample: np.ndarray) -> float:
        """The share of ``sample`` that would take the slow path."""
        if not self.scale or not self.any_crowded or not len(sample):
            return 0.0
        return float(self.crowded.take(self._cells(sample)).mean())

    def count(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(count, sum of values) per bin."""
        if self.by_sorting:
            xs = np.sort(x)
            cut = np.concatenate([[0], np.searchsorted(xs, self.edges, side="left"), [len(xs)]])
            total = np.concatenate([[0.0], np.cumsum(xs)])
            return np.diff(cut).astype(np.int64), np.diff(total[cut])
        b = self.bin(x)
        return np.bincount(b, minlength=self.size).astype(np.int64), np.bincount(b, weights=x, minlength=self.size)

    def bin(self, x: np.ndarray) -> np.ndarray:
        if not self.scale:
            return np.searchsorted(self.edges, x, side="right")
        cell = self._cells(x)
        k = self.first.take(cell)
        k += self.upper.take(k) <= x
        if self.any_crowded:
            crowded = self.crowded.take(cell)
            if crowded.any():
                k[crowded] = np.searchsorted(self.edges, x[crowded], side="right")
        return k

    def to_dict(self) -> dict[str, Any]:
        return {"edges": self.edges.tolist(), "discrete": self.discrete, "coarse": self.coarse.tolist(), "by_sorting": self.by_sorting}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NumericBins:
        return cls(np.array(d["edges"], dtype=np.float64), bool(d["discrete"]), np.array(d["coarse"], dtype=np.int64),
                   bool(d.get("by_sorting")))  # fmt: skip


class CategoryBins:
    """The baseline's categories (the most frequent ``MAX_CATEGORIES``); one more bin counts
    the rest: unseen categories in a window, the long tail in the baseline."""

    def __init__(self, categories: list[str], complete: bool):
        self.categories = list(categories)
        self.complete = complete  # every baseline category is listed (unseen ones are knowable)
        self.index = {c: i for i, c in enumerate(self.categories)}

    @property
    def size(self) -> int:
        return len(self.categories) + 1

    def to_dict(self) -> dict[str, Any]:
        return {"categories": self.categories, "complete": self.complete}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CategoryBins:
        return cls(d["categories"], bool(d["complete"]))


@dataclass
class Counts:
    """What a baseline or a window holds for one feature, in that feature's bins. Adding two
    Counts of the same bins gives the Counts of both (windows fold incrementally)."""

    size: int
    numeric: bool = False
    rows: int = 0
    nulls: int = 0
    mismatches: int = 0
    counts: np.ndarray = field(default=None)  # type: ignore[assignment]
    sums: np.ndarray | None = None  # numeric features: the sum of the values in each bin
    unseen: dict[str, int] = field(default_factory=dict)  # categories not in the baseline

    def __post_init__(self) -> None:
        if self.counts is None:
            self.counts = np.zeros(self.size, dtype=np.int64)
        if self.sums is None and self.numeric:
            self.sums = np.zeros(self.size)

    @property
    def valid(self) -> int:
        return int(self.counts.sum())

    def add(self, other: Counts) -> None:
        self.rows += other.rows
        self.nulls += other.nulls
        self.mismatches += other.mismatches
        self.counts += other.counts
        if self.sums is not None and other.sums is not None:
            self.sums += other.sums
        for k, v in other.unseen.items():
            self.unseen[k] = self.unseen.get(k, 0) + v

    def to_dict(self) -> dict[str, Any]:
        top = sorted(self.unseen.items(), key=lambda kv: -kv[1])[:UNSEEN_EXAMPLES]
        return {
            "rows": self.rows, "nulls": self.nulls, "mismatches": self.mismatches, "counts": self.counts.tolist(),
            "sums": None if self.sums is None else self.sums.tolist(), "unseen": dict(top),
            "unseen_total": int(sum(self.unseen.values())),
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Counts:
        counts = np.array(d["counts"], dtype=np.int64)
        sums = None if d.get("sums") is None else np.array(d["sums"], dtype=np.float64)
        return cls(len(counts), sums is not None, d["rows"], d["nulls"], d["mismatches"], counts, sums, dict(d.get("unseen") or {}))


def fold_numeric(bins: NumericBins, col: pa.Array | pa.ChunkedArray | None, rows: int) -> Counts:
    out = Counts(bins.size, numeric=True, rows=rows)
    if col is None:  # the column is missing from this batch: every value is null
        out.nulls = rows
        return out
    x, out.nulls, out.mismatches = numeric_values(col)
    if len(x):
        out.counts, out.sums = bins.count(x)
    return out


def fold_categories(bins: CategoryBins, col: pa.Array | pa.ChunkedArray | None, rows: int) -> Counts:
    out = Counts(bins.size, rows=rows)
    if col is None:
        out.nulls = rows
        return out
    values, counts, out.nulls, out.mismatches = category_values(col)
    index = bins.index
    other = len(bins.categories)
    for v, n in zip(values, counts.tolist()):
        i = index.get(v)
        if i is None:
            out.counts[other] += n
            out.unseen[v] = out.unseen.get(v, 0) + n
        else:
            out.counts[i] += n
    return out


# ---- profiles -----------------------------------------------------------------------------------


@dataclass
class FeatureProfile:
    name: str
    kind: str
    dtype: str
    bins: NumericBins | CategoryBins
    counts: Counts
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    singletons: int = 0  # categories seen once in the baseline (Good-Turing: the chance of a new one)
    doubletons: int = 0  # ... and twice (the variance of that estimate)

    def fold(self, col: pa.Array | pa.ChunkedArray | None, rows: int) -> Counts:
        if self.kind == NUMERIC:
            return fold_numeric(self.bins, col, rows)  # type: ignore[arg-type]
        return fold_categories(self.bins, col, rows)  # type: ignore[arg-type]

    def empty(self) -> Counts:
        return Counts(self.bins.size, numeric=self.kind == NUMERIC)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "dtype": self.dtype, "bins": self.bins.to_dict(),
            "counts": self.counts.to_dict(), "mean": self.mean, "std": self.std, "min": self.min, "max": self.max,
            "singletons": self.singletons, "doubletons": self.doubletons,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureProfile:
        bins = NumericBins.from_dict(d["bins"]) if d["kind"] == NUMERIC else CategoryBins.from_dict(d["bins"])
        return cls(d["name"], d["kind"], d["dtype"], bins, Counts.from_dict(d["counts"]), d.get("mean"), d.get("std"),
                   d.get("min"), d.get("max"), d.get("singletons", 0), d.get("doubletons", 0))  # fmt: skip


@dataclass
class Profile:
    """The baseline's profile: one FeatureProfile per monitored column."""

    rows: int
    features: dict[str, FeatureProfile]
    extra: dict[str, Any] = field(default_factory=dict)  # what later steps cache (importance...)
    sample: pa.Table | None = None  # a uniform sample of whole rows, when asked for (not stored)

    def to_dict(self) -> dict[str, Any]:
        return {"version": PROFILE_VERSION, "rows": self.rows, "features": [f.to_dict() for f in self.features.values()], "extra": self.extra}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Profile:
        if d.get("version") != PROFILE_VERSION:
            raise ValueError(f"profile version {d.get('version')} is not {PROFILE_VERSION}")
        feats = [FeatureProfile.from_dict(f) for f in d["features"]]
        return cls(d["rows"], {f.name: f for f in feats}, dict(d.get("extra") or {}))

    def subset(self, names: list[str]) -> Profile:
        """The same profile restricted to some features (inputs, or outputs)."""
        missing = [n for n in names if n not in self.features]
        if missing:
            raise ValueError(f"the baseline has no column {', '.join(map(repr, missing))}")
        return Profile(self.rows, {n: self.features[n] for n in names}, self.extra, self.sample)

    def window(self, batches: Iterable[pa.RecordBatch | pa.Table], threads: int | None = None) -> dict[str, Counts]:
        """Fold a window into this profile's bins, batch by batch."""
        out = {name: f.empty() for name, f in self.features.items()}
        with _pool(threads) as pool:
            for batch in pool.ahead(batches):
                rows = batch.num_rows
                if rows == 0:
                    continue
                names = set(batch.schema.names)

                def one(name: str, _batch=batch, _rows=rows, _names=names) -> Counts:
                    return self.features[name].fold(_batch.column(name) if name in _names else None, _rows)

                for name, counts in zip(out, pool.map(one, list(out))):
                    out[name].add(counts)
        return out


class _pool:
    """A thread pool over features (numpy releases the GIL in the heavy loops), or none."""

    def __init__(self, threads: int | None):
        self.threads = threads if threads is not None else min(8, os.cpu_count() or 1)
        self.executor: ThreadPoolExecutor | None = None

    def __enter__(self):
        if self.threads > 1:
            self.executor = ThreadPoolExecutor(self.threads, thread_name_prefix="mlservice-profile")
        return self

    def map(self, fn: Callable, items: list) -> Iterator:
        return self.executor.map(fn, items) if self.executor is not None else map(fn, items)

    def ahead(self, batches: Iterable) -> Iterator:
        """The batches, with the next one read while this one is counted: decoding Parquet and
        counting then share the cores instead of taking turns (one batch more held)."""
        return _read_ahead(batches) if self.executor is not None else iter(batches)

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            self.executor.shutdown()


def _read_ahead(batches: Iterable, depth: int = 1) -> Iterator:
    """``batches`` pulled on a thread of its own, at most ``depth`` of them waiting."""
    done = object()
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: tuple) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(batches)
        try:
            for batch in source:
                if not offer((batch, None)):
                    return
            offer((done, None))
        except BaseException as exc:  # handed to the consumer, raised there
            offer((done, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="mlservice-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            batch, exc = waiting.get()
            if batch is done:
                if exc is not None:
                    raise exc
                return
            yield batch
    finally:
        stop.set()
        thread.join()


class _BottomK:
    """A uniform sample of at most ``k`` items from a stream: the items with the k smallest
    random keys. Once k are held, a new item is kept only if its key beats the largest held
    one, so as the stream grows almost every batch is discarded with one comparison per row."""

    def __init__(self, k: int):
        self.k = k
        self.bar = math.inf
        self.keys: list[np.ndarray] = []
        self.held = 0

    def offer(self, keys: np.ndarray) -> np.ndarray | None:
        """Indices of ``keys`` to keep (call ``kept()`` with them), or None when none is."""
        if self.bar < math.inf:
            picked = np.flatnonzero(keys < self.bar)
        elif len(keys) > self.k:  # only this batch's k smallest can be among the k smallest of all
            picked = np.sort(np.argpartition(keys, self.k - 1)[: self.k])
        else:
            picked = np.arange(len(keys))
        if not len(picked):
            return None
        self.keys.append(keys[picked])
        self.held += len(picked)
        return picked

    def compact(self) -> np.ndarray | None:
        """When more than 2k are held: indices (into everything held, in order) of the k to keep."""
        if self.held <= 2 * self.k:
            return None
        allk = np.concatenate(self.keys)
        keep = np.sort(np.argpartition(allk, self.k - 1)[: self.k])
        self.keys = [allk[keep]]
        self.held = self.k
        self.bar = float(self.keys[0].max())
        return keep

    def final(self) -> np.ndarray | None:
        """Indices of the k to keep at the end (None: keep all)."""
        if self.held <= self.k:
            return None
        self.held = 2 * self.k + 1
        return self.compact()


class _Sample:
    """Pass 1 over one numeric column: the values of the sampled rows (for the edges)."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []

    def add(self, col: pa.Array | pa.ChunkedArray | None, rows: int, picked: np.ndarray | None) -> None:
        if picked is None:
            return
        if col is None:
            self.parts.append(np.full(len(picked), np.nan))
            return
        self.parts.append(numeric_rows(col)[0][picked])

    def keep(self, indices: np.ndarray | None) -> None:
        if indices is not None and self.parts:
            self.parts = [np.concatenate(self.parts)[indices]]

    def values(self) -> np.ndarray:
        x = np.concatenate(self.parts) if self.parts else np.empty(0)
        return np.sort(x[~np.isnan(x)])


class _NumericTotals:
    """Pass 2 over one numeric column: exact count, nulls, range, sum, sum of squares, and the
    count and sum of values in each bin."""

    def __init__(self, bins: NumericBins) -> None:
        self.bins = bins
        self.n = self.nulls = self.mismatches = 0
        self.min, self.max = math.inf, -math.inf
        self.sum = self.sumsq = 0.0
        self.counts = np.zeros(bins.size, dtype=np.int64)
        self.sums = np.zeros(bins.size)

    def add(self, col: pa.Array | pa.ChunkedArray | None, rows: int) -> None:
        if col is None:
            self.nulls += rows
            return
        x, nulls, bad = numeric_values(col)
        self.nulls += nulls
        self.mismatches += bad
        if not len(x):
            return
        self.n += len(x)
        self.min = min(self.min, float(x.min()))
        self.max = max(self.max, float(x.max()))
        self.sum += float(x.sum())
        # not np.dot/np.vdot: on buffers that arrow owns, BLAS takes over a thousand times longer
        self.sumsq += float(np.square(x).sum())
        counts, sums = self.bins.count(x)
        self.counts += counts
        self.sums += sums


class _CategoryPass:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.nulls = 0
        self.mismatches = 0

    def add(self, col: pa.Array | pa.ChunkedArray | None, rows: int) -> None:
        if col is None:
            self.nulls += rows
            return
        values, counts, nulls, bad = category_values(col)
        self.nulls += nulls
        self.mismatches += bad
        table = self.counts
        for v, c in zip(values, counts.tolist()):
            table[v] = table.get(v, 0) + c


def build_profile(
    open_batches: Callable[[], Iterable[pa.RecordBatch | pa.Table]],
    kinds: dict[str, str] | None = None,
    columns: list[str] | None = None,
    seed: int = 0,
    threads: int | None = None,
    sample_rows: int = 0,
    open_sample: Callable[[], Iterable[pa.RecordBatch | pa.Table]] | None = None,
) -> Profile:
    """Profile a baseline in two passes: one over a sample for the bin edges, one over all the
    data to count. ``open_batches()`` gives all the batches; ``open_sample()``, when given, a
    part of them spread over the data (whole Parquet row groups, say) to take the edge sample
    from; otherwise the edges' pass reads everything too.

    Edges come from the sample's quantiles; the counting pass then finds the exact range and
    the bins are widened to it, their counts carried over exactly (values beyond the sample's
    range were counted in the tail bins, which become the widened end bins).

    ``kinds`` overrides the kind per column (``{"zip": "categorical"}``); ``columns`` picks the
    columns (default: every numeric, text or boolean column). ``sample_rows`` keeps a uniform
    sample of that many whole rows in ``Profile.sample`` (for feature importance).
    """
    kinds = dict(kinds or {})
    rng = np.random.default_rng(seed)
    chosen: dict[str, tuple[str, str]] | None = None  # name -> (kind, dtype)
    samples: dict[str, _Sample] = {}
    edge_sample = _BottomK(EDGE_SAMPLE)
    row_sample = _BottomK(sample_rows) if sample_rows else None
    sampled_rows: list[pa.Table] = []

    # pass 1: the sample (numeric values for the edges, whole rows for importance)
    source = (open_sample or open_batches)()
    stored = getattr(source, "schema", None)  # the types as stored, where the reader changed them
    with _pool(threads) as pool:
        for batch in pool.ahead(source):
            n = batch.num_rows
            if chosen is None:
                chosen = _choose(batch.schema, kinds, columns, stored)
                samples = {c: _Sample() for c, (k, _) in chosen.items() if k == NUMERIC}
            if n == 0:
                continue
            names = set(batch.schema.names)
            keys = rng.random(n)
            picked = edge_sample.offer(keys)
            if row_sample is not None:
                taken = row_sample.offer(keys)
                if taken is not None:
                    sampled_rows.append(_as_stored(_as_table(batch).take(pa.array(taken)), stored))
                    keep = row_sample.compact()
                    if keep is not None:
                        sampled_rows = [pa.concat_tables(sampled_rows, promote_options="permissive").take(pa.array(keep))]
            if picked is None or not samples:
                continue

            def one(name: str, _batch=batch, _names=names, _picked=picked, _n=n) -> None:
                samples[name].add(_batch.column(name) if name in _names else None, _n, _picked)

            list(pool.map(one, list(samples)))
            keep = edge_sample.compact()
            if keep is not None:
                for acc in samples.values():
                    acc.keep(keep)
    if chosen is None:
        raise ValueError("the baseline has no rows")
    keep = edge_sample.final()
    for acc in samples.values():
        acc.keep(keep)
    sampled = {name: acc.values() for name, acc in samples.items()}
    numeric = {name: _NumericTotals(_numeric_bins(values)) for name, values in sampled.items()}
    cats = {c: _CategoryPass() for c, (k, _) in chosen.items() if k == CATEGORICAL}

    # pass 2: everything, counted
    rows = 0
    with _pool(threads) as pool:
        for batch in pool.ahead(open_batches()):
            n = batch.num_rows
            if n == 0:
                continue
            rows += n
            names = set(batch.schema.names)

            def count(name: str, _batch=batch, _names=names, _n=n) -> None:
                col = _batch.column(name) if name in _names else None
                (numeric.get(name) or cats[name]).add(col, _n)

            list(pool.map(count, list(chosen)))

    features: dict[str, FeatureProfile] = {}
    for name, acc in numeric.items():
        bins, counts, sums = _widened(acc, sampled[name])
        mean = acc.sum / acc.n if acc.n else None
        var = max(acc.sumsq / acc.n - mean * mean, 0.0) if acc.n else None
        features[name] = FeatureProfile(
            name, NUMERIC, chosen[name][1], bins,
            Counts(bins.size, numeric=True, rows=rows, nulls=acc.nulls, mismatches=acc.mismatches, counts=counts, sums=sums),
            mean=mean, std=math.sqrt(var) if var is not None else None,
            min=acc.min if acc.n else None, max=acc.max if acc.n else None,
        )  # fmt: skip
    for name, acc in cats.items():
        ordered = sorted(acc.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = ordered[:MAX_CATEGORIES]
        bins = CategoryBins([k for k, _ in kept], complete=len(ordered) <= MAX_CATEGORIES)
        counts = Counts(bins.size, rows=rows, nulls=acc.nulls, mismatches=acc.mismatches)
        counts.counts = np.array([c for _, c in kept] + [sum(c for _, c in ordered[MAX_CATEGORIES:])], dtype=np.int64)
        features[name] = FeatureProfile(name, CATEGORICAL, chosen[name][1], bins, counts,
                                        singletons=sum(1 for _, c in ordered if c == 1),
                                        doubletons=sum(1 for _, c in ordered if c == 2))  # fmt: skip
    features = {name: features[name] for name in chosen}  # the baseline's column order
    sample_table = None
    if row_sample is not None and sampled_rows:
        sample_table = pa.concat_tables(sampled_rows, promote_options="permissive")
        final = row_sample.final()
        if final is not None:
            sample_table = sample_table.take(pa.array(final))
    return Profile(rows, features, sample=sample_table)


def _widened(acc: _NumericTotals, sample: np.ndarray) -> tuple[NumericBins, np.ndarray, np.ndarray]:
    """The final bins: the sample's, widened to the exact range the counting pass found."""
    bins, counts, sums = acc.bins, acc.counts, acc.sums
    if acc.n == 0:
        return bins, counts, sums
    edges, discrete = bins.edges, bins.discrete
    if acc.min < edges[0]:  # the below-tail bin becomes [min, first edge)
        edges, discrete = np.concatenate([[acc.min], edges]), False
        counts, sums = np.concatenate([[0], counts]), np.concatenate([[0.0], sums])
    top = np.nextafter(acc.max, math.inf)
    if top > edges[-1]:  # the above-tail bin becomes [last edge, max]
        edges, discrete = np.concatenate([edges, [top]]), False
        counts, sums = np.concatenate([counts, [0]]), np.concatenate([sums, [0.0]])
    final = NumericBins(edges, discrete, _coarse_starts(counts))
    final.by_sorting = final.crowded_share(sample) > 0.05
    return final, counts, sums


def _as_table(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    return batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])


def _as_stored(table: pa.Table, stored: pa.Schema | None) -> pa.Table:
    """Sampled rows with the column types the file stores (text read as dictionaries, decoded)."""
    if stored is None:
        return table
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type) and f.name in stored.names and stored.field(f.name).type == f.type.value_type:
            table = table.set_column(i, f.name, table.column(i).cast(f.type.value_type))
    return table


def _choose(schema: pa.Schema, kinds: dict[str, str], columns: list[str] | None,
            stored: pa.Schema | None = None) -> dict[str, tuple[str, str]]:  # fmt: skip
    unknown = sorted(set(kinds) - set(schema.names)) + sorted(set(columns or []) - set(schema.names))
    if unknown:
        raise ValueError(f"the baseline has no column {', '.join(map(repr, unknown))}; it has {', '.join(schema.names)}")
    bad = {k: v for k, v in kinds.items() if v not in (NUMERIC, CATEGORICAL)}
    if bad:
        raise ValueError(f"a feature's type is numeric or categorical; got {bad}")
    out: dict[str, tuple[str, str]] = {}
    for f in schema:
        if columns is not None and f.name not in columns:
            continue
        t = f.type
        if pa.types.is_dictionary(t) and stored is not None and f.name in stored.names and stored.field(f.name).type == t.value_type:
            t = t.value_type  # text the reader took as a dictionary: record the type stored
        kind = kinds.get(f.name) or kind_of(t)
        if kind is None:
            if columns is not None:
                raise ValueError(f"column {f.name!r} has type {t}, which cannot be monitored; drop it from the features")
            continue
        out[f.name] = (kind, str(t))
    return out


def _numeric_bins(sample: np.ndarray) -> NumericBins:
    """Provisional bins from a sorted sample: its distinct values when it has few, else its
    quantiles; the last edge sits just above the sample's maximum."""
    if not len(sample):
        return NumericBins(np.array([0.0, 1.0]), True, np.array([0, 1, 2]))
    lo, hi = float(sample[0]), float(sample[-1])
    top = np.nextafter(hi, math.inf)
    distinct = sample[np.concatenate([[True], sample[1:] != sample[:-1]])]  # sorted: no np.unique (it hashes, slowly)
    if len(distinct) <= FINE_BINS:
        # few values: each is the left edge of its own bin (exact, and step-wise for Wasserstein)
        return NumericBins(np.append(distinct, top), True, np.arange(len(distinct) + 2))
    inner = np.quantile(sample, np.linspace(0, 1, FINE_BINS + 1)[1:-1])
    edges = np.unique(np.concatenate([[lo], inner[(inner > lo) & (inner < top)], [top]]))
    bins = NumericBins(edges, False, np.arange(len(edges) + 1))
    bins.by_sorting = bins.crowded_share(sample) > 0.05
    return bins


def _coarse_starts(counts: np.ndarray) -> np.ndarray:
    """Start indices (for np.add.reduceat) of about COARSE_BINS equal-mass groups of the fine bins,
    keeping the two tail bins on their own."""
    inner = counts[1:-1]
    if len(inner) <= COARSE_BINS:
        return np.arange(len(counts))
    cum = np.cumsum(inner) / max(inner.sum(), 1)
    cuts = np.searchsorted(cum, np.arange(1, COARSE_BINS) / COARSE_BINS, side="left") + 1
    starts = np.unique(np.concatenate([[0, 1], cuts + 1, [len(counts) - 1]]))
    return starts[starts < len(counts)]
