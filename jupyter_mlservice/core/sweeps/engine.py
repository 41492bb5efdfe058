"""Sampling and early termination: an Optuna study per sweep, driven with ask-and-tell.

The engine never runs a trial. The controller asks it for a point, runs the trial as a job, feeds
it the intermediate values the trial logged to MLflow (in batches, once per controller tick, so
no storage write sits on a trial's per-step path) and tells it the result. The benchmark drives
the same engine with trials run in-process.

Storage: Optuna's journal (an append-only file per sweep in the workspace) for a local workspace,
Optuna's RDB storage in its own ``optuna`` schema when the workspace store is PostgreSQL. Never
SQLite: Optuna on SQLite locks and is reported ~50x slower than in memory.
"""

from __future__ import annotations

import math
import statistics
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .schemas import EarlyTermination, SweepCreate

_NORMAL = statistics.NormalDist()
_pg_storages: dict[str, Any] = {}
_pg_lock = threading.Lock()


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


# ---- storage ---------------------------------------------------------------------------------


def open_storage(workspace_dir: Path, database_url: str, sweep_id: str):
    """The Optuna storage of one sweep (see the module docstring)."""
    optuna = _optuna()
    if database_url.startswith("postgresql"):
        return _postgres_storage(database_url)
    folder = Path(workspace_dir) / "sweeps"
    folder.mkdir(parents=True, exist_ok=True)
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(str(folder / f"{sweep_id}.journal")))


def _postgres_storage(database_url: str):
    """Optuna's tables (and its own alembic_version) live in the schema ``optuna`` of the
    workspace database, apart from the workspace's tables."""
    with _pg_lock:
        if database_url not in _pg_storages:
            import sqlalchemy

            engine = sqlalchemy.create_engine(database_url)
            with engine.begin() as conn:
                conn.execute(sqlalchemy.text("CREATE SCHEMA IF NOT EXISTS optuna"))
            engine.dispose()
            optuna = _optuna()
            _pg_storages[database_url] = optuna.storages.RDBStorage(
                database_url, engine_kwargs={"connect_args": {"options": "-csearch_path=optuna"}, "pool_pre_ping": True}
            )
        return _pg_storages[database_url]


# ---- the search space ------------------------------------------------------------------------


def distributions(spec: SweepCreate) -> dict[str, Any]:
    """Optuna distributions; a normal parameter is sampled as its quantile in (0, 1)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for name, p in spec.search_space.items():
        if p.type == "choice":
            out[name] = CategoricalDistribution(p.values)
        elif p.type == "uniform":
            out[name] = FloatDistribution(p.low, p.high)
        elif p.type == "loguniform":
            out[name] = FloatDistribution(p.low, p.high, log=True)
        elif p.type == "randint":
            out[name] = IntDistribution(int(p.low), int(p.high))
        else:
            out[name] = FloatDistribution(1e-9, 1 - 1e-9)
    return out


def decode(spec: SweepCreate, optuna_params: dict[str, Any]) -> dict[str, Any]:
    """Optuna's values -> the values trials get."""
    out = {}
    for name, value in optuna_params.items():
        p = spec.search_space.get(name)
        if p is not None and p.type == "normal":
            value = p.mu + p.sigma * _NORMAL.inv_cdf(min(max(value, 1e-12), 1 - 1e-12))
        out[name] = value
    return out


def grid(spec: SweepCreate) -> dict[str, list[Any]] | None:
    if spec.sampling != "grid":
        return None
    return {
        name: list(p.values) if p.type == "choice" else list(range(int(p.low), int(p.high) + 1))
        for name, p in spec.search_space.items()
    }


def grid_size(spec: SweepCreate) -> int | None:
    g = grid(spec)
    return math.prod(len(v) for v in g.values()) if g is not None else None


def sample_point(spec: SweepCreate) -> dict[str, Any]:
    """A representative point (to check the trial spec at submit time)."""
    out: dict[str, Any] = {}
    for name, p in spec.search_space.items():
        if p.type == "choice":
            out[name] = p.values[0]
        elif p.type == "randint":
            out[name] = int(p.low)
        elif p.type == "normal":
            out[name] = p.mu
        else:
            out[name] = p.low
    return out


# ---- early termination -----------------------------------------------------------------------


class BanditPruner:
    """Azure ML's bandit policy: stop a trial whose value at an evaluated step is worse than the
    best value any other trial reached at that step by more than the slack."""

    def __init__(self, slack_factor: float | None, slack_amount: float | None, min_completed_trials: int):
        self.slack_factor = slack_factor
        self.slack_amount = slack_amount
        self.min_completed_trials = min_completed_trials

    def threshold(self, study, trial) -> float | None:
        from optuna.study import StudyDirection
        from optuna.trial import TrialState

        step = trial.last_step
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING, TrialState.PRUNED))
        if sum(t.state == TrialState.COMPLETE for t in trials) < self.min_completed_trials:
            return None
        others = [t.intermediate_values[step] for t in trials if t.number != trial.number and step in t.intermediate_values]
        others = [v for v in others if not math.isnan(v)]
        if not others:
            return None
        maximize = study.direction == StudyDirection.MAXIMIZE
        best = max(others) if maximize else min(others)
        if self.slack_amount is not None:
            return best - self.slack_amount if maximize else best + self.slack_amount
        return best / (1 + self.slack_factor) if maximize else best * (1 + self.slack_factor)

    def prune(self, study, trial) -> bool:
        from optuna.study import StudyDirection

        limit = self.threshold(study, trial)
        if limit is None:
            return False
        value = trial.intermediate_values[trial.last_step]
        return value < limit if study.direction == StudyDirection.MAXIMIZE else value > limit


def _make_pruner(policy: EarlyTermination | None):
    optuna = _optuna()
    if policy is None:
        return optuna.pruners.NopPruner()
    if policy.policy == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=policy.min_completed_trials, n_warmup_steps=0, interval_steps=1)
    if policy.policy == "truncation":
        return optuna.pruners.PercentilePruner(
            100 - policy.truncation_percentage, n_startup_trials=policy.min_completed_trials, n_warmup_steps=0, interval_steps=1
        )
    if policy.policy == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=policy.min_resource, max_resource=policy.max_resource or "auto", reduction_factor=policy.reduction_factor
        )
    return optuna.pruners.NopPruner()  # bandit: judged by BanditPruner in report()


def _make_sampler(spec: SweepCreate):
    optuna = _optuna()
    if spec.sampling == "grid":
        return _GridSampler(grid(spec), seed=spec.seed)
    if spec.sampling == "bayesian":
        startup = max(2, min(10, spec.limits.max_trials // 4))
        return optuna.samplers.TPESampler(seed=spec.seed, n_startup_trials=startup, multivariate=True, constant_liar=True)
    return optuna.samplers.RandomSampler(seed=spec.seed)


def _grid_sampler_class():
    import optuna

    class GridSampler(optuna.samplers.GridSampler):
        """Optuna's grid, without its study.stop() once the grid is used up (allowed only inside
        study.optimize): the sweep caps max_trials at the grid's size instead."""

        def after_trial(self, study, trial, state, values) -> None:
            return None

    return GridSampler


def _GridSampler(*args, **kwargs):
    return _grid_sampler_class()(*args, **kwargs)


@dataclass
class Progress:
    """What the engine keeps per running trial between ticks (stored on the trial's row)."""

    last_step: int | None = None
    smoothed: float | None = None
    bad_evaluations: int = 0


class SweepEngine:
    """One sweep's study. ``ask`` -> a point, ``report`` -> maybe a reason to stop, ``tell``."""

    def __init__(self, spec: SweepCreate, storage: Any, study_name: str):
        optuna = _optuna()
        self.spec = spec
        self.metric = spec.objective.metric
        self.maximize = spec.objective.goal == "maximize"
        self.policy = spec.early_termination
        self.pruner = _make_pruner(self.policy)
        self.bandit = (
            BanditPruner(self.policy.slack_factor, self.policy.slack_amount, self.policy.min_completed_trials)
            if self.policy is not None and self.policy.policy == "bandit"
            else None
        )
        self.dists = distributions(spec)
        self.study = optuna.create_study(
            study_name=study_name,
            storage=storage,
            sampler=_make_sampler(spec),
            pruner=self.pruner,
            direction="maximize" if self.maximize else "minimize",
            load_if_exists=True,
        )
        self._trials: dict[int, Any] = {}

    # ---- points --------------------------------------------------------------------------------

    def ask(self) -> tuple[int, int, dict[str, Any]]:
        """-> (trial number, Optuna trial id, the values the trial gets)."""
        trial = self.study.ask(self.dists)
        self._trials[trial._trial_id] = trial
        return trial.number, trial._trial_id, decode(self.spec, trial.params)

    def running(self) -> list[tuple[int, int, dict[str, Any]]]:
        """Trials Optuna holds as running (after a restart: those asked for whose row may be missing)."""
        from optuna.trial import TrialState

        return [
            (t.number, t._trial_id, decode(self.spec, t.params))
            for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        ]

    def count(self) -> int:
        return len(self.study.get_trials(deepcopy=False))

    def _trial(self, trial_id: int):
        if trial_id not in self._trials:
            from optuna.trial import Trial

            self._trials[trial_id] = Trial(self.study, trial_id)
        return self._trials[trial_id]

    # ---- intermediate values -----------------------------------------------------------------

    def report(self, trial_id: int, points: list[tuple[int, float]], progress: Progress, judge: bool = True) -> str | None:
        """Report new (step, value) points of one trial, oldest first; returns why it should stop,
        or None. ``progress`` is updated in place. ``judge=False`` only records the points (a
        trial that already ended)."""
        if not points:
            return None
        trial = self._trial(trial_id)
        reason = None
        alpha = self.policy.smoothing if self.policy else 0.0
        for step, value in points:
            if progress.last_step is not None and step <= progress.last_step:
                continue
            if math.isfinite(value) and alpha and progress.smoothed is not None:
                value = alpha * progress.smoothed + (1 - alpha) * value
            previous = progress.last_step
            trial.report(value, step)
            progress.last_step, progress.smoothed = step, value
            if self.policy is None:
                continue
            if self.policy.policy == "hyperband":
                # Successive halving records each trial's rungs as it is asked: ask at every step,
                # also for steps only recorded, so later trials have brackets to compare with.
                stop = self.pruner.prune(self.study, self.study._storage.get_trial(trial._trial_id))
                if not judge or not stop or not self._is_evaluation(previous, step):
                    continue
                why = f"hyperband policy: {self.metric} {value:.4g} at step {step} is not in the best 1/{self.policy.reduction_factor} of its bracket at this rung"
            elif not judge or not self._is_evaluation(previous, step):
                continue
            else:
                why = self._judge(trial, step, value)
            progress.bad_evaluations = progress.bad_evaluations + 1 if why else 0
            if why and progress.bad_evaluations >= self.policy.consecutive:
                reason = why + (f" ({progress.bad_evaluations} evaluations in a row)" if self.policy.consecutive > 1 else "")
                break
        return reason

    def _is_evaluation(self, previous: int | None, step: int) -> bool:
        """The first reported step of each evaluation_interval window from delay_evaluation on."""
        p = self.policy
        if step < p.delay_evaluation:
            return False
        window = (step - p.delay_evaluation) // p.evaluation_interval
        return previous is None or previous < p.delay_evaluation or window > (previous - p.delay_evaluation) // p.evaluation_interval

    def _judge(self, trial, step: int, value: float) -> str | None:
        frozen = self.study._storage.get_trial(trial._trial_id)
        shown = f"{self.metric} {value:.4g} at step {step}"
        if self.bandit is not None:
            if not self.bandit.prune(self.study, frozen):
                return None
            limit = self.bandit.threshold(self.study, frozen)
            slack = f"slack_factor {self.policy.slack_factor:g}" if self.policy.slack_factor is not None else f"slack_amount {self.policy.slack_amount:g}"
            return f"bandit policy: {shown} is {'below' if self.maximize else 'above'} {limit:.4g}, the best trial at that step within {slack}"
        if not self.pruner.prune(self.study, frozen):
            return None
        # median or truncation
        pct = 50.0 if self.policy.policy == "median" else 100 - self.policy.truncation_percentage
        ref = self._percentile_at(step, pct)
        label = "the median" if self.policy.policy == "median" else f"the cut-off of the lowest {self.policy.truncation_percentage:g}%"
        finite = [v for v in frozen.intermediate_values.values() if math.isfinite(v)]
        best = (max(finite) if self.maximize else min(finite)) if finite else value
        return (
            f"{self.policy.policy} policy: the best {self.metric} so far, {best:.4g} at step {step}, is "
            f"{'below' if self.maximize else 'above'} {label} ({ref:.4g}) of completed trials at that step"
        )

    def _percentile_at(self, step: int, pct: float) -> float:
        import numpy as np
        from optuna.trial import TrialState

        values = [
            t.intermediate_values[step]
            for t in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if step in t.intermediate_values
        ]
        if not values:
            return float("nan")
        q = pct if self.maximize else 100 - pct
        return float(np.nanpercentile(values, 100 - q))

    # ---- results -------------------------------------------------------------------------------

    def tell(self, trial_id: int, state: str, value: float | None = None) -> None:
        """state: complete (with value), pruned or fail. Telling a finished trial is a no-op."""
        from optuna.trial import TrialState

        trial = self._trial(trial_id)
        frozen = self.study._storage.get_trial(trial_id)
        if frozen.state != TrialState.RUNNING:
            return
        if state == "complete" and value is not None and math.isfinite(value):
            self.study.tell(trial, value)
        elif state == "pruned":
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.study.tell(trial, state=TrialState.FAIL)
        self._trials.pop(trial_id, None)
