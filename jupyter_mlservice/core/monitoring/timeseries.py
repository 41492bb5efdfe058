"""Endpoint time series: interval figures from two readings of the live Prometheus counters, and
downsampling for charts."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from ..timeutil import as_utc
from .schemas import SeriesPoint
from .tables import EndpointSampleRow


def parse_prometheus(text: str) -> dict[str, dict[str, Any]]:
    """Per deployment: cumulative requests, errors and latency buckets (upper bound -> count)."""
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, dict[str, Any]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            dep = sample.labels.get("deployment")
            if not dep:
                continue
            entry = out.setdefault(dep, {"requests": 0.0, "errors": 0.0, "buckets": {}})
            if sample.name == "mlservice_requests_total":
                entry["requests"] += sample.value
            elif sample.name == "mlservice_request_errors_total":
                entry["errors"] += sample.value
            elif sample.name == "mlservice_request_duration_seconds_bucket":
                le = sample.labels.get("le")
                entry["buckets"][math.inf if le == "+Inf" else float(le)] = sample.value
    return out


def quantile(buckets: dict[float, float], q: float) -> float | None:
    """Prometheus' histogram_quantile: linear inside the bucket that holds the q-th request (s)."""
    points = sorted(buckets.items())
    if not points or points[-1][1] <= 0:
        return None
    rank = q * points[-1][1]
    lower, below = 0.0, 0.0
    for upper, count in points:
        if count >= rank:
            if math.isinf(upper):
                return lower
            if count == below:
                return upper
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    return lower


def interval_rows(endpoint: str, at: datetime, seconds: float, before: dict, now: dict) -> list[EndpointSampleRow]:
    """The interval between two readings, one row per deployment that answered in it. A counter
    that went down (the endpoint was recreated) counts from zero."""
    rows = []
    for dep, cur in now.items():
        prev = before.get(dep) or {"requests": 0.0, "errors": 0.0, "buckets": {}}
        reset = cur["requests"] < prev["requests"]
        base = {"requests": 0.0, "errors": 0.0, "buckets": {}} if reset else prev
        requests = cur["requests"] - base["requests"]
        errors = max(0.0, cur["errors"] - base["errors"])
        delta = {le: max(0.0, n - base["buckets"].get(le, 0.0)) for le, n in cur["buckets"].items()}
        p50, p99 = quantile(delta, 0.5), quantile(delta, 0.99)
        rows.append(EndpointSampleRow(
            endpoint=endpoint, deployment=dep, time=at, interval_s=seconds, requests=requests, errors=errors,
            p50_ms=p50 * 1000 if p50 is not None else None, p99_ms=p99 * 1000 if p99 is not None else None,
        ))  # fmt: skip
    return rows


def downsample(rows: list[EndpointSampleRow], since: datetime, step_s: float) -> dict[str, list[SeriesPoint]]:
    """Group samples into ``step_s`` buckets: counts add up; p50 is the request-weighted mean of
    the samples' p50, p99 the largest of their p99 (a bound, not a recomputation)."""
    groups: dict[str, dict[int, list[EndpointSampleRow]]] = {}
    for r in rows:
        index = int((r.time - since).total_seconds() // step_s)
        groups.setdefault(r.deployment, {}).setdefault(index, []).append(r)
    out: dict[str, list[SeriesPoint]] = {}
    for dep, buckets in groups.items():
        points = []
        for index in sorted(buckets):
            part = buckets[index]
            requests = sum(r.requests for r in part)
            errors = sum(r.errors for r in part)
            seconds = sum(r.interval_s for r in part) or step_s
            p50s = [(r.p50_ms, r.requests) for r in part if r.p50_ms is not None and r.requests > 0]
            weight = sum(w for _, w in p50s)
            p99s = [r.p99_ms for r in part if r.p99_ms is not None]
            points.append(SeriesPoint(
                time=as_utc(since + timedelta(seconds=index * step_s)), requests=requests, errors=errors,
                request_rate=requests / seconds, error_rate=errors / requests if requests else 0.0,
                p50_ms=sum(v * w for v, w in p50s) / weight if weight else None, p99_ms=max(p99s) if p99s else None,
            ))  # fmt: skip
        out[dep] = points
    return out
