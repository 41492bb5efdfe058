"""Drift and data-quality statistics computed from bin counts (never from raw rows).

Every function takes the baseline's and the window's counts over the same bins, so a window can
be folded batch by batch into those bins and the statistics computed once at the end. The
conventions follow Evidently's where it has one (PSI's floor for empty bins, the Wasserstein
distance normed by the baseline's standard deviation, the Jensen-Shannon *distance* with the
natural logarithm); the tests check each against scipy or a hand computation.
"""

from __future__ import annotations

import math

import numpy as np

PSI_FLOOR = 0.0001  # a bin empty on one side counts as this share (Evidently's choice)


def shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def psi(base_counts: np.ndarray, window_counts: np.ndarray) -> float:
    """Population stability index: sum over bins of (q - p) * ln(q / p)."""
    p = np.maximum(shares(base_counts), PSI_FLOOR)
    q = np.maximum(shares(window_counts), PSI_FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def jensen_shannon(base_counts: np.ndarray, window_counts: np.ndarray) -> float:
    """Jensen-Shannon distance (the square root of the divergence, natural log), in [0, sqrt(ln 2)]."""
    p, q = shares(base_counts), shares(window_counts)
    m = (p + q) / 2
    div = 0.0
    for a in (p, q):
        nz = a > 0
        div += 0.5 * float(np.sum(a[nz] * np.log(a[nz] / m[nz])))
    return math.sqrt(max(div, 0.0))


def ks(base_counts: np.ndarray, window_counts: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic over ordered bins, and its asymptotic p-value
    (scipy's ``ks_2samp(method="asymp")``: the one-sample distribution at n*m/(n+m)).

    With bins finer than the data the statistic is exact; with coarser bins it is the supremum
    over the bin edges, never larger than the exact one, so the p-value errs on the high side.
    """
    m, n = float(np.sum(base_counts)), float(np.sum(window_counts))
    if m == 0 or n == 0:
        return 0.0, 1.0
    d = float(np.max(np.abs(np.cumsum(base_counts) / m - np.cumsum(window_counts) / n)))
    return d, ks_pvalue(d, m, n)


def ks_pvalue(d: float, m: float, n: float) -> float:
    en = max(1, round(m * n / (m + n)))
    # Where scipy's kstwo.sf takes twice the exact one-sided Smirnov sum (up to en = 10^6; an
    # approximation above), its loop over about en terms costs 0.3 s at en = 500,000, 1 s at
    # 10^6: seconds for a hundred features that moved a little. The same sum, vectorized.
    if 10_000 < en <= 1_000_000 and 0 < d < 0.5 and 2.2 <= en * d * d < 370:
        return float(min(1.0, max(0.0, 2 * smirnov_sf(en, d))))
    from scipy.stats import kstwo

    return float(min(1.0, max(0.0, kstwo.sf(d, en))))


def smirnov_sf(n: int, x: float) -> float:
    """P(D+_n >= x), the one-sided Kolmogorov-Smirnov tail (``scipy.special.smirnov``), by the
    same Birnbaum-Tingey sum, its terms vectorized:

        x * sum over v = 0 .. n(1 - x) of  C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v)

    A term is x/p times the binomial probability of v in n at p = x + v/n, computed as Loader's
    (saddle point) binomial, so the logs stay small and each term keeps about 12 digits.
    """
    nx = n * x
    v = np.arange(1, math.floor(n - nx) + 1, dtype=np.float64)  # v = 0 apart; terms with n - v - nx = 0 vanish
    w = n - v
    nq = w - nx  # n (1 - p)
    keep = nq > 0
    v, w, nq = v[keep], w[keep], nq[keep]
    # bd0(v, np) + bd0(n - v, nq), where np = v + nx: the +nx and -nx of the two cancel exactly
    dev = v * np.log1p(-nx / (v + nx)) + w * np.log1p(nx / nq)
    log_terms = _stirlerr(float(n)) - _stirlerr(v) - _stirlerr(w) - dev
    log_terms += 0.5 * np.log(n / (2 * math.pi * v * w)) + np.log(x / (x + v / n))
    log_terms = np.append(log_terms, n * math.log1p(-x))  # v = 0: (1 - x)^n
    top = float(log_terms.max())  # summed relative to the largest, so a tail near 1e-320 is not lost
    return math.exp(top + math.log(float(np.sum(np.exp(log_terms - top)))))


def _stirlerr(k):
    """log(k!) - log(sqrt(2 pi k) (k/e)^k): the series for k > 15, the logs below."""
    from scipy.special import gammaln

    k = np.asarray(k, dtype=np.float64)
    out = np.empty_like(k)
    big = k > 15
    kb = k[big]
    inv2 = 1.0 / (kb * kb)
    out[big] = (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188)))) / kb
    ks = k[~big]
    out[~big] = gammaln(ks + 1) - (ks + 0.5) * np.log(ks) + ks - 0.5 * math.log(2 * math.pi)
    return out if out.ndim else float(out)


def wasserstein(base_counts: np.ndarray, base_sums: np.ndarray, window_counts: np.ndarray, window_sums: np.ndarray) -> float:
    """First Wasserstein distance (the area between the two CDFs) from binned values.

    Each side gives, per bin, its count and the sum of its values; the values of a bin are taken
    to sit at their mean. That is exact for discrete features (one value per bin) and, with bins
    at a thousand quantiles, within a fraction of a percent of the exact distance for ordinary
    distributions (the widest, the tail bins, are where the error lives). Values outside the
    baseline's range are in the two tail bins with their real mean, so a shift far away
    counts in full.
    """
    base_counts = np.asarray(base_counts, dtype=np.float64)
    window_counts = np.asarray(window_counts, dtype=np.float64)
    m, n = base_counts.sum(), window_counts.sum()
    if m == 0 or n == 0:
        return 0.0
    size = len(base_counts)
    means_b = np.divide(base_sums, base_counts, out=np.zeros(size), where=base_counts > 0)
    means_w = np.divide(window_sums, window_counts, out=np.zeros(size), where=window_counts > 0)
    pos = np.concatenate([means_b, means_w])
    df = np.concatenate([base_counts / m, np.zeros(size)])
    dg = np.concatenate([np.zeros(size), window_counts / n])
    keep = (df + dg) > 0
    pos, df, dg = pos[keep], df[keep], dg[keep]
    order = np.argsort(pos, kind="stable")
    pos, df, dg = pos[order], df[order], dg[order]
    return float(np.sum(np.abs(np.cumsum(df) - np.cumsum(dg))[:-1] * np.diff(pos)))


def pool_rare(base_counts: np.ndarray, window_counts: np.ndarray, min_expected: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Merge the categories whose expected count (both samples pooled) is under ``min_expected``
    on either side into one, and drop categories empty on both sides. Rare categories make the
    chi-squared approximation poor and inflate PSI and Jensen-Shannon with sampling noise."""
    base = np.asarray(base_counts, dtype=np.float64)
    win = np.asarray(window_counts, dtype=np.float64)
    keep = (base + win) > 0
    base, win = base[keep], win[keep]
    m, n = base.sum(), win.sum()
    if m == 0 or n == 0:
        return base, win
    total = base + win
    small = np.minimum(total * m, total * n) / (m + n) < min_expected
    if small.any():
        base = np.append(base[~small], base[small].sum())
        win = np.append(win[~small], win[small].sum())
    return base, win


def chi_squared(base_counts: np.ndarray, window_counts: np.ndarray) -> tuple[float, float]:
    """Chi-squared test that the baseline and the window share one categorical distribution
    (``scipy.stats.chi2_contingency`` on the 2 x k table, without continuity correction).
    Pool rare categories first (:func:`pool_rare`); a table with one column tests nothing."""
    from scipy.stats import chi2

    base = np.asarray(base_counts, dtype=np.float64)
    win = np.asarray(window_counts, dtype=np.float64)
    keep = (base + win) > 0
    base, win = base[keep], win[keep]
    m, n = base.sum(), win.sum()
    if m == 0 or n == 0 or len(base) < 2:
        return 0.0, 1.0
    total = base + win
    exp_base, exp_win = total * m / (m + n), total * n / (m + n)
    stat = float(np.sum((base - exp_base) ** 2 / exp_base) + np.sum((win - exp_win) ** 2 / exp_win))
    return stat, float(chi2.sf(stat, len(base) - 1))


def proportion_increase_pvalue(base_hits: float, base_total: float, window_hits: float, window_total: float) -> float:
    """One-sided Fisher exact test that the window's rate is higher than the baseline's: the
    chance, with both samples drawn from one population, that the window gets ``window_hits``
    or more of all the hits (``scipy.stats.fisher_exact(..., alternative="greater")``)."""
    from scipy.stats import hypergeom

    if base_total == 0 or window_total == 0 or window_hits == 0:
        return 1.0
    total = int(base_total + window_total)
    hits = int(base_hits + window_hits)
    return float(min(1.0, hypergeom.sf(int(window_hits) - 1, total, hits, int(window_total))))


def rate_above_pvalue(hits: float, total: float, expected_rate: float) -> float:
    """One-sided binomial test: how likely ``hits`` or more out of ``total`` at ``expected_rate``."""
    from scipy.stats import binom

    if total == 0 or hits == 0:
        return 1.0
    if expected_rate <= 0:
        return 0.0
    return float(binom.sf(hits - 1, int(total), min(expected_rate, 1.0)))


def outside_range_pvalue(outside: int, window_total: int, base_total: int) -> float:
    """How likely ``outside`` or more of ``window_total`` new values fall outside the range of
    ``base_total`` baseline values drawn from the same distribution.

    For exchangeable draws, the chance that the ``j`` largest of all ``m + n`` values are all
    new is C(n, j) / C(m + n, j) (likewise for the smallest); ``outside`` values beyond the
    two ends put at least half of them beyond one end, so twice that chance at half the count
    bounds the p-value from above (ties only make values outside rarer).
    """
    if outside <= 0 or window_total <= 0:
        return 1.0
    if base_total <= 0:
        return 0.0
    j = math.ceil(outside / 2)
    n, m = window_total, base_total
    if j > n:
        return 0.0
    log_p = (math.lgamma(n + 1) - math.lgamma(n - j + 1)) - (math.lgamma(n + m + 1) - math.lgamma(n + m - j + 1))
    return float(min(1.0, 2 * math.exp(log_p)))

