"""The sweep engine in-process: search spaces are checked, every sampling mode and every early-
termination policy does what the README says. Trials here are functions; test_sweeps_core.py
runs trials as jobs."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from jupyter_mlservice.core.sweeps.engine import Progress, SweepEngine, grid_size, open_storage
from jupyter_mlservice.core.sweeps.schemas import SweepCreate
from jupyter_mlservice.sweep import choice, loguniform, normal, randint, to_json, uniform

TRIAL = {"kind": "code", "source": "pass"}


def spec(space, **kw) -> SweepCreate:
    kw.setdefault("objective", {"metric": "score", "goal": "maximize"})
    return SweepCreate(trial=TRIAL, search_space=to_json(space), **kw)


def engine(tmp_path, s: SweepCreate, name="s") -> SweepEngine:
    return SweepEngine(s, open_storage(tmp_path, "sqlite:///unused.db", name), study_name=name)


@pytest.mark.parametrize(
    "space, message",
    [
        ({"k": choice()}, "k.*choice needs at least one value"),
        ({"alpha": uniform(1, 1)}, "alpha.*low < high"),
        ({"alpha": loguniform(0, 1)}, "alpha.*loguniform needs low > 0"),
        ({"lr": loguniform(-1, 1)}, "lr.*log of -1 is undefined"),
        ({"n": randint(5, 2)}, "n.*low < high"),
        ({"z": normal(0, 0)}, "z.*sigma > 0"),
    ],
)
def test_bad_search_spaces_are_refused_naming_the_parameter(space, message):
    with pytest.raises(ValidationError, match="(?s)" + message):
        spec(space)


def test_grid_sampling_needs_discrete_parameters():
    with pytest.raises(ValidationError, match="grid sampling needs choice or randint parameters; 'alpha' is uniform"):
        spec({"alpha": uniform(0, 1), "k": choice("a", "b")}, sampling="grid")


def test_grid_sampling_visits_every_point_once(tmp_path):
    s = spec({"k": choice("rbf", "linear"), "n": randint(1, 3)}, sampling="grid")
    assert grid_size(s) == 6
    e = engine(tmp_path, s)
    points = [e.ask()[2] for _ in range(6)]
    assert sorted((p["k"], p["n"]) for p in points) == sorted((k, n) for k in ("rbf", "linear") for n in (1, 2, 3))


def test_random_sampling_is_reproducible_with_a_seed_and_stays_in_range(tmp_path):
    s = spec({"alpha": loguniform(1e-4, 1), "n": randint(1, 10), "z": normal(5, 0.1)}, seed=7)
    a = [engine(tmp_path, s, "a").ask()[2] for _ in range(1)] + [p for p in (engine(tmp_path, s, "a2").ask()[2],)]
    assert a[0] == a[1]  # the same seed samples the same first point
    e = engine(tmp_path, s, "b")
    points = [e.ask()[2] for _ in range(50)]
    assert all(1e-4 <= p["alpha"] <= 1 and 1 <= p["n"] <= 10 and isinstance(p["n"], int) for p in points)
    # log-uniform: about as many draws below 1e-2 as above it
    assert 10 < sum(p["alpha"] < 1e-2 for p in points) < 40
    zs = [p["z"] for p in points]
    assert abs(sum(zs) / len(zs) - 5) < 0.1 and 4.5 < min(zs) and max(zs) < 5.5  # normal(5, 0.1)


def _run_in_process(e: SweepEngine, f, trials: int):
    best = []
    for _ in range(trials):
        _, tid, params = e.ask()
        value = f(params)
        e.tell(tid, "complete", value)
        best.append(value)
    return best


def test_bayesian_sampling_concentrates_near_the_optimum_where_random_does_not(tmp_path):
    def f(p):
        return -((p["x"] - 0.7) ** 2)

    space = {"x": uniform(0, 1)}
    tpe = _run_in_process(engine(tmp_path, spec(space, sampling="bayesian", seed=1, limits={"max_trials": 40}), "tpe"), f, 40)
    rnd = _run_in_process(engine(tmp_path, spec(space, sampling="random", seed=1), "rnd"), f, 40)
    late_tpe = sum(tpe[-15:]) / 15
    late_rnd = sum(rnd[-15:]) / 15
    assert late_tpe > late_rnd * 0.3  # TPE's late trials sit much closer to x = 0.7
    assert max(tpe) > -1e-3


def _curve(final: float, steps: int = 10, offset: float = 0.0):
    """A learning curve rising to `final`."""
    return [(s, final * (1 - math.exp(-(s + 1) / 3)) + offset) for s in range(steps)]


def _completed(e: SweepEngine, finals: list[float]):
    for f in finals:
        _, tid, _ = e.ask()
        e.report(tid, _curve(f), Progress(), judge=False)
        e.tell(tid, "complete", _curve(f)[-1][1])


@pytest.mark.parametrize(
    "policy, expect",
    [
        ({"policy": "median", "min_completed_trials": 3}, "median policy: the best score so far"),
        ({"policy": "truncation", "truncation_percentage": 30, "min_completed_trials": 3}, "truncation policy"),
        ({"policy": "bandit", "slack_factor": 0.1, "min_completed_trials": 3}, "bandit policy: score"),
        ({"policy": "hyperband", "min_resource": 1, "max_resource": 10, "reduction_factor": 3}, "hyperband policy"),
    ],
)
def test_each_policy_stops_a_clearly_worse_trial_early_with_its_reason(tmp_path, policy, expect):
    e = engine(tmp_path, spec({"x": uniform(0, 1)}, early_termination=policy))
    # hyperband compares a trial with the others of its bracket (of 3 here): give each several
    _completed(e, [1.0, 0.95, 0.9, 0.97, 1.02, 0.93] * (3 if policy["policy"] == "hyperband" else 1))
    _, tid, _ = e.ask()
    progress = Progress()
    reason = None
    for point in _curve(0.2):  # one tick per step, as the controller reads them
        reason = e.report(tid, [point], progress)
        if reason:
            break
    assert reason is not None and expect in reason, reason
    assert progress.last_step < 9  # stopped before the trial's last step
    # and a trial as good as the others runs to the end
    _, tid2, _ = e.ask()
    p2 = Progress()
    assert not any(e.report(tid2, [pt], p2) for pt in _curve(1.05)[: (progress.last_step + 1)])


def test_no_policy_never_stops_a_trial(tmp_path):
    e = engine(tmp_path, spec({"x": uniform(0, 1)}))
    _completed(e, [1.0, 1.0, 1.0])
    _, tid, _ = e.ask()
    assert e.report(tid, _curve(0.1), Progress()) is None


def test_consecutive_tolerates_one_noisy_dip_that_stops_a_trial_without_it(tmp_path):
    noisy = [(s, v) for s, v in _curve(1.0)]
    noisy[4] = (4, 0.05)  # one bad reading
    for consecutive, stopped in ((1, True), (3, False)):
        e = engine(tmp_path, spec({"x": uniform(0, 1)}, early_termination={"policy": "median", "min_completed_trials": 3, "consecutive": consecutive}), f"c{consecutive}")
        _completed(e, [1.0, 1.0, 1.0])
        _, tid, _ = e.ask()
        p = Progress()
        reasons = [e.report(tid, [pt], p) for pt in noisy]
        assert any(reasons) is stopped, reasons
    # a trial that stays bad is still stopped, after `consecutive` evaluations
    e = engine(tmp_path, spec({"x": uniform(0, 1)}, early_termination={"policy": "median", "min_completed_trials": 3, "consecutive": 3}), "c3bad")
    _completed(e, [1.0, 1.0, 1.0])
    _, tid, _ = e.ask()
    p = Progress()
    reasons = [e.report(tid, [pt], p) for pt in _curve(0.2)]
    first = next(i for i, r in enumerate(reasons) if r)
    assert "3 evaluations in a row" in reasons[first] and first >= 2


def test_smoothing_judges_a_moving_average(tmp_path):
    flat = [(step, 1.0) for step in range(10)]
    dip = list(flat)
    dip[5] = (5, 0.7)  # one noisy reading, 30% down
    for smoothing, stopped in ((0, True), (0.8, False)):
        policy = {"policy": "bandit", "slack_factor": 0.1, "min_completed_trials": 2, "smoothing": smoothing}
        e = engine(tmp_path, spec({"x": uniform(0, 1)}, early_termination=policy), f"s{smoothing}")
        for _ in range(2):
            _, tid, _ = e.ask()
            e.report(tid, flat, Progress(), judge=False)
            e.tell(tid, "complete", 1.0)
        _, tid, _ = e.ask()
        p = Progress()
        reasons = [e.report(tid, [pt], p) for pt in dip]
        assert any(reasons) is stopped, reasons
    assert e.study.trials[-1].intermediate_values[5] == pytest.approx(0.8 * 1.0 + 0.2 * 0.7)  # what was judged


def test_delay_and_interval_decide_when_trials_are_judged(tmp_path):
    e = engine(tmp_path, spec({"x": uniform(0, 1)}, early_termination={"policy": "median", "min_completed_trials": 3, "delay_evaluation": 5, "evaluation_interval": 2}))
    _completed(e, [1.0, 1.0, 1.0])
    _, tid, _ = e.ask()
    p = Progress()
    reasons = [e.report(tid, [pt], p) for pt in _curve(0.1)]
    first = next(i for i, r in enumerate(reasons) if r)
    assert first == 5  # steps 0-4 are never judged


def test_the_engine_resumes_from_its_storage(tmp_path):
    s = spec({"x": uniform(0, 1)}, seed=3)
    e = engine(tmp_path, s, "resume")
    n0, t0, _ = e.ask()
    e.tell(t0, "complete", 0.5)
    n1, t1, p1 = e.ask()  # asked for, never told: a crash here
    again = engine(tmp_path, s, "resume")  # a new process reads the journal
    assert again.count() == 2
    assert again.running() == [(n1, t1, p1)]
    again.tell(t1, "complete", 0.7)
    assert again.study.best_value == 0.7
