"""The monitoring signals engine: each statistic against scipy or a hand computation, binning,
incremental windows, data quality, and the false-alarm rate on unshifted data."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from jupyter_mlservice.core.monitoring import stats
from jupyter_mlservice.core.monitoring.importance import permutation_importance
from jupyter_mlservice.core.monitoring.schemas import DriftSignal, QualitySignal, WeightedDriftSignal
from jupyter_mlservice.core.monitoring.profile import NumericBins, Profile, build_profile
from jupyter_mlservice.core.monitoring.signals import SignalError, evaluate, histogram, judge_drift


def profile_of(table: pa.Table, **kw) -> Profile:
    return build_profile(lambda: table.to_batches(max_chunksize=max(1, table.num_rows // 3)), **kw)


def drift_row(result: list[dict], feature: str, signal: str = "data_drift") -> dict:
    sig = next(r for r in result if r["type"] == signal)
    return next(f for f in sig["features"] if f["feature"] == feature)


# ---- statistics -------------------------------------------------------------------------------


def test_ks_on_discrete_values_equals_scipy_exactly():
    rng = np.random.default_rng(0)
    base, win = rng.poisson(4, 3000), rng.poisson(4.4, 700)
    p = profile_of(pa.table({"x": base}))
    w = p.window([pa.table({"x": win})])["x"]
    d, pvalue = stats.ks(p.features["x"].counts.counts, w.counts)
    ref = sps.ks_2samp(base, win, method="asymp")
    assert p.features["x"].bins.discrete
    assert d == pytest.approx(ref.statistic, abs=1e-12)
    assert pvalue == pytest.approx(ref.pvalue, rel=1e-6)


@pytest.mark.parametrize("en", [10_001, 123_457, 500_000])
def test_ks_pvalue_on_large_windows_equals_scipys_kstwo(en):
    # where scipy sums the Smirnov series in a loop (the slow case: small but real shifts) ours
    # sums the same series vectorized; on either side of that region it is scipy's own call
    for nxsq in (1.0, 2.2, 3.0, 10.0, 60.0, 300.0, 400.0):
        d = math.sqrt(nxsq / en)
        assert stats.ks_pvalue(d, 2 * en, 2 * en) == pytest.approx(sps.kstwo.sf(d, en), rel=1e-10, abs=1e-300)


def test_ks_on_continuous_values_is_within_a_bin_of_scipy():
    rng = np.random.default_rng(1)
    base, win = rng.normal(size=50_000), rng.normal(0.05, 1.1, size=4000)
    p = profile_of(pa.table({"x": base}))
    d, _ = stats.ks(p.features["x"].counts.counts, p.window([pa.table({"x": win})])["x"].counts)
    # the supremum is taken at the bin edges: never above the exact one, at most a bin's mass below
    exact = sps.ks_2samp(base, win).statistic
    assert exact - 2 / 1000 <= d <= exact + 1e-12


@pytest.mark.parametrize("make", [
    lambda rng, n, s: rng.normal(s, 1, n),
    lambda rng, n, s: rng.exponential(1 + s, n),
    lambda rng, n, s: rng.standard_t(3, n) + s,
    lambda rng, n, s: rng.integers(0, 20, n) + (rng.random(n) < s),
], ids=["normal", "exponential", "student-t", "integers"])  # fmt: skip
def test_wasserstein_matches_scipy_and_is_normed_by_the_baseline_std(make):
    rng = np.random.default_rng(2)
    base, win = make(rng, 40_000, 0.0), make(rng, 5000, 0.3)
    p = profile_of(pa.table({"x": base}))
    f = p.features["x"]
    w = p.window([pa.table({"x": win})])["x"]
    raw = stats.wasserstein(f.counts.counts, f.counts.sums, w.counts, w.sums)
    assert raw == pytest.approx(sps.wasserstein_distance(base, win), rel=0.01)
    row = judge_drift(f, w, "wasserstein", None, alpha=0.05)
    assert row["statistic"] == pytest.approx(raw / np.std(base), rel=1e-9)  # Evidently's normalisation


def test_wasserstein_counts_values_far_outside_the_baseline_in_full():
    base = np.linspace(0, 1, 1001)
    win = np.full(100, 11.0)  # everything moved 10.5 beyond the mean, far outside the range
    p = profile_of(pa.table({"x": base}))
    f = p.features["x"]
    w = p.window([pa.table({"x": win})])["x"]
    assert stats.wasserstein(f.counts.counts, f.counts.sums, w.counts, w.sums) == pytest.approx(
        sps.wasserstein_distance(base, win), rel=1e-3
    )


def test_psi_by_hand():
    base, win = np.array([50, 30, 20]), np.array([30, 30, 40])
    p, q = base / 100, win / 100
    by_hand = sum((qi - pi) * math.log(qi / pi) for pi, qi in zip(p, q))
    assert stats.psi(base, win) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(0.2407, abs=1e-4)
    # an empty bin counts as 0.0001, as in Evidently
    assert stats.psi(np.array([100, 0]), np.array([90, 10])) == pytest.approx(
        (0.9 - 1) * math.log(0.9 / 1) + (0.1 - 0.0001) * math.log(0.1 / 0.0001)
    )


def test_jensen_shannon_is_scipys_distance():
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, b = rng.integers(0, 50, 8), rng.integers(0, 50, 8)
        a[0] = 0
        assert stats.jensen_shannon(a, b) == pytest.approx(jensenshannon(a / a.sum(), b / b.sum()), abs=1e-12)
    assert stats.jensen_shannon(np.array([1, 0]), np.array([0, 1])) == pytest.approx(math.sqrt(math.log(2)))


def test_chi_squared_is_scipys_contingency_test_without_correction():
    base, win = np.array([120, 80, 60, 40]), np.array([40, 50, 20, 30])
    stat, p = stats.chi_squared(base, win)
    ref = sps.chi2_contingency(np.array([base, win]), correction=False)
    assert stat == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)


def test_rare_categories_are_pooled_before_testing():
    base, win = np.array([500, 400, 2, 1, 0]), np.array([50, 40, 0, 1, 3])
    pb, pw = stats.pool_rare(base, win)
    assert pb.tolist() == [500, 400, 3] and pw.tolist() == [50, 40, 4]


def test_rate_tests_match_scipy_and_exchangeable_chances():
    assert stats.proportion_increase_pvalue(500, 5000, 20, 100) == pytest.approx(
        sps.fisher_exact([[20, 80], [500, 4500]], alternative="greater").pvalue
    )
    assert stats.rate_above_pvalue(7, 100, 0.02) == pytest.approx(sps.binomtest(7, 100, 0.02, alternative="greater").pvalue)
    # one new value among n=1 beyond m=3 old ones: 2 * C(1,1)/C(4,1) = 1/2 (the two ends)
    assert stats.outside_range_pvalue(1, 1, 3) == pytest.approx(0.5)
    # two beyond: at least one beyond one end: 2 * C(5,1)/C(15,1)
    assert stats.outside_range_pvalue(2, 5, 10) == pytest.approx(2 * 5 / 15)


# ---- bins and windows -------------------------------------------------------------------------


@pytest.mark.parametrize("values", [
    np.random.default_rng(4).normal(size=20_000),
    np.random.default_rng(5).lognormal(0, 3, size=20_000),  # heavy tail: crowded grid cells, counted by sorting
    np.round(np.random.default_rng(6).normal(size=20_000), 1),  # ties
], ids=["normal", "lognormal", "ties"])  # fmt: skip
def test_binning_equals_a_binary_search_on_the_edges(values):
    f = profile_of(pa.table({"x": values})).features["x"]
    assert f.bins.by_sorting == (values.min() > 0)  # the lognormal one
    probe = np.concatenate([values, values * 1.7 - 3, [f.min, f.max, f.min - 1, f.max + 1], f.bins.edges])
    expected = np.searchsorted(f.bins.edges, probe, side="right")
    assert np.array_equal(f.bins.bin(probe), expected)
    # counting by sorting (what heavy tails use) gives the same counts and sums
    grid = NumericBins(f.bins.edges, f.bins.discrete, f.bins.coarse, by_sorting=False).count(probe)
    sort = NumericBins(f.bins.edges, f.bins.discrete, f.bins.coarse, by_sorting=True).count(probe)
    assert np.array_equal(grid[0], np.bincount(expected, minlength=f.bins.size)) and np.array_equal(grid[0], sort[0])
    assert np.allclose(grid[1], sort[1], rtol=1e-9, atol=1e-6)


def test_a_window_folded_batch_by_batch_equals_one_fold():
    rng = np.random.default_rng(7)
    table = pa.table({"x": rng.normal(size=9000), "c": rng.choice(["a", "b", "c", "d"], 9000)})
    p = profile_of(table)
    window = pa.table({"x": rng.normal(0.2, size=5000), "c": rng.choice(["a", "b", "e"], 5000)})
    whole = p.window([window])
    pieces = p.window(window.to_batches(max_chunksize=333))
    for name in ("x", "c"):
        a, b = whole[name].to_dict(), pieces[name].to_dict()
        sums_a, sums_b = a.pop("sums"), b.pop("sums")
        assert a == b
        assert sums_a is None and sums_b is None or np.allclose(sums_a, sums_b)  # the order of additions differs
    assert pieces["c"].unseen == {"e": int(np.sum(window["c"].to_numpy(zero_copy_only=False) == "e"))}


def test_edges_from_a_sample_are_widened_to_the_exact_range(tmp_path):
    import pyarrow.parquet as pq

    from jupyter_mlservice.core.monitoring.sources import file_batches, spread_sample

    rng = np.random.default_rng(17)
    values = np.sort(rng.normal(size=200_000))  # ordered: the sampled row groups miss both ends
    path = tmp_path / "baseline.parquet"
    pq.write_table(pa.table({"x": values}), path, row_group_size=10_000)
    sample = spread_sample([path], 30_000)
    groups = [b.num_rows for b in sample()]
    assert 30_000 <= sum(groups) < 100_000  # a few row groups, not the file
    p = build_profile(lambda: file_batches([path]), open_sample=lambda: [pa.table({"x": values[50_000:150_000]})])
    f = p.features["x"]
    assert f.bins.edges[0] == values.min() and f.bins.edges[-1] == np.nextafter(values.max(), np.inf)
    assert f.counts.counts.sum() == 200_000 and f.counts.counts[0] == 0 and f.counts.counts[-1] == 0
    assert f.counts.counts[1] == np.sum(values < values[50_000])  # the widened end bin kept its values
    window = rng.normal(0.2, 1, 5000)
    w = p.window([pa.table({"x": window})])["x"]
    assert stats.wasserstein(f.counts.counts, f.counts.sums, w.counts, w.sums) == pytest.approx(sps.wasserstein_distance(values, window), rel=0.02)
    assert f.mean == pytest.approx(values.mean()) and f.std == pytest.approx(values.std())


def test_parquet_text_read_as_dictionaries_profiles_as_the_text_it_stores(tmp_path):
    import pyarrow.parquet as pq

    from jupyter_mlservice.core.monitoring.sources import file_batches

    rng = np.random.default_rng(5)
    text = rng.choice(["u", "v", "w", None], 30_000, p=[0.5, 0.3, 0.15, 0.05])
    cat = pa.array(rng.choice(["a", "b"], 30_000)).dictionary_encode()  # a dictionary column as stored (pandas category)
    table = pa.table({"t": pa.array(text, pa.string()), "d": cat, "x": rng.normal(size=30_000)})
    path = tmp_path / "baseline.parquet"
    pq.write_table(table, path, row_group_size=7_000)
    assert pa.types.is_dictionary(next(iter(file_batches([path]))).column("t").type)  # read as codes

    p = build_profile(lambda: file_batches([path]), sample_rows=500)
    plain = profile_of(table)
    assert p.features["t"].dtype == "string" and p.features["d"].dtype == str(cat.type)
    for name in ("t", "d"):
        assert p.features[name].counts.to_dict() == plain.features[name].counts.to_dict()
        assert p.features[name].bins.categories == plain.features[name].bins.categories
    assert p.sample.schema.field("t").type == pa.string() and p.sample.schema.field("d").type == cat.type

    window = pa.table({"t": pa.array(["z", "y", "u", "y", "z", None] * 10, pa.string())})
    wpath = tmp_path / "window.parquet"
    pq.write_table(window, wpath)
    a, b = p.window(file_batches([wpath]))["t"], plain.window([window])["t"]
    assert a.to_dict() == b.to_dict() and list(a.unseen) == list(b.unseen) == ["z", "y"]  # ties keep first-seen order


def test_a_reader_failing_midway_fails_the_profile():
    def batches():
        yield pa.record_batch({"x": np.arange(10.0)})
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        build_profile(batches, threads=2)


def test_profile_round_trips_through_json():
    rng = np.random.default_rng(8)
    p = profile_of(pa.table({"x": rng.normal(size=3000), "n": rng.integers(0, 4, 3000), "c": rng.choice(["u", "v"], 3000)}))
    again = Profile.from_dict(json.loads(json.dumps(p.to_dict())))
    window = [pa.table({"x": rng.normal(size=500), "n": rng.integers(0, 4, 500), "c": rng.choice(["u", "v"], 500)})]
    a, b = p.window(window), again.window(window)
    assert {k: v.to_dict() for k, v in a.items()} == {k: v.to_dict() for k, v in b.items()}
    assert isinstance(again.features["x"].bins, NumericBins) and again.features["c"].bins.categories == p.features["c"].bins.categories


def test_kinds_follow_arrow_types_unless_overridden():
    table = pa.table({"f": [1.5, 2.5] * 50, "i": list(range(100)), "s": ["a", "b"] * 50, "b": [True, False] * 50, "l": [[1]] * 100})
    p = profile_of(table)
    assert {n: f.kind for n, f in p.features.items()} == {"f": "numeric", "i": "numeric", "s": "categorical", "b": "categorical"}
    assert profile_of(table, kinds={"i": "categorical"}).features["i"].kind == "categorical"
    with pytest.raises(ValueError, match="no column 'zz'"):
        profile_of(table, kinds={"zz": "numeric"})


# ---- data quality -----------------------------------------------------------------------------


def test_data_quality_finds_nulls_type_mismatches_out_of_range_values_and_unseen_categories():
    rng = np.random.default_rng(9)
    n = 5000
    p = profile_of(pa.table({"x": rng.normal(size=n), "c": rng.choice(["a", "b", "c"], n), "y": rng.normal(size=n)}))
    k = 1000
    x = rng.normal(size=k).astype(object)
    x[:100] = None  # 10% nulls
    text = np.array([str(float(v)) for v in rng.normal(size=k)], dtype=object)
    text[:50] = "n/a"  # 5% text that is not a number; the rest are numbers written as text
    y = rng.normal(size=k)
    y[:80] = 50.0  # 8% far above the baseline's maximum
    c = rng.choice(["a", "b", "c"], k).astype(object)
    c[:40] = "zebra"  # 4% a category the baseline never had
    window = pa.table({"x": pa.array(x.tolist(), pa.float64()), "c": pa.array(c.tolist()), "y": y, "t": text})
    p2 = profile_of(pa.table({"x": rng.normal(size=n), "c": rng.choice(["a", "b", "c"], n), "y": rng.normal(size=n), "t": rng.normal(size=n)}))
    (quality,) = evaluate([QualitySignal(type="data_quality")], (p2, p2.window([window])))
    rows = {r["feature"]: r for r in quality["features"]}
    assert quality["breached"] and sorted(quality["breaches"]) == ["c", "t", "x", "y"]
    assert rows["x"]["breaches"] == ["null_rate"] and rows["x"]["checks"]["null_rate"]["rate"] == pytest.approx(0.1)
    assert rows["t"]["breaches"] == ["type_mismatch_rate"] and rows["t"]["checks"]["type_mismatch_rate"]["rate"] == pytest.approx(0.05)
    assert rows["y"]["breaches"] == ["out_of_range_rate"] and rows["y"]["checks"]["out_of_range_rate"]["above"] == 80
    assert rows["c"]["breaches"] == ["unseen_category_rate"] and rows["c"]["checks"]["unseen_category_rate"]["examples"] == {"zebra": 40}
    assert p  # the first profile only checks that x, c, y alone profile fine


def test_a_feature_missing_from_the_window_is_all_nulls():
    rng = np.random.default_rng(10)
    p = profile_of(pa.table({"x": rng.normal(size=2000), "y": rng.normal(size=2000)}))
    (quality,) = evaluate([QualitySignal(type="data_quality")], (p, p.window([pa.table({"x": rng.normal(size=300)})])))
    y = next(r for r in quality["features"] if r["feature"] == "y")
    assert y["checks"]["null_rate"]["rate"] == 1.0 and y["breaches"] == ["null_rate"]


# ---- drift verdicts ---------------------------------------------------------------------------


def shifted_and_not(rng, n: int, shift: float) -> pa.Table:
    return pa.table({
        "moved": rng.normal(shift, 1, n),
        "still": rng.normal(0, 1, n),
        "cat_moved": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2] if not shift else [0.2, 0.3, 0.5]),
        "cat_still": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
    })  # fmt: skip


@pytest.mark.parametrize("rows", [200, 5000, 200_000])
def test_shifted_features_drift_and_the_others_do_not(rows):
    rng = np.random.default_rng(11)
    p = profile_of(shifted_and_not(rng, 20_000, 0.0))
    result = evaluate([DriftSignal(type="data_drift")], (p, p.window([shifted_and_not(rng, rows, 0.8)])))
    assert sorted(result[0]["breaches"]) == ["cat_moved", "moved"]
    row = drift_row(result, "moved")
    assert row["method"] == "wasserstein" and row["threshold"] == 0.1 and row["alpha"] == pytest.approx(0.05 / 4)
    assert drift_row(result, "cat_moved")["method"] == "jensen_shannon"


def test_a_tiny_shift_in_a_huge_window_is_significant_but_not_drift():
    rng = np.random.default_rng(12)
    p = profile_of(pa.table({"x": rng.normal(size=200_000)}))
    result = evaluate([DriftSignal(type="data_drift")], (p, p.window([pa.table({"x": rng.normal(0.03, 1, 200_000)})])))
    row = drift_row(result, "x")
    assert row["p_value"] < 1e-6 and row["statistic"] < 0.1 and not row["breached"]


def test_methods_and_thresholds_can_be_set_per_feature():
    rng = np.random.default_rng(13)
    p = profile_of(shifted_and_not(rng, 5000, 0.0))
    window = p.window([shifted_and_not(rng, 3000, 0.8)])
    spec = DriftSignal.model_validate({
        "type": "data_drift", "method": "psi",
        "per_feature": {"moved": {"threshold": 5.0}, "cat_moved": {"method": "chi_squared"}, "still": {"method": "ks"}},
    })  # fmt: skip
    result = evaluate([spec], (p, window))
    assert drift_row(result, "moved")["method"] == "psi" and not drift_row(result, "moved")["breached"]
    assert drift_row(result, "cat_moved")["method"] == "chi_squared" and drift_row(result, "cat_moved")["breached"]
    assert drift_row(result, "still")["method"] == "ks" and drift_row(result, "still")["threshold"] == 0.1
    with pytest.raises(SignalError, match="does not apply to categorical"):
        evaluate([DriftSignal.model_validate({"type": "data_drift", "per_feature": {"cat_still": {"method": "ks"}}})], (p, window))


def test_weighted_drift_counts_the_importance_of_the_drifted_features():
    rng = np.random.default_rng(14)
    p = profile_of(shifted_and_not(rng, 5000, 0.0))
    window = p.window([shifted_and_not(rng, 3000, 0.8)])
    importance = {"moved": 0.1, "still": 0.6, "cat_moved": 0.1, "cat_still": 0.2}
    result = evaluate([WeightedDriftSignal(type="weighted_drift", threshold=0.3)], (p, window), importance=importance)
    assert result[0]["summary"]["weighted_drift_share"] == pytest.approx(0.2) and not result[0]["breached"]
    result = evaluate([WeightedDriftSignal(type="weighted_drift", threshold=0.15)], (p, window), importance=importance)
    assert result[0]["breached"] and result[0]["breaches"] == ["cat_moved", "moved"]


def test_permutation_importance_finds_the_feature_the_model_uses():
    rng = np.random.default_rng(15)
    table = pa.table({"a": rng.normal(size=3000), "b": rng.normal(size=3000), "c": rng.normal(size=3000)})

    def predict(frame):
        return (frame["a"] + 0.2 * frame["b"] > 0).astype(int)

    imp = permutation_importance(predict, table, ["a", "b", "c"])
    assert sum(imp.values()) == pytest.approx(1.0)
    assert imp["a"] > 0.6 and imp["c"] == 0.0 and imp["a"] > imp["b"] > imp["c"]


def test_histograms_overlay_baseline_and_window_shares():
    rng = np.random.default_rng(16)
    p = profile_of(shifted_and_not(rng, 5000, 0.0))
    window = p.window([shifted_and_not(rng, 3000, 0.8)])
    h = histogram(p.features["moved"], window["moved"])
    assert len(h["labels"]) == len(h["baseline"]) == len(h["window"]) == len(h["edges"]) - 1
    assert sum(h["baseline"]) == pytest.approx(1) and sum(h["window"]) == pytest.approx(1)
    assert 15 <= len(h["labels"]) <= 24
    c = histogram(p.features["cat_moved"], window["cat_moved"])
    assert c["labels"] == ["a", "b", "c"] and c["window"][2] > c["baseline"][2]


# ---- false alarms -----------------------------------------------------------------------------


def unshifted(rng, n: int) -> pa.Table:
    return pa.table({
        "normal": rng.normal(size=n),
        "skewed": rng.lognormal(0, 1, n),
        "counts": rng.poisson(3, n),
        "sparse": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        "colour": rng.choice(["red", "green", "blue", "grey"], n, p=[0.5, 0.3, 0.15, 0.05]),
        "city": pa.array(rng.zipf(1.6, n).clip(max=10**6)).cast(pa.string()),  # a long tail of rare names
    })  # fmt: skip


def test_at_most_five_percent_of_runs_alarm_on_unshifted_data():
    """Seeded simulated monitor runs: a fresh baseline of 5,000 rows per seed, windows of 100 to
    100,000 rows from the same distribution, all three default signals on six features of
    different shapes (a long-tailed category among them) and a model's output."""
    signals = [DriftSignal(type="data_drift"), DriftSignal(type="prediction_drift"), QualitySignal(type="data_quality")]
    runs = {100: 120, 1000: 120, 10_000: 80, 100_000: 30}
    alarms = dict.fromkeys(runs, 0)

    def label(t):  # a model's output: a class from two of the inputs
        return pa.table({"prediction": (np.asarray(t["normal"]) + np.log(np.asarray(t["skewed"])) > 0.5).astype(np.int64)})

    for seed in range(max(runs.values())):
        rng = np.random.default_rng(1000 + seed)
        base = unshifted(rng, 5000)
        p, out = profile_of(base), profile_of(label(base))
        for rows, count in runs.items():
            if seed >= count:
                continue
            window = unshifted(rng, rows)
            result = evaluate(signals, (p, p.window([window])), (out, out.window([label(window)])), alpha=0.05)
            alarms[rows] += any(r["breached"] for r in result)
    rates = {rows: alarms[rows] / runs[rows] for rows in runs}
    assert all(rate <= 0.05 for rate in rates.values()), f"share of runs that alarmed, by window rows: {rates}"
