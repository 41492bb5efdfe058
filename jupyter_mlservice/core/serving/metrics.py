"""Prometheus metrics for an endpoint whose requests land on several worker processes.

Each worker counts in plain dicts (a few increments per request), writes a snapshot to
``metrics/<pid>.json`` about once a second, and answers ``GET /metrics`` with the sum of every
snapshot plus its own live counts. The supervisor folds the files of workers that exited into
``metrics/retired.json`` so counters stay monotonic across restarts and reconfigures.
"""

from __future__ import annotations

import bisect
import json
import os
import time
from pathlib import Path

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RETIRED = "retired.json"


class Metrics:
    def __init__(self, endpoint: str, folder: Path):
        self.endpoint = endpoint
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{os.getpid()}.json"
        self.requests: dict[tuple[str, int], int] = {}
        self.histograms: dict[str, list[float]] = {}  # bucket counts (not cumulative), sum, count
        self.mirrored: dict[str, int] = {}
        self.collectors: dict = {}  # deployment -> Collector (core/monitoring/collection.py)
        self._collected_seen: tuple = ()
        self.batches: dict[str, list[int]] = {}  # dynamic batching: [batches, requests, rows]
        self._dirty = False
        self._flushed_at = 0.0

    def observe(self, deployment: str, status: int, seconds: float, mirror: bool = False) -> None:
        key = (deployment, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        hist = self.histograms.get(deployment)
        if hist is None:
            hist = self.histograms[deployment] = [0.0] * (len(BUCKETS) + 3)
        hist[bisect.bisect_left(BUCKETS, seconds)] += 1
        hist[-2] += seconds
        hist[-1] += 1
        if mirror:
            self.mirrored[deployment] = self.mirrored.get(deployment, 0) + 1
        self._dirty = True

    def observe_batch(self, deployment: str, requests: int, rows: int) -> None:
        counts = self.batches.setdefault(deployment, [0, 0, 0])
        counts[0] += 1
        counts[1] += requests
        counts[2] += rows
        self._dirty = True

    def snapshot(self) -> dict:
        return {
            "requests": [[d, s, n] for (d, s), n in self.requests.items()],
            "histograms": self.histograms,
            "mirrored": self.mirrored,
            "collection": {d: [c.written, c.dropped_full, c.dropped_error] for d, c in self.collectors.items()},
            "batches": self.batches,
        }

    def flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.collectors:  # the writer threads count on their own: notice when they did
            seen = tuple((c.written, c.dropped_full, c.dropped_error) for c in self.collectors.values())
            if seen != self._collected_seen:
                self._collected_seen, self._dirty = seen, True
        if not force and (not self._dirty or now - self._flushed_at < 1.0):
            return
        self._dirty = False
        self._flushed_at = now
        write_json(self.path, self.snapshot())

    def render(self) -> bytes:
        snapshots = [self.snapshot()]
        for path in self.folder.glob("*.json"):
            if path != self.path:
                snapshots.append(read_json(path))
        return render(self.endpoint, merge(snapshots))


def merge(snapshots: list[dict | None]) -> dict:
    requests: dict[tuple[str, int], int] = {}
    histograms: dict[str, list[float]] = {}
    mirrored: dict[str, int] = {}
    collection: dict[str, list[int]] = {}
    batches: dict[str, list[int]] = {}
    for snap in snapshots:
        if not snap:
            continue
        for d, s, n in snap.get("requests", []):
            requests[(d, s)] = requests.get((d, s), 0) + n
        for d, hist in snap.get("histograms", {}).items():
            into = histograms.setdefault(d, [0.0] * len(hist))
            for i, v in enumerate(hist):
                into[i] += v
        for d, n in snap.get("mirrored", {}).items():
            mirrored[d] = mirrored.get(d, 0) + n
        for d, counts in snap.get("collection", {}).items():
            into = collection.setdefault(d, [0, 0, 0])
            for i, v in enumerate(counts):
                into[i] += v
        for d, counts in snap.get("batches", {}).items():
            batches[d] = [a + b for a, b in zip(batches.get(d, [0, 0, 0]), counts)]
    return {
        "requests": [[d, s, n] for (d, s), n in sorted(requests.items())],
        "histograms": histograms,
        "mirrored": mirrored,
        "collection": collection,
        "batches": batches,
    }


def retire(folder: Path, pid: int) -> None:
    """Fold a finished worker's snapshot into retired.json (called by the supervisor)."""
    path = folder / f"{pid}.json"
    snap = read_json(path)
    if snap is None:
        return
    write_json(folder / RETIRED, merge([read_json(folder / RETIRED), snap]))
    path.unlink(missing_ok=True)


def render(endpoint: str, data: dict) -> bytes:
    def labels(**kv: object) -> str:
        inner = ",".join(f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                         for k, v in kv.items())  # fmt: skip
        return "{" + inner + "}"

    out = [
        "# HELP mlservice_requests_total Scoring requests answered, by deployment and HTTP status.",
        "# TYPE mlservice_requests_total counter",
    ]
    errors: dict[str, int] = {}
    for d, s, n in data["requests"]:
        out.append(f"mlservice_requests_total{labels(endpoint=endpoint, deployment=d, code=s)} {n}")
        if s >= 400:
            errors[d] = errors.get(d, 0) + n
    out += [
        "# HELP mlservice_request_errors_total Scoring requests answered with a 4xx or 5xx status.",
        "# TYPE mlservice_request_errors_total counter",
    ]
    for d in sorted({d for d, _, _ in data["requests"]}):
        out.append(f"mlservice_request_errors_total{labels(endpoint=endpoint, deployment=d)} {errors.get(d, 0)}")
    out += [
        "# HELP mlservice_request_duration_seconds Time from request received to response ready.",
        "# TYPE mlservice_request_duration_seconds histogram",
    ]
    for d, hist in sorted(data["histograms"].items()):
        running = 0
        for le, n in zip([*BUCKETS, float("inf")], hist):
            running += n
            le_text = "+Inf" if le == float("inf") else repr(le)
            out.append(
                f"mlservice_request_duration_seconds_bucket{labels(endpoint=endpoint, deployment=d, le=le_text)} "
                f"{int(running)}"
            )
        out.append(f"mlservice_request_duration_seconds_sum{labels(endpoint=endpoint, deployment=d)} {hist[-2]}")
        out.append(f"mlservice_request_duration_seconds_count{labels(endpoint=endpoint, deployment=d)} {int(hist[-1])}")
    out += [
        "# HELP mlservice_mirrored_requests_total Requests copied to a deployment by mirror traffic.",
        "# TYPE mlservice_mirrored_requests_total counter",
    ]
    for d, n in sorted(data["mirrored"].items()):
        out.append(f"mlservice_mirrored_requests_total{labels(endpoint=endpoint, deployment=d)} {n}")
    collection = data.get("collection") or {}
    if collection:
        out += [
            "# HELP mlservice_collected_requests_total Requests whose inputs and outputs were written for monitoring.",
            "# TYPE mlservice_collected_requests_total counter",
        ]
        for d, (written, _, _) in sorted(collection.items()):
            out.append(f"mlservice_collected_requests_total{labels(endpoint=endpoint, deployment=d)} {written}")
        out += [
            "# HELP mlservice_collection_dropped_total Requests not collected: the queue was full or the write failed.",
            "# TYPE mlservice_collection_dropped_total counter",
        ]
        for d, (_, full, failed) in sorted(collection.items()):
            out.append(f"mlservice_collection_dropped_total{labels(endpoint=endpoint, deployment=d, reason='queue_full')} {full}")
            out.append(f"mlservice_collection_dropped_total{labels(endpoint=endpoint, deployment=d, reason='write_failed')} {failed}")
    batch_metrics = (("batches", "Forward passes run by dynamic batching."),
                     ("batched_requests", "Requests answered from a dynamic batch."),
                     ("batched_rows", "Rows scored in dynamic batches."))  # fmt: skip
    for i, (name, text) in enumerate(batch_metrics):
        out += [f"# HELP mlservice_{name}_total {text}", f"# TYPE mlservice_{name}_total counter"]
        for d, counts in sorted(data.get("batches", {}).items()):
            out.append(f"mlservice_{name}_total{labels(endpoint=endpoint, deployment=d)} {counts[i]}")
    return ("\n".join(out) + "\n").encode()


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
