"""A tracking store that batches a job's metric, param and tag writes.

MLflow resolves the ``mlservice-batch`` scheme to :class:`BatchingTrackingStore` through the
``mlflow.tracking_store`` entry point. The store wraps the real store named inside the URI:

- ``log_metric`` / ``log_param`` / ``set_tag`` / ``log_batch`` (and their ``*_async`` forms) are
  validated on the spot, as MLflow would, then queued in memory and return at once;
- a daemon thread writes the queue with ``log_batch`` (within MLflow's per-batch limits) every
  ``FLUSH_INTERVAL_S``, or sooner when much is queued;
- every other call (reads, ``update_run_info``/``set_terminated``, artifacts, models...) goes to
  the real store after the queue has been written, so a reader sees what was logged before it and
  a run never ends before its values are stored;
- the queue is written at interpreter exit before MLflow's own ``end_run`` hook runs;
- a write that meets "database is locked" (SQLite) or a dropped connection is retried with
  backoff instead of surfacing.

MLflow imports this module while it registers entry points, in every process that imports
mlflow, so module level imports stay in the standard library.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import time
import weakref
from concurrent.futures import Future
from typing import Any

from . import artifact_root_of, inner_uri, is_batching_uri

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.5
# Wake the writer early once this many values wait; bigger batches cost less per value.
FLUSH_AT_ITEMS = 5_000
# Above this the logging call writes the queue itself, so memory stays bounded when the
# database cannot keep up.
MAX_PENDING_ITEMS = 200_000
# How long a transient failure (locked database, lost connection) is retried before giving up.
RETRY_DEADLINE_S = 300.0
# MLflow's REST API rejects log_batch requests over 1 MB; stay well below.
MAX_BATCH_BYTES = 500_000

_LOCK_MESSAGES = ("database is locked", "database table is locked", "database is busy")

_stores: weakref.WeakSet[BatchingTrackingStore] = weakref.WeakSet()
_retrying = threading.local()


class _RunQueue:
    """Values waiting for one run. Tags and params keep only their latest value per key."""

    __slots__ = ("metrics", "params", "tags", "futures")

    def __init__(self) -> None:
        self.metrics: list[Any] = []
        self.params: dict[str, Any] = {}
        self.tags: dict[str, Any] = {}
        self.futures: list[Future] = []


class BatchingTrackingStore:
    """MLflow tracking store for ``mlservice-batch://?uri=<inner uri>`` (see module docstring)."""

    def __init__(self, store_uri: str | None = None, artifact_uri: str | None = None):
        from mlflow.entities import LifecycleStage
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
        from mlflow.tracking._tracking_service import utils
        from mlflow.utils import validation

        if store_uri is None:
            store_uri = utils.get_tracking_uri()
        self.store_uri = store_uri
        self.inner_uri = inner_uri(store_uri)
        if is_batching_uri(self.inner_uri):
            raise ValueError(f"a batching URI cannot wrap another one: {store_uri!r}")
        artifact_root = artifact_root_of(store_uri) or artifact_uri
        # Build the inner store directly: MLflow is holding its (non-reentrant) store-building
        # lock while it calls us, so going through utils._get_store here would deadlock.
        builder = utils._tracking_store_registry.get_store_builder(self.inner_uri)
        if self.inner_uri.startswith("sqlite:"):
            from .store_setup import ensure_wal, tune_sqlite_engine

            ensure_wal(self.inner_uri)
        self._inner = builder(store_uri=self.inner_uri, artifact_uri=artifact_root)
        engine = getattr(self._inner, "engine", None)
        if self.inner_uri.startswith("sqlite:") and engine is not None:
            tune_sqlite_engine(engine)

        self._MlflowException = MlflowException
        self._INVALID = INVALID_PARAMETER_VALUE
        self._ACTIVE = LifecycleStage.ACTIVE
        self._v = validation

        self._lock = threading.Lock()  # guards the queue
        self._write_lock = threading.Lock()  # one writer at a time, in queue order
        self._wake = threading.Event()
        self._pending: dict[str, _RunQueue] = {}
        self._count = 0
        self._good_metric_names: set[str] = set()
        self._runs: dict[str, dict[str, str]] = {}  # run id -> params known to be logged
        self._thread: threading.Thread | None = None
        self._closed = False
        self.errors: list[str] = []  # values that could not be stored, for the job's log

        _stores.add(self)
        atexit.register(_flush_at_exit, weakref.ref(self))
        _install_once()

    # -- queued writes ---------------------------------------------------------------------------

    def log_metric(self, run_id: str, metric: Any) -> None:
        self._validate_metric(metric)
        self._enqueue(run_id, metrics=(metric,))

    def _validate_metric(self, metric: Any) -> None:
        # The common case (a known name, a float, int step and time) skips MLflow's full check,
        # which is most of the cost of a queued log_metric.
        if (
            metric.key in self._good_metric_names
            and type(metric.value) in (float, int)
            and type(metric.timestamp) is int
            and type(metric.step) is int
            and metric.timestamp >= 0
        ):
            return
        self._v._validate_metric(metric.key, metric.value, metric.timestamp, metric.step)
        self._good_metric_names.add(metric.key)

    def log_param(self, run_id: str, param: Any) -> None:
        param = self._v._validate_param(param.key, param.value)
        self._enqueue(run_id, params=(param,))

    def set_tag(self, run_id: str, tag: Any) -> None:
        tag = self._v._validate_tag(tag.key, tag.value)
        self._enqueue(run_id, tags=(tag,))

    def log_batch(self, run_id: str, metrics: Any, params: Any, tags: Any) -> None:
        metrics, params, tags = self._validate_batch(metrics, params, tags)
        self._enqueue(run_id, metrics, params, tags)

    def log_metric_async(self, run_id: str, metric: Any):
        self._validate_metric(metric)
        return self._enqueue_async(run_id, metrics=(metric,))

    def log_param_async(self, run_id: str, param: Any):
        param = self._v._validate_param(param.key, param.value)
        return self._enqueue_async(run_id, params=(param,))

    def set_tag_async(self, run_id: str, tag: Any):
        tag = self._v._validate_tag(tag.key, tag.value)
        return self._enqueue_async(run_id, tags=(tag,))

    def log_batch_async(self, run_id: str, metrics: Any, params: Any, tags: Any):
        metrics, params, tags = self._validate_batch(metrics, params, tags)
        return self._enqueue_async(run_id, metrics, params, tags)

    def flush_async_logging(self) -> None:
        self.flush()

    def end_async_logging(self) -> None:
        self.flush()

    def shut_down_async_logging(self) -> None:
        self.flush()

    def _validate_batch(self, metrics: Any, params: Any, tags: Any):
        metrics = list(metrics or ())
        for m in metrics:
            self._validate_metric(m)
        params = [
            self._v._validate_param(p.key, p.value, path=f"params[{i}]")
            for i, p in enumerate(params or ())
        ]
        tags = [
            self._v._validate_tag(t.key, t.value, path=f"tags[{i}]")
            for i, t in enumerate(tags or ())
        ]
        self._v._validate_param_keys_unique(params)
        return metrics, params, tags

    def _enqueue_async(self, run_id: str, metrics=(), params=(), tags=()):
        from mlflow.utils.async_logging.run_operations import RunOperations

        future: Future = Future()
        self._enqueue(run_id, metrics, params, tags, future)
        return RunOperations([future])

    def _enqueue(self, run_id: str, metrics=(), params=(), tags=(), future=None) -> None:
        known = self._runs.get(run_id)
        if known is None:
            known = self._check_run(run_id)
        for p in params:
            old = known.get(p.key)
            if old is not None and old != p.value:
                raise self._MlflowException(
                    f"Changing param values is not allowed. Param with key='{p.key}' was already"
                    f" logged with value='{old}' for run ID='{run_id}'. Attempted logging new"
                    f" value '{p.value}'.",
                    self._INVALID,
                )
        for p in params:
            known[p.key] = p.value
        with self._lock:
            q = self._pending.get(run_id)
            if q is None:
                q = self._pending[run_id] = _RunQueue()
            if metrics:
                q.metrics.extend(metrics)
            for p in params:
                q.params[p.key] = p
            for t in tags:
                q.tags.pop(t.key, None)  # keep set order: a later value goes last
                q.tags[t.key] = t
            if future is not None:
                q.futures.append(future)
            self._count += len(metrics) + len(params) + len(tags)
            count = self._count
            if self._thread is None and not self._closed:
                self._start_writer()
        if self._closed or count >= MAX_PENDING_ITEMS:
            self.flush()
        elif count >= FLUSH_AT_ITEMS:
            self._wake.set()

    def _check_run(self, run_id: str) -> dict[str, str]:
        """First write to a run: fail now, as MLflow would, if it is missing or not active."""
        self._v._validate_run_id(run_id)
        run = self._retrying(self._inner.get_run, run_id)
        if run.info.lifecycle_stage != self._ACTIVE:
            raise self._MlflowException(
                f"The run {run_id} must be in the 'active' state. "
                f"Current state is {run.info.lifecycle_stage}.",
                self._INVALID,
            )
        known = dict(run.data.params)
        self._runs[run_id] = known
        return known

    # -- writing ---------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything queued so far; returns once it is stored (or reported as lost)."""
        with self._write_lock:
            with self._lock:
                if not self._count and not self._pending:
                    return
                pending, self._pending, self._count = self._pending, {}, 0
            for run_id, q in pending.items():
                self._write_run(run_id, q)

    def _write_run(self, run_id: str, q: _RunQueue) -> None:
        failure: BaseException | None = None
        for metrics, params, tags in _batches(q):
            try:
                self._retrying(self._inner.log_batch, run_id, metrics, params, tags)
            except Exception as exc:  # noqa: BLE001 - reported below, the job keeps running
                failure = failure or exc
                self._write_alone(run_id, metrics, params, tags, exc)
        for f in q.futures:
            if failure is None:
                f.set_result(None)
            else:
                f.set_exception(failure)

    def _write_alone(self, run_id: str, metrics, params, tags, exc: BaseException) -> None:
        """A batch was refused: store what can be stored, one kind at a time, and report the rest.

        Validation already ran when the values were logged, so a refusal here means the run
        changed meanwhile (deleted, a param written by someone else) or the store is down.
        """
        lost = 0
        if metrics and (params or tags):
            try:
                self._retrying(self._inner.log_batch, run_id, metrics, [], [])
                metrics = []
            except Exception as e:  # noqa: BLE001
                exc = e
        lost += len(metrics)
        for p in params:
            try:
                self._retrying(self._inner.log_param, run_id, p)
            except Exception as e:  # noqa: BLE001
                exc, lost = e, lost + 1
        for t in tags:
            try:
                self._retrying(self._inner.set_tag, run_id, t)
            except Exception as e:  # noqa: BLE001
                exc, lost = e, lost + 1
        if lost:
            msg = f"MLflow logging: {lost} value(s) for run {run_id} were not stored: {exc}"
            self.errors.append(msg)
            log.error(msg)

    def _retrying(self, fn, *args, **kwargs):
        """Call ``fn``; while the failure is transient (locked SQLite, lost connection), retry."""
        delay = 0.02
        deadline = time.monotonic() + RETRY_DEADLINE_S
        while True:
            _retrying.active = True
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if not _is_transient(exc) or time.monotonic() + delay > deadline:
                    raise
            finally:
                _retrying.active = False
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _start_writer(self) -> None:
        self._thread = threading.Thread(
            target=_writer_loop, args=(weakref.ref(self),), name="mlservice-mlflow-writer",
            daemon=True,
        )
        self._thread.start()

    def _after_fork_in_child(self) -> None:
        # The parent writes what it queued; the child starts empty with fresh locks.
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._pending, self._count, self._thread = {}, 0, None

    def _close(self) -> None:
        self._closed = True
        self._wake.set()
        self.flush()

    # -- everything else goes to the real store, after the queue ------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in {"_inner", "_lock", "_write_lock", "_pending"}:
            raise AttributeError(name)
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args, **kwargs):
            self.flush()
            return self._retrying(attr, *args, **kwargs)

        return call

    def __repr__(self) -> str:
        return f"BatchingTrackingStore({self.inner_uri!r})"


def _batches(q: _RunQueue):
    """Split a run's queue into log_batch calls within MLflow's limits."""
    from mlflow.utils.validation import (
        MAX_ENTITIES_PER_BATCH,
        MAX_METRICS_PER_BATCH,
        MAX_PARAMS_TAGS_PER_BATCH,
    )

    params, tags, metrics = list(q.params.values()), list(q.tags.values()), q.metrics
    while params or tags or metrics:
        size = 0
        p_batch: list = []
        t_batch: list = []
        while params and len(p_batch) < MAX_PARAMS_TAGS_PER_BATCH and size < MAX_BATCH_BYTES:
            size += len(params[0].key) + len(str(params[0].value)) + 32
            p_batch.append(params.pop(0))
        while tags and len(t_batch) < MAX_PARAMS_TAGS_PER_BATCH and size < MAX_BATCH_BYTES:
            size += len(tags[0].key) + len(str(tags[0].value)) + 32
            t_batch.append(tags.pop(0))
        room = min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - len(p_batch) - len(t_batch))
        room = min(room, max(0, (MAX_BATCH_BYTES - size) // 200))
        m_batch, metrics = metrics[:room], metrics[room:]
        yield m_batch, p_batch, t_batch


def _is_transient(exc: BaseException) -> bool:
    seen = 0
    e: BaseException | None = exc
    while e is not None and seen < 10:
        text = str(e).lower()
        if any(m in text for m in _LOCK_MESSAGES):
            return True
        if type(e).__name__ in {"ConnectionError", "ConnectTimeout"}:
            return True
        e = e.__cause__ or e.__context__
        seen += 1
    return False


def _writer_loop(ref: weakref.ref) -> None:
    while True:
        store = ref()
        if store is None or store._closed:
            return
        wake = store._wake
        del store
        wake.wait(FLUSH_INTERVAL_S)
        wake.clear()
        store = ref()
        if store is None or store._closed:
            return
        try:
            store.flush()
        except Exception:  # noqa: BLE001 - the next round retries; never kill the writer
            log.exception("MLflow logging: writing queued values failed")
        del store


def _flush_at_exit(ref: weakref.ref) -> None:
    store = ref()
    if store is not None:
        try:
            store._close()
        except Exception:  # noqa: BLE001
            log.exception("MLflow logging: writing queued values at exit failed")


class _QuietWhileRetrying(logging.Filter):
    """MLflow logs every SQLite OperationalError with a traceback before re-raising it. While
    this store retries a locked database that log line is noise, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(_retrying, "active", False):
            return True
        text = record.getMessage().lower()
        return not any(m in text for m in _LOCK_MESSAGES)


_installed = False


def _install_once() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    logging.getLogger("mlflow.store.db.utils").addFilter(_QuietWhileRetrying())
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
    _route_mlflow_artifacts_to_inner_uri()


def _after_fork_in_child() -> None:
    for store in list(_stores):
        store._after_fork_in_child()


def _route_mlflow_artifacts_to_inner_uri() -> None:
    """``mlflow-artifacts:`` locations are resolved against the tracking URI, which must be
    http(s); with a batching URI resolve them against the wrapped one instead."""
    try:
        from mlflow.store.artifact import artifact_repository_registry as reg
    except ImportError:  # pragma: no cover - layout of a future MLflow
        return
    registry = reg._artifact_repository_registry
    original = registry._registry.get("mlflow-artifacts")
    if original is None or getattr(original, "_mlservice_wrapped", False):
        return

    def build(artifact_uri, tracking_uri=None, registry_uri=None):
        if tracking_uri is None:
            from mlflow.tracking._tracking_service.utils import get_tracking_uri

            tracking_uri = get_tracking_uri()
        if is_batching_uri(tracking_uri):
            tracking_uri = inner_uri(tracking_uri)
        return original(artifact_uri, tracking_uri=tracking_uri, registry_uri=registry_uri)

    build._mlservice_wrapped = True  # type: ignore[attr-defined]
    registry.register("mlflow-artifacts", build)
