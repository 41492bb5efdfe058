"""What a deployment answered during a rollout phase: requests, errors and p99 latency over the
phase, from the endpoint's cumulative counters read at its start and now (workers fold their
counts into the endpoint's metrics folder, retired workers included, so they only grow)."""

from __future__ import annotations

from typing import Any

Counters = dict[str, dict[str, Any]]  # deployment -> {"requests", "errors", "buckets": [[le_seconds, cumulative count]...]}


def read(endpoints, endpoint: str) -> Counters | None:
    """The endpoint's counters now ({} before any request; None while it does not answer)."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = endpoints.prometheus_text(endpoint)
    except Exception:  # noqa: BLE001 - an endpoint between generations: judged at the next look
        return None
    if text is None:
        return None
    out: Counters = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            dep = sample.labels.get("deployment")
            if not dep:
                continue
            stats = out.setdefault(dep, {"requests": 0.0, "errors": 0.0, "buckets": []})
            if sample.name == "mlservice_requests_total":
                stats["requests"] += sample.value
            elif sample.name == "mlservice_request_errors_total":
                stats["errors"] += sample.value
            elif sample.name == "mlservice_request_duration_seconds_bucket":
                le = sample.labels.get("le")
                stats["buckets"].append([float("inf") if le == "+Inf" else float(le), sample.value])
    for stats in out.values():
        stats["buckets"].sort()
    return out


def window(before: Counters, now: Counters, deployment: str) -> dict[str, Any]:
    """Requests, errors, error rate and p99 (ms, the upper bound of its latency bucket) between two readings."""
    b, n = before.get(deployment) or {}, now.get(deployment) or {}
    reset = n.get("requests", 0) < b.get("requests", 0)  # counters lost (the folder was cleared): count from zero
    base = {} if reset else b
    requests = n.get("requests", 0) - base.get("requests", 0)
    errors = n.get("errors", 0) - base.get("errors", 0)
    earlier = {le: c for le, c in base.get("buckets", [])}
    deltas = [(le, c - earlier.get(le, 0)) for le, c in n.get("buckets", [])]
    p99 = None
    total = deltas[-1][1] if deltas else 0
    if total > 0:
        bound = next(le for le, c in deltas if c >= 0.99 * total)
        p99 = None if bound == float("inf") else round(bound * 1000, 3)
        if bound == float("inf"):
            p99 = float("inf")
    return {"requests": int(requests), "errors": int(errors), "error_rate": (errors / requests) if requests else None,
            "p99_ms": p99}


def breach(plan: dict[str, Any], candidate: dict[str, Any], baseline: dict[str, Any]) -> str | None:
    """Why the candidate must be rolled back, judged on one phase; None when it is fine so far."""
    limits = plan.get("rollback_if") or {}
    if candidate["requests"] < int(plan.get("min_requests", 20)):
        return None  # too little to judge a breach on
    rate, base_rate = candidate["error_rate"] or 0.0, baseline["error_rate"] or 0.0
    if limits.get("error_rate") is not None and rate > limits["error_rate"] and rate > base_rate:
        return (f"error rate {rate:.1%} over {candidate['requests']} requests is above the limit {limits['error_rate']:.1%} "
                f"(baseline {base_rate:.1%})")
    p99, base_p99 = candidate["p99_ms"], baseline["p99_ms"]
    if limits.get("p99_ms") is not None and p99 is not None and p99 > limits["p99_ms"] and (base_p99 is None or p99 > base_p99):
        return f"p99 latency {p99:g} ms is above the limit {limits['p99_ms']:g} ms (baseline {base_p99 if base_p99 is not None else 'no requests'} ms)"
    return None
