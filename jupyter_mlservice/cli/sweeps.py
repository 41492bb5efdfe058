"""`mlservice sweep ...` and `mlservice automl ...`: searches from the shell (one area: both are
runs of child jobs, cancelled and registered the same way)."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import MLServiceError, UsageError
from .common import client, command, emit, group, pairs, placement_flags, table


def _trial_rows(trials) -> list[dict]:
    return [
        {"number": t.number, "state": t.state, "value": t.value, "params": " ".join(f"{k}={v}" for k, v in t.params.items()),
         "job_id": t.job_id, "reason": (t.reason or "")[:80]}
        for t in trials
    ]


def cmd_sweep_submit(args) -> int:
    try:
        spec = json.loads(Path(args.spec).read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--spec must be a JSON file with the sweep (trial, search_space, objective...): {exc}") from None
    if not isinstance(spec, dict):
        raise UsageError("--spec must hold a JSON object (trial, search_space, objective...)")
    if args.target:
        spec["target"] = args.target
    if args.experiment:
        spec["experiment"] = args.experiment
    sweep = client(args).sweeps.submit(**spec)
    if args.wait:
        sweep.wait()
    emit(args, sweep.data, f"{sweep.id} {sweep.status}" + (f" best: {sweep.best_trial!r}" if args.wait else ""))
    return 0 if not args.wait or sweep.status == "Completed" else 1


def cmd_sweep_list(args) -> int:
    sweeps = client(args).sweeps.list(limit=args.limit)
    rows = [{"id": s.id, "status": s.status, "experiment": s.job.experiment, "trials": sum(s.counts.values()),
             "best": (s.data.get("best_trial") or {}).get("value")} for s in sweeps]
    emit(args, [s.data for s in sweeps], table(rows, ["id", "status", "experiment", "trials", "best"]))
    return 0


def cmd_sweep_show(args) -> int:
    sweep = client(args).sweeps.get(args.id)
    trials = sweep.trials()
    objective = sweep.spec["objective"]
    text = (f"{sweep.id} {sweep.status} {objective['goal']} {objective['metric']} {sweep.counts}\n"
            + (f"error: {sweep.error}\n" if sweep.error else "") + table(_trial_rows(trials), ["number", "state", "value", "params", "job_id", "reason"]))
    emit(args, {**sweep.data, "trials": [t.data for t in trials]}, text)
    return 0


def cmd_cancel(args) -> int:
    """`mlservice sweep cancel ID` and `mlservice automl cancel ID`: the run and its child jobs."""
    runs = client(args).sweeps if args.group == "sweep" else client(args).automl
    run = runs.get(args.id).cancel()
    print(f"{run.id} {run.status}")
    return 0


def cmd_sweep_register(args) -> int:
    best = client(args).sweeps.get(args.id).best_trial
    if best is None:
        raise MLServiceError(f"sweep {args.id} has no completed trial yet")
    mv = best.register_model(args.name, path=args.path)
    print(f"registered {mv.name} version {mv.version} from trial {best.number}")
    return 0


def cmd_automl_submit(args) -> int:
    settings: dict = {"featurization": args.featurization, "ensemble": not args.no_ensemble, "seed": args.seed,
                      "display_name": args.name, "tags": pairs(args.tag, "--tag")}
    if args.allowed:
        settings["allowed_models"] = args.allowed.split(",")
    if args.blocked:
        settings["blocked_models"] = args.blocked.split(",")
    if args.max_trials:
        settings["max_trials"] = args.max_trials
    if args.time_column:
        settings["time_column"] = args.time_column
    if args.horizon:
        settings["forecast_horizon"] = args.horizon
    if args.lags:
        try:
            settings["lags"] = [int(v) for v in args.lags.split(",")]
        except ValueError:
            raise UsageError(f"--lags must be comma-separated whole numbers such as 1,2,7, got {args.lags!r}") from None
    data = {"url": args.db, "sql": args.data} if args.db else args.data
    given = [flag for flag, v in (("--cv", args.cv), ("--holdout", args.holdout), ("--validation-data", args.validation_data)) if v]
    if len(given) > 1:
        raise UsageError(f"give one of --cv, --holdout or --validation-data, not {' and '.join(given)}")
    validation = {"cv": args.cv} if args.cv else {"holdout": args.holdout} if args.holdout else {"data": args.validation_data} if args.validation_data else None
    run = client(args).automl.submit(
        task=args.task, data=data, target_column=args.target_column, primary_metric=args.metric, time_budget_s=args.budget,
        max_concurrent_trials=args.concurrent, validation=validation, target=args.target, experiment=args.experiment, **settings,
    )
    if args.wait:
        run.wait(raise_on_failure=False)
    text = f"{run.id} {run.status}"
    if args.wait and run.data.get("best_model"):
        text += f" best: {run.best_model.model} {run.best_score:.5g}"
    emit(args, run.data, text)
    return 0 if not args.wait or run.status == "Completed" else 1


def cmd_automl_show(args) -> int:
    run = client(args).automl.get(args.id)
    rows = [{**e, "params": json.dumps(e.get("params") or e.get("members") or {})[:80]} for e in run.leaderboard]
    text = f"{run.id} {run.status} trials={run.trials}" + (f"\nerror: {run.error}" if run.error else "")
    text += "\n" + table(rows, ["rank", "model", "score", "params"])
    emit(args, run.data, text)
    return 0


def cmd_automl_list(args) -> int:
    runs = client(args).automl.list(limit=args.limit)
    rows = [{"id": r.id, "status": r.status, "task": r.spec["task"], "trials": r.trials, "best_score": r.data.get("best_score")} for r in runs]
    emit(args, [r.data for r in runs], table(rows, ["id", "status", "task", "trials", "best_score"]))
    return 0


def cmd_automl_register(args) -> int:
    best = client(args).automl.get(args.id).best_model
    if best is None:
        raise MLServiceError(f"AutoML run {args.id} has no final model (is it Completed?)")
    mv = best.register(args.name)
    print(f"registered {mv.name} version {mv.version} ({best.model})")
    return 0


def _run_commands(commands, list_cmd, show, register_cmd):
    """list, show ID, cancel ID and register ID NAME: what both groups have; returns register's parser."""
    command(commands, "list", list_cmd, json=True).add_argument("--limit", type=int, default=50)
    command(commands, "show", show[0], json=True, help=show[1]).add_argument("id")
    command(commands, "cancel", cmd_cancel, help="cancel it and its running child jobs").add_argument("id")
    p = command(commands, "register", register_cmd[0], help=register_cmd[1])
    p.add_argument("id")
    p.add_argument("name")
    return p


def register(sub) -> None:
    s = group(sub, "sweep", "hyperparameter sweeps")
    p = command(s, "submit", cmd_sweep_submit, json=True, help="submit a sweep described in a JSON file")
    p.add_argument("--spec", required=True, help="JSON: trial, search_space, objective, sampling, early_termination, limits")
    p.add_argument("--target")
    p.add_argument("--experiment")
    p.add_argument("--wait", action="store_true")
    _run_commands(s, cmd_sweep_list, (cmd_sweep_show, "a sweep and its trials"), (cmd_sweep_register, "register the best trial's model"))\
        .add_argument("--path", default="model")

    a = group(sub, "automl", "AutoML runs")
    p = command(a, "submit", cmd_automl_submit, json=True)
    p.add_argument("--task", required=True, choices=["classification", "regression", "forecasting"])
    p.add_argument("--data", required=True, help="CSV/Parquet path, or a SQL query with --db")
    p.add_argument("--db", help="SQLAlchemy URL: --data is then a query")
    p.add_argument("--target-column", required=True)
    p.add_argument("--metric")
    p.add_argument("--budget", type=float, help="seconds of search (default: suggested from the data size)")
    p.add_argument("--concurrent", type=int, default=1, help="searches at once")
    p.add_argument("--max-trials", type=int, help="stop each search after this many trials")
    p.add_argument("--cv", type=int, help="folds of cross-validation")
    p.add_argument("--holdout", type=float, help="fraction of the rows held out")
    p.add_argument("--validation-data", help="a CSV/Parquet path with the same columns")
    p.add_argument("--allowed", help="comma-separated model families (a wrong name is refused with the list of them)")
    p.add_argument("--blocked", help="comma-separated model families")
    p.add_argument("--featurization", choices=["auto", "off"], default="auto")
    p.add_argument("--no-ensemble", action="store_true", help="keep the best single model")
    p.add_argument("--time-column", help="forecasting: the time column")
    p.add_argument("--horizon", type=int, help="forecasting: steps ahead")
    p.add_argument("--lags", help="forecasting: comma-separated lags of the target")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default="", help="display name")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    placement_flags(p)
    p.add_argument("--wait", action="store_true")
    _run_commands(a, cmd_automl_list, (cmd_automl_show, "a run and its leaderboard"), (cmd_automl_register, "register the final model"))
