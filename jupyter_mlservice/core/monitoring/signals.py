"""Judging a window against its baseline: drift, prediction drift, data quality, weighted drift.

How a verdict is reached (the README has the table of defaults):

* Every statistic is computed for every feature; the feature's *method* picks the one judged
  against a threshold, an effect size that does not shrink as windows grow, so a large window
  is judged on how much the distribution moved, not on a p-value that any tiny change drives
  to zero.
* A change also has to be *significant* before it counts: Kolmogorov-Smirnov for numeric
  features, chi-squared for categorical ones (a one-sided rate test for data quality). The
  monitor's ``alpha`` (default 0.05) is split evenly among the signals that test, and each
  signal's share among the features it tests (Bonferroni). By the union bound, a run on data
  from the baseline's own distribution alarms with probability at most ``alpha``, whatever the
  window size and the number of features; on small windows this gate is what holds noise back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import stats
from .schemas import DriftSignal, QualitySignal, WeightedDriftSignal
from .profile import CATEGORICAL, NUMERIC, Counts, FeatureProfile, Profile

#: default threshold of each method (an effect size)
THRESHOLDS = {"wasserstein": 0.1, "ks": 0.1, "psi": 0.2, "jensen_shannon": 0.1, "chi_squared": 0.1}
METHODS = {NUMERIC: ("wasserstein", "ks", "psi", "jensen_shannon"), CATEGORICAL: ("jensen_shannon", "psi", "chi_squared")}
AUTO = {NUMERIC: "wasserstein", CATEGORICAL: "jensen_shannon"}
MIN_VALUES = 30  # a feature with fewer values in the window is reported, not judged
DISPLAY_BINS = 20
DISPLAY_CATEGORIES = 20


class SignalError(ValueError):
    """A signal's settings do not fit the data (a method for the other kind, an unknown feature)."""


def method_for(kind: str, method: str) -> str:
    if method == "auto":
        return AUTO[kind]
    if method not in METHODS[kind]:
        raise SignalError(f"method {method!r} does not apply to {kind} features; use one of {', '.join(METHODS[kind])} or auto")
    return method


# ---- one feature --------------------------------------------------------------------------------


def drift_statistics(feature: FeatureProfile, window: Counts) -> dict[str, float | None]:
    """Every drift statistic of one feature, plus the significance test's p-value."""
    base = feature.counts
    if feature.kind == NUMERIC:
        coarse = feature.bins.coarse  # type: ignore[union-attr]
        cb, cw = np.add.reduceat(base.counts, coarse), np.add.reduceat(window.counts, coarse)
        d, p = stats.ks(base.counts, window.counts)
        w = stats.wasserstein(base.counts, base.sums, window.counts, window.sums)
        scale = feature.std if feature.std else 1.0
        return {
            "wasserstein": w / scale, "wasserstein_raw": w, "ks": d, "ks_p_value": p,
            "psi": stats.psi(cb, cw), "jensen_shannon": stats.jensen_shannon(cb, cw), "p_value": p,
        }  # fmt: skip
    cb, cw = base.counts, window.counts
    if feature.bins.complete:  # type: ignore[union-attr]
        # the last bin holds categories the baseline lacks by definition: that is data quality's
        # business, and counting it here would find drift in any long-tailed feature
        cb, cw = cb[:-1], cw[:-1]
    cb, cw = stats.pool_rare(cb, cw)
    chi, p = stats.chi_squared(cb, cw)
    pb, pw = stats.shares(cb), stats.shares(cw)
    # Cohen's w: the effect size of a chi-squared test, independent of the sample sizes
    effect = math.sqrt(float(np.sum((pw - pb) ** 2 / np.maximum(pb, stats.PSI_FLOOR))))
    return {
        "chi_squared": effect, "chi_squared_statistic": chi, "chi_squared_p_value": p,
        "psi": stats.psi(cb, cw), "jensen_shannon": stats.jensen_shannon(cb, cw), "p_value": p,
    }  # fmt: skip


def judge_drift(feature: FeatureProfile, window: Counts, method: str, threshold: float | None, alpha: float) -> dict[str, Any]:
    method = method_for(feature.kind, method)
    threshold = THRESHOLDS[method] if threshold is None else threshold
    row: dict[str, Any] = {"feature": feature.name, "kind": feature.kind, "method": method, "threshold": threshold,
                           "values": window.valid, "alpha": alpha}  # fmt: skip
    if window.valid < MIN_VALUES or feature.counts.valid == 0:
        return {**row, "statistic": None, "p_value": None, "breached": False, "details": {"note": f"fewer than {MIN_VALUES} values"}}
    values = drift_statistics(feature, window)
    statistic = values[method]
    p = values["p_value"]
    breached = bool(statistic > threshold and p < alpha)
    return {**row, "statistic": statistic, "p_value": p, "breached": breached, "details": values}


def judge_quality(feature: FeatureProfile, window: Counts, limits: dict[str, float], alpha: float) -> dict[str, Any]:
    """Null, type-mismatch, out-of-range and unseen-category rates of one feature."""
    base = feature.counts
    rows = window.rows
    out: dict[str, Any] = {"feature": feature.name, "kind": feature.kind, "rows": rows, "alpha": alpha}
    checks: dict[str, dict[str, Any]] = {}
    if rows == 0:
        return {**out, "breached": False, "breaches": [], "checks": checks}

    def rise(name: str, hits: int, base_hits: int) -> None:
        rate, base_rate = hits / rows, base_hits / base.rows if base.rows else 0.0
        p = stats.proportion_increase_pvalue(base_hits, base.rows, hits, rows)
        checks[name] = {"rate": rate, "baseline_rate": base_rate, "threshold": limits[name], "p_value": p,
                        "breached": bool(rate - base_rate > limits[name] and p < alpha)}  # fmt: skip

    rise("null_rate", window.nulls, base.nulls)
    rise("type_mismatch_rate", window.mismatches, base.mismatches)
    valid = window.valid
    if feature.kind == NUMERIC and valid:
        outside = int(window.counts[0] + window.counts[-1])
        expected = 2 / (base.valid + 1)  # chance that a new value falls outside the range of base.valid ones
        p = stats.outside_range_pvalue(outside, valid, base.valid)
        checks["out_of_range_rate"] = {
            "rate": outside / valid, "expected_rate": expected, "threshold": limits["out_of_range_rate"], "p_value": p,
            "below": int(window.counts[0]), "above": int(window.counts[-1]), "baseline_min": feature.min, "baseline_max": feature.max,
            "breached": bool(outside / valid > limits["out_of_range_rate"] and p < alpha),
        }  # fmt: skip
    if feature.kind == CATEGORICAL and valid and feature.bins.complete:  # type: ignore[union-attr]
        unseen = int(window.counts[-1])
        # The mass of the categories the baseline missed, by Good-Turing (its singletons over its
        # size), raised by z standard errors (Esty) so that a poor estimate costs at most half
        # of alpha; the binomial test gets the other half.
        from scipy.stats import norm

        m = base.valid
        expected = feature.singletons / m + norm.isf(alpha / 2) * math.sqrt(feature.singletons + 2 * feature.doubletons + 1) / m
        p = stats.rate_above_pvalue(unseen, valid, min(expected, 1.0))
        significant = p < alpha / 2
        top = sorted(window.unseen.items(), key=lambda kv: -kv[1])[:5]
        checks["unseen_category_rate"] = {
            "rate": unseen / valid, "expected_rate": expected, "threshold": limits["unseen_category_rate"], "p_value": p,
            "examples": dict(top), "breached": bool(unseen / valid > limits["unseen_category_rate"] and significant),
        }  # fmt: skip
    breaches = [name for name, c in checks.items() if c["breached"]]
    return {**out, "breached": bool(breaches), "breaches": breaches, "checks": checks}


# ---- a whole run --------------------------------------------------------------------------------


def _pick(profile: Profile, wanted: list[str] | None, what: str) -> list[str]:
    if wanted is None:
        return list(profile.features)
    missing = [f for f in wanted if f not in profile.features]
    if missing:
        raise SignalError(f"{what}: no feature named {', '.join(map(repr, missing))}; known: {', '.join(profile.features)}")
    return list(wanted)


def _drift_signal(spec: DriftSignal, profile: Profile, window: dict[str, Counts], alpha: float,
                  importance: dict[str, float] | None) -> dict[str, Any]:  # fmt: skip
    names = _pick(profile, spec.features, spec.type)
    unknown = sorted(set(spec.per_feature) - set(profile.features))
    if unknown:
        raise SignalError(f"{spec.type}.per_feature names unknown feature(s): {', '.join(unknown)}")
    per_test = alpha / max(1, len(names))
    rows = []
    for name in names:
        custom = spec.per_feature.get(name)
        method = (custom.method if custom and custom.method else None) or spec.method
        threshold = custom.threshold if custom and custom.threshold is not None else spec.threshold
        if spec.threshold is not None and method != spec.method and not (custom and custom.threshold is not None):
            threshold = None  # the signal's threshold belongs to the signal's method
        row = judge_drift(profile.features[name], window[name], method, threshold, per_test)
        if importance is not None:
            row["importance"] = importance.get(name)
        rows.append(row)
    drifted = [r["feature"] for r in rows if r["breached"]]
    summary: dict[str, Any] = {"drifted": len(drifted), "drift_share": len(drifted) / len(rows) if rows else 0.0, "alpha_per_feature": per_test}
    if importance:
        summary["weighted_drift_share"] = sum(importance.get(f, 0.0) for f in drifted)
    return {"type": spec.type, "breached": bool(drifted), "tested": len(rows), "breaches": drifted, "summary": summary, "features": rows}


def _quality_signal(spec: QualitySignal, profile: Profile, window: dict[str, Counts], alpha: float) -> dict[str, Any]:
    names = _pick(profile, spec.features, spec.type)
    unknown = sorted(set(spec.per_feature) - set(profile.features))
    if unknown:
        raise SignalError(f"data_quality.per_feature names unknown feature(s): {', '.join(unknown)}")
    per_test = alpha / max(1, 3 * len(names))  # null, type, and range or unseen: three tests a feature
    rows = []
    for name in names:
        limits = {k: getattr(spec, k) for k in ("null_rate", "type_mismatch_rate", "out_of_range_rate", "unseen_category_rate")}
        custom = spec.per_feature.get(name)
        if custom is not None:
            limits.update({k: v for k, v in custom.model_dump().items() if v is not None})
        rows.append(judge_quality(profile.features[name], window[name], limits, per_test))
    bad = [r["feature"] for r in rows if r["breached"]]
    summary = {
        "features_with_issues": len(bad),
        "alpha_per_test": per_test,
        **{f"max_{k}": max((r["checks"][k]["rate"] for r in rows if k in r["checks"]), default=0.0)
           for k in ("null_rate", "type_mismatch_rate", "out_of_range_rate", "unseen_category_rate")},
    }  # fmt: skip
    return {"type": spec.type, "breached": bool(bad), "tested": len(rows), "breaches": bad, "summary": summary, "features": rows}


def evaluate(
    signals: list[Any],
    inputs: tuple[Profile, dict[str, Counts]],
    outputs: tuple[Profile, dict[str, Counts]] | None = None,
    alpha: float = 0.05,
    importance: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Judge every signal of a run; returns one result per signal, in the order given."""
    base_in, win_in = inputs
    testing = {s.type for s in signals if s.type != "weighted_drift"}
    if any(s.type == "weighted_drift" for s in signals):
        testing.add("data_drift")  # its per-feature verdicts are the drift tests
    share = alpha / max(1, len(testing))
    drift_spec = next((s for s in signals if s.type == "data_drift"), None) or DriftSignal(type="data_drift")
    drift = None
    results = []
    for spec in signals:
        if spec.type == "data_drift":
            drift = drift or _drift_signal(drift_spec, base_in, win_in, share, importance)
            results.append(drift)
        elif spec.type == "prediction_drift":
            if outputs is None:
                results.append({"type": spec.type, "breached": False, "tested": 0, "breaches": [], "features": [],
                                "summary": {"error": "no predictions: the window or the baseline has none"}})  # fmt: skip
                continue
            results.append(_drift_signal(spec, outputs[0], outputs[1], share, None))
        elif spec.type == "data_quality":
            results.append(_quality_signal(spec, base_in, win_in, share))
        elif spec.type == "weighted_drift":
            results.append(_weighted(spec, lambda: drift or _drift_signal(drift_spec, base_in, win_in, share, importance), importance))
    return results


def _weighted(spec: WeightedDriftSignal, drift_result, importance: dict[str, float] | None) -> dict[str, Any]:
    if not importance:
        return {"type": spec.type, "breached": False, "tested": 0, "breaches": [], "features": [],
                "summary": {"error": "feature importance needs the model (an endpoint deployment or a batch job's model)"}}  # fmt: skip
    drift = drift_result()
    drifted = set(drift["breaches"])
    share = sum(w for f, w in importance.items() if f in drifted)
    rows = [{"feature": f, "importance": w, "drifted": f in drifted} for f, w in sorted(importance.items(), key=lambda kv: -kv[1])]
    breached = share >= spec.threshold
    return {"type": spec.type, "breached": breached, "tested": len(rows), "breaches": sorted(drifted) if breached else [],
            "summary": {"weighted_drift_share": share, "threshold": spec.threshold}, "features": rows}  # fmt: skip


# ---- what a chart shows -------------------------------------------------------------------------


def histogram(feature: FeatureProfile, window: Counts) -> dict[str, Any]:
    """Baseline and window shares on about twenty bins, for an overlaid bar chart."""
    base = feature.counts
    if feature.kind == CATEGORICAL:
        cats = feature.bins.categories  # type: ignore[union-attr]
        top = min(DISPLAY_CATEGORIES, len(cats))
        nb, nw = max(base.valid, 1), max(window.valid, 1)
        labels = list(cats[:top])
        b = [c / nb for c in base.counts[:top].tolist()]
        w = [c / nw for c in window.counts[:top].tolist()]
        rest_b, rest_w = int(base.counts[top:-1].sum()), int(window.counts[top:-1].sum())
        if rest_b or rest_w:
            labels.append("(other)")
            b.append(rest_b / nb)
            w.append(rest_w / nw)
        if window.counts[-1] or base.counts[-1]:
            labels.append("(unseen)" if feature.bins.complete else "(other)")  # type: ignore[union-attr]
            b.append(int(base.counts[-1]) / nb)
            w.append(int(window.counts[-1]) / nw)
        return {"kind": CATEGORICAL, "labels": labels, "edges": None, "baseline": b, "window": w}
    edges = feature.bins.edges  # type: ignore[union-attr]
    inner = base.counts[1:-1]
    cum = np.cumsum(inner) / max(inner.sum(), 1)
    lo_i = int(np.searchsorted(cum, 0.005))
    hi_i = int(np.searchsorted(cum, 0.995)) + 1
    lo, hi = float(edges[min(lo_i, len(edges) - 1)]), float(edges[min(hi_i, len(edges) - 1)])
    if feature.bins.discrete or hi <= lo:  # type: ignore[union-attr]
        marks = np.unique(np.linspace(0, len(edges) - 1, min(DISPLAY_BINS, len(edges) - 1) + 1).round().astype(int))
    else:
        wanted = np.linspace(lo, hi, DISPLAY_BINS + 1)
        marks = np.unique(np.concatenate([[0], np.searchsorted(edges, wanted), [len(edges) - 1]]))
    starts = np.concatenate([[0], marks + 1, [len(edges)]])  # fine-bin index where each display bin starts
    starts = np.unique(starts[starts <= len(edges)])
    nb, nw = max(base.valid, 1), max(window.valid, 1)
    b = np.add.reduceat(base.counts, starts) / nb
    w = np.add.reduceat(window.counts, starts) / nw
    bounds = [-math.inf] + [float(edges[s - 1]) for s in starts[1:]] + [math.inf]
    labels = [_range_label(bounds[i], bounds[i + 1]) for i in range(len(starts))]
    if feature.bins.discrete:  # type: ignore[union-attr]
        single = np.diff(np.append(starts, base.size)) == 1
        labels = [f"{bounds[i]:.6g}" if single[i] and 0 < i < len(starts) - 1 else labels[i] for i in range(len(starts))]
    first = 0 if b[0] or w[0] else 1  # the tails beyond the baseline's range, when something is there
    last = len(starts) if b[-1] or w[-1] else len(starts) - 1
    return {"kind": NUMERIC, "labels": labels[first:last], "edges": [None if math.isinf(e) else e for e in bounds[first:last + 1]],
            "baseline": b[first:last].tolist(), "window": w[first:last].tolist()}  # fmt: skip


def _range_label(lo: float, hi: float) -> str:
    if lo == -math.inf:
        return f"< {hi:.4g}"
    if hi == math.inf:
        return f">= {lo:.4g}"
    return f"{lo:.4g} – {hi:.4g}"
