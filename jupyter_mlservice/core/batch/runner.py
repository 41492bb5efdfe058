"""The process of a batch job: read mini-batches, score them in worker processes, write results.

Usage: python -m jupyter_mlservice.core.batch.runner JOB_DIR/batch.json

Memory holds at most (workers x 2) mini-batches plus those waiting for a retry, whatever the
input size. Progress goes to JOB_DIR/progress.json (served by GET /jobs/{id}/progress) and to
MLflow metrics; the summary (with the failed mini-batches) to outputs/batch_summary.json.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from ..environments.batch import environment_workers
from .sinks import open_sink
from .sources import MiniBatch, open_source

PROGRESS_EVERY_S = 0.5
METRICS_EVERY_S = 2.0


def log(msg: str) -> None:
    print(f"mlservice-batch: {msg}", flush=True)


@dataclass
class Worker:
    proc: Any
    conn: Any
    ready: bool = False
    task: tuple[MiniBatch, int] | None = None  # (mini-batch, attempt)
    started: float = 0.0


@dataclass
class Stats:
    total: int | None = None
    scored: int = 0
    skipped: int = 0
    failed: int = 0
    rows: int = 0
    retries: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    first_dispatch: float | None = None


class BatchRunner:
    def __init__(self, plan: dict[str, Any]):
        self.plan = plan
        self.job_dir = Path(plan["job_dir"])
        self.progress_path = self.job_dir / "progress.json"
        self.outputs = self.job_dir / "outputs"
        self.outputs.mkdir(exist_ok=True)
        self.stats = Stats()
        self.status = "starting"
        self.workers: list[Worker] = []
        self.retry_settings = plan.get("retry_settings") or {}
        self.max_retries = int(self.retry_settings.get("max_retries", 3))
        self.timeout = float(self.retry_settings.get("timeout", 60))
        self.threshold = int(plan.get("error_threshold", -1))
        self.model_dir: str | None = None
        self.azureml_model_dir: str | None = None  # the model's files as Azure lays them out for scripts
        self.model_info: dict[str, Any] = {}
        self._last_progress = 0.0
        self._last_metrics = 0.0
        self._client = None
        self.run_id = os.environ.get("MLFLOW_RUN_ID") or None
        # forkserver: workers (and replacements for timed-out ones) fork from a clean process that
        # imported the heavy modules once, not from this one with its reader threads.
        self.ctx = mp.get_context("forkserver")
        self.error: str | None = None
        self.collector = None  # monitoring: records scored mini-batches when the spec asks (collect)

    # ---- setup ------------------------------------------------------------------------------

    def resolve_model(self) -> None:
        uri = self.plan.get("model_uri")
        if not uri:
            return
        import mlflow
        from mlflow.artifacts import download_artifacts

        self.model_info = {"model": self.plan.get("model"), "model_uri": uri}
        mv = None
        if uri.startswith("models:/"):
            from mlflow import MlflowClient

            client = MlflowClient()
            ref = uri[len("models:/"):]
            try:
                if "@" in ref:
                    name, alias = ref.split("@", 1)
                    mv = client.get_model_version_by_alias(name, alias)
                elif "/" in ref and not ref.startswith("m-"):
                    name, version = ref.rsplit("/", 1)
                    if version == "latest":
                        versions = client.search_model_versions(f"name = '{name}'", max_results=1, order_by=["version_number DESC"])
                        if not versions:
                            raise mlflow.exceptions.MlflowException(f"registered model {name!r} has no versions")
                        mv = versions[0]
                    else:
                        mv = client.get_model_version(name, version)
            except mlflow.exceptions.MlflowException as exc:
                raise SystemExit(f"model {self.plan.get('model')!r} ({uri}) not found in the model registry: {exc.message}") from None
            if mv is not None:
                self.model_info.update(model_name=mv.name, model_version=str(mv.version))
                uri = f"models:/{mv.name}/{mv.version}"
        dest = self.job_dir / "model"
        if dest.exists():
            import shutil

            shutil.rmtree(dest)
        dest.mkdir()
        try:
            self.model_dir = download_artifacts(artifact_uri=uri, dst_path=str(dest))
        except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds here
            raise SystemExit(f"cannot load model {self.plan.get('model')!r} ({uri}): {exc}") from None
        if mv is not None:
            from ..serving.model_dir import azure_layout, registered_folder_name

            folder_name = registered_folder_name(client, mv.run_id)
            self.azureml_model_dir = str(azure_layout(Path(self.model_dir), folder_name, mv.name, str(mv.version), self.job_dir))
        log(f"model {self.model_info.get('model_name', uri)} version {self.model_info.get('model_version', '?')} -> {self.model_dir}")

    def start_worker(self) -> Worker:
        from .worker import worker_main

        out = (self.plan.get("output") or {}).get("path")
        os.environ["MLSERVICE_BATCH_OUTPUT_DIR"] = str(Path(out).parent if out else self.outputs)
        os.environ["MLSERVICE_BATCH_OUTPUT_FORMAT"] = self.plan.get("output_format") or "default"

        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(
            target=worker_main,
            args=(child, self.model_dir, self.plan.get("scoring_script_path"), self.plan.get("key_columns") or [], self.plan.get("input_columns"),
                  self.azureml_model_dir),
            daemon=True,
        )
        with environment_workers(self.ctx):  # the job's environment, if it has one
            proc.start()
        child.close()
        w = Worker(proc, parent)
        self.workers.append(w)
        return w

    def drop_worker(self, w: Worker) -> None:
        try:
            w.proc.kill()
            w.proc.join(5)
        except Exception:
            pass
        w.conn.close()
        self.workers.remove(w)

    # ---- progress ---------------------------------------------------------------------------

    def client(self):
        if self._client is None and self.run_id:
            from mlflow import MlflowClient

            self._client = MlflowClient()
        return self._client

    def progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._last_progress = now
        s = self.stats
        busy = (now - s.first_dispatch) if s.first_dispatch else 0.0
        data = {
            "kind": "batch",
            "status": self.status,
            "mini_batches_total": s.total,
            "mini_batches_done": s.scored + s.skipped,
            "mini_batches_scored": s.scored,
            "mini_batches_skipped": s.skipped,
            "mini_batches_failed": s.failed,
            "retries": s.retries,
            "rows_done": s.rows,
            "rows_per_s": round(s.rows / busy, 1) if busy > 0 else None,
            "elapsed_s": round(now - s.started, 3),
            "workers": len(self.workers),
            "output": self.sink_description,
            "error": self.error,
            "failures": s.failures[:20],
            "updated_at": time.time(),
        }
        tmp = self.progress_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.progress_path)
        if self.run_id and (force or now - self._last_metrics >= METRICS_EVERY_S):
            self._last_metrics = now
            try:
                from mlflow.entities import Metric

                ts = int(time.time() * 1000)
                step = s.scored + s.skipped
                metrics = [Metric("mini_batches_done", step, ts, step), Metric("rows_scored", s.rows, ts, step),
                           Metric("mini_batches_failed", s.failed, ts, step)]
                if data["rows_per_s"] is not None:
                    metrics.append(Metric("rows_per_s", data["rows_per_s"], ts, step))
                self.client().log_batch(self.run_id, metrics=metrics)
            except Exception as exc:  # metrics are a convenience; never fail the job for them
                log(f"could not log metrics: {exc}")

    # ---- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        self.sink_description = None
        self.progress(force=True)
        self.resolve_model()
        n = int(self.plan.get("max_concurrency") or 1)
        preload = ["jupyter_mlservice.core.batch.worker"]
        if self.model_dir and not self.plan.get("scoring_script_path"):
            preload += ["mlflow.pyfunc", "sklearn"]
        self.ctx.set_forkserver_preload(preload)
        for _ in range(n):  # workers load the model while the input is opened
            self.start_worker()
        if self.plan.get("collect"):
            from ..monitoring.collection import batch_collector

            self.collector = batch_collector(self.plan, self.model_dir, self.model_info)
        sink = open_sink(self.plan)
        self.sink_description = sink.description
        done = sink.done() if self.plan.get("resume", True) else set()
        source = open_source(self.plan)
        self.stats.total = source.total
        if self.run_id:
            try:
                params = {"batch.mini_batch_size": self.plan["mini_batch_size"], "batch.max_concurrency": n,
                          "batch.error_threshold": self.threshold, "batch.output": sink.description,
                          "batch.mini_batches": source.total, **{f"batch.{k}": v for k, v in self.model_info.items()}}
                from mlflow.entities import Param

                self.client().log_batch(self.run_id, params=[Param(k, str(v)[:6000]) for k, v in params.items()])
            except Exception as exc:
                log(f"could not log params: {exc}")
        log(f"{source.total} mini-batches of {self.plan['mini_batch_size']} {self.plan.get('mini_batch_unit', 'rows')}, "
            f"{n} worker(s), output: {sink.description}" + (f"; {len(done)} already done, resuming" if done else ""))
        self.status = "running"
        try:
            ok = self._loop(source, sink, done)
        finally:
            for w in list(self.workers):
                try:
                    w.conn.send(None)
                except Exception:
                    pass
            for w in list(self.workers):
                w.proc.join(2)
                self.drop_worker(w)
            source.close()
            if self.collector is not None:
                self.collector.stop(timeout=120)  # writes what is still queued
        if ok and self.error is None:
            sink.finish(complete=self.stats.failed == 0)
        sink.close()
        return self._summarize()

    def _loop(self, source, sink, done: set[int]) -> bool:
        s = self.stats
        it = iter(source)
        exhausted = False
        ready: deque[tuple[MiniBatch, int]] = deque()  # (mini-batch, attempt) waiting for a worker
        n = len(self.workers)
        while True:
            # keep up to n mini-batches read ahead; retries go first
            while not exhausted and len(ready) < n:
                try:
                    mb = next(it)
                except StopIteration:
                    exhausted = True
                    break
                if mb.index in done:
                    s.skipped += 1
                    continue
                ready.append((mb, 1))
            for w in self.workers:
                if w.ready and w.task is None and ready:
                    mb, attempt = ready.popleft()
                    w.task, w.started = (mb, attempt), time.monotonic()
                    s.first_dispatch = s.first_dispatch or w.started
                    try:
                        w.conn.send((mb.index, mb.offset, mb.data))
                    except (BrokenPipeError, OSError):
                        pass  # the worker died; its sentinel reports it below
            busy = [w for w in self.workers if w.task is not None]
            if exhausted and not ready and not busy:
                return True
            if self.threshold != -1 and s.failed > self.threshold:
                self.error = f"{s.failed} mini-batch(es) failed, more than error_threshold={self.threshold}; stopping"
                log(self.error)
                return False
            now = time.monotonic()
            deadlines = [w.started + self.timeout - now for w in busy]
            waits = {w.conn: w for w in self.workers}
            waits.update({w.proc.sentinel: w for w in self.workers})
            events = wait(list(waits), timeout=max(0.01, min(deadlines + [PROGRESS_EVERY_S])))
            for ev in events:
                w = waits[ev]
                if w not in self.workers:
                    continue
                if ev is w.conn:
                    try:
                        kind, index, payload = w.conn.recv()
                    except (EOFError, OSError):
                        self._worker_died(w, ready, "the worker process died")
                        continue
                    if kind == "ready":
                        w.ready = True
                    elif kind == "init_error":
                        self.error = f"the scoring worker could not start:\n{payload}"
                        log(self.error)
                        return False
                    elif kind == "ok":
                        mb, _ = w.task
                        w.task = None
                        table, secs, rows = payload
                        sink.write(mb.index, table)
                        if self.collector is not None:
                            self.collector.offer_batch(mb.data, table, secs)
                        s.scored += 1
                        s.rows += rows
                    else:
                        self._attempt_failed(w.task, ready, payload)
                        w.task = None
                elif not w.proc.is_alive():
                    self._worker_died(w, ready, f"the worker process died (exit code {w.proc.exitcode})")
            now = time.monotonic()
            for w in [w for w in self.workers if w.task is not None and now - w.started > self.timeout]:
                task = w.task
                self.drop_worker(w)
                self.start_worker()
                self._attempt_failed(task, ready, f"timed out after {self.timeout:g} s (retry_settings.timeout)")
            self.progress()

    def _worker_died(self, w: Worker, ready: deque, reason: str) -> None:
        task = w.task
        self.drop_worker(w)
        self.start_worker()
        if task is not None:
            self._attempt_failed(task, ready, reason)

    def _attempt_failed(self, task: tuple[MiniBatch, int], ready: deque, error: str) -> None:
        mb, attempt = task
        first_line = error.strip().splitlines()[0] if error.strip() else error
        if attempt <= self.max_retries:
            self.stats.retries += 1
            log(f"mini-batch {mb.index} failed (attempt {attempt} of {self.max_retries + 1}): {first_line}; retrying")
            ready.appendleft((mb, attempt + 1))
            return
        self.stats.failed += 1
        log(f"mini-batch {mb.index} failed after {attempt} attempt(s): {error.strip()}")
        failure = {"mini_batch": mb.index, "offset": mb.offset, "size": mb.size, "attempts": attempt, "error": first_line[:1000]}
        if hasattr(mb.data, "low"):  # a SQL slice: say which keys
            failure.update(size=None, keys=[_json_value(mb.data.low), _json_value(mb.data.high)])
        self.stats.failures.append(failure)

    def _summarize(self) -> int:
        s = self.stats
        failed_job = self.error is not None
        self.status = "failed" if failed_job else "completed"
        self.progress(force=True)
        summary = json.loads(self.progress_path.read_text())
        summary.pop("updated_at", None)
        summary["failures"] = s.failures
        summary["model"] = self.model_info
        if self.collector is not None:
            summary["collection"] = self.collector.stats()
        (self.outputs / "batch_summary.json").write_text(json.dumps(summary, indent=2))
        log(f"done: {s.scored} mini-batch(es) scored, {s.skipped} resumed, {s.failed} failed, {s.rows} rows"
            + (f", {summary['rows_per_s']} rows/s" if summary.get("rows_per_s") else ""))
        for f in s.failures:
            where = (f"keys {f['keys'][0]} to {f['keys'][1] if f['keys'][1] is not None else 'the end'}" if "keys" in f
                     else f"rows {f['offset']}..{f['offset'] + f['size'] - 1}")
            log(f"  failed mini-batch {f['mini_batch']} ({where}): {f['error']}")
        return 1 if failed_job else 0


def _json_value(v: Any) -> Any:
    """A key as progress.json can hold it: PostgreSQL keys may be timestamps, decimals, UUIDs."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    plan = json.loads(Path(argv[0]).read_text())
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        return BatchRunner(plan).run()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(f"mlservice-batch: error: {exc.code}", file=sys.stderr, flush=True)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
