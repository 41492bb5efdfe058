"""`mlservice sweep ...` and `mlservice automl ...`: search from the shell."""

from __future__ import annotations

import json
from pathlib import Path

from .core.errors import MLServiceError


def _client(args):
    from .sdk import MLService

    return MLService(url=args.url, token=args.token)


def _trial_rows(trials) -> list[dict]:
    return [
        {"number": t.number, "state": t.state, "value": t.value, "params": " ".join(f"{k}={v}" for k, v in t.params.items()),
         "job_id": t.job_id, "reason": (t.reason or "")[:80]}
        for t in trials
    ]


# ---- sweeps -----------------------------------------------------------------------------------


def cmd_sweep_submit(args) -> int:
    from .cli import _emit

    try:
        spec = json.loads(Path(args.spec).read_text())
    except (OSError, ValueError) as exc:
        raise MLServiceError(f"--spec must be a JSON file with the sweep (trial, search_space, objective...): {exc}") from None
    if args.target:
        spec["target"] = args.target
    if args.experiment:
        spec["experiment"] = args.experiment
    sweep = _client(args).sweeps.submit(**spec)
    if args.wait:
        sweep.wait()
    _emit(args, sweep.data, f"{sweep.id} {sweep.status}" + (f" best: {sweep.best_trial!r}" if args.wait else ""))
    return 0 if not args.wait or sweep.status == "Completed" else 1


def cmd_sweep_list(args) -> int:
    from .cli import _emit, _table

    sweeps = _client(args).sweeps.list(limit=args.limit)
    rows = [{"id": s.id, "status": s.status, "experiment": s.job.experiment, "trials": sum(s.counts.values()),
             "best": (s.data.get("best_trial") or {}).get("value")} for s in sweeps]
    _emit(args, [s.data for s in sweeps], _table(rows, ["id", "status", "experiment", "trials", "best"]))
    return 0


def cmd_sweep_show(args) -> int:
    from .cli import _emit, _table

    sweep = _client(args).sweeps.get(args.id)
    trials = sweep.trials()
    objective = sweep.spec["objective"]
    text = (f"{sweep.id} {sweep.status} {objective['goal']} {objective['metric']} {sweep.counts}\n"
            + (f"error: {sweep.error}\n" if sweep.error else "") + _table(_trial_rows(trials), ["number", "state", "value", "params", "job_id", "reason"]))
    _emit(args, {**sweep.data, "trials": [t.data for t in trials]}, text)
    return 0


def cmd_sweep_cancel(args) -> int:
    sweep = _client(args).sweeps.get(args.id).cancel()
    print(f"{sweep.id} {sweep.status}")
    return 0


def cmd_sweep_register(args) -> int:
    best = _client(args).sweeps.get(args.id).best_trial
    if best is None:
        raise MLServiceError(f"sweep {args.id} has no completed trial yet")
    mv = best.register_model(args.name, path=args.path)
    print(f"registered {mv.name} version {mv.version} from trial {best.number}")
    return 0


# ---- automl -----------------------------------------------------------------------------------


def cmd_automl_submit(args) -> int:
    from .cli import _emit

    settings = {}
    if args.allowed:
        settings["allowed_models"] = args.allowed.split(",")
    if args.blocked:
        settings["blocked_models"] = args.blocked.split(",")
    if args.time_column:
        settings["time_column"] = args.time_column
    data = {"url": args.url_db, "sql": args.data} if args.url_db else args.data
    validation = {"cv": args.cv} if args.cv else {"holdout": args.holdout} if args.holdout else None
    run = _client(args).automl.submit(
        task=args.task, data=data, target_column=args.target_column, primary_metric=args.metric, time_budget_s=args.budget,
        max_concurrent_trials=args.concurrent, validation=validation, target=args.target, experiment=args.experiment, **settings,
    )
    if args.wait:
        run.wait(raise_on_failure=False)
    text = f"{run.id} {run.status}"
    if args.wait and run.data.get("best_model"):
        text += f" best: {run.best_model.model} {run.best_score:.5g}"
    _emit(args, run.data, text)
    return 0 if not args.wait or run.status == "Completed" else 1


def cmd_automl_show(args) -> int:
    from .cli import _emit, _table

    run = _client(args).automl.get(args.id)
    rows = [{**e, "params": json.dumps(e.get("params") or e.get("members") or {})[:80]} for e in run.leaderboard]
    text = f"{run.id} {run.status} trials={run.trials}" + (f"\nerror: {run.error}" if run.error else "")
    text += "\n" + _table(rows, ["rank", "model", "score", "params"])
    _emit(args, run.data, text)
    return 0


def cmd_automl_list(args) -> int:
    from .cli import _emit, _table

    runs = _client(args).automl.list(limit=args.limit)
    rows = [{"id": r.id, "status": r.status, "task": r.spec["task"], "trials": r.trials, "best_score": r.data.get("best_score")} for r in runs]
    _emit(args, [r.data for r in runs], _table(rows, ["id", "status", "task", "trials", "best_score"]))
    return 0


def cmd_automl_cancel(args) -> int:
    run = _client(args).automl.get(args.id).cancel()
    print(f"{run.id} {run.status}")
    return 0


def cmd_automl_register(args) -> int:
    best = _client(args).automl.get(args.id).best_model
    if best is None:
        raise MLServiceError(f"AutoML run {args.id} has no final model (is it Completed?)")
    mv = best.register(args.name)
    print(f"registered {mv.name} version {mv.version} ({best.model})")
    return 0


def register(sub, common, reader) -> None:
    s = sub.add_parser("sweep", help="hyperparameter sweeps").add_subparsers(dest="cmd", required=True)
    p = s.add_parser("submit", parents=[common, reader], help="submit a sweep described in a JSON file")
    p.add_argument("--spec", required=True, help="JSON: trial, search_space, objective, sampling, early_termination, limits")
    p.add_argument("--target")
    p.add_argument("--experiment")
    p.add_argument("--wait", action="store_true")
    p.set_defaults(func=cmd_sweep_submit)
    p = s.add_parser("list", parents=[common, reader])
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_sweep_list)
    p = s.add_parser("show", parents=[common, reader], help="a sweep and its trials")
    p.add_argument("id")
    p.set_defaults(func=cmd_sweep_show)
    p = s.add_parser("cancel", parents=[common])
    p.add_argument("id")
    p.set_defaults(func=cmd_sweep_cancel)
    p = s.add_parser("register", parents=[common], help="register the best trial's model")
    p.add_argument("id")
    p.add_argument("name")
    p.add_argument("--path", default="model")
    p.set_defaults(func=cmd_sweep_register)

    a = sub.add_parser("automl", help="AutoML runs").add_subparsers(dest="cmd", required=True)
    p = a.add_parser("submit", parents=[common, reader])
    p.add_argument("--task", required=True, choices=["classification", "regression", "forecasting"])
    p.add_argument("--data", required=True, help="CSV/Parquet path, or a SQL query with --db")
    p.add_argument("--db", dest="url_db", help="SQLAlchemy URL: --data is then a query")
    p.add_argument("--target-column", required=True)
    p.add_argument("--metric")
    p.add_argument("--budget", type=float, help="seconds of search (default: suggested from the data size)")
    p.add_argument("--concurrent", type=int, default=1, help="searches at once")
    p.add_argument("--cv", type=int)
    p.add_argument("--holdout", type=float)
    p.add_argument("--allowed", help="comma-separated model families")
    p.add_argument("--blocked", help="comma-separated model families")
    p.add_argument("--time-column")
    p.add_argument("--target", default="local")
    p.add_argument("--experiment", default="Default")
    p.add_argument("--wait", action="store_true")
    p.set_defaults(func=cmd_automl_submit)
    p = a.add_parser("list", parents=[common, reader])
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_automl_list)
    p = a.add_parser("show", parents=[common, reader], help="a run and its leaderboard")
    p.add_argument("id")
    p.set_defaults(func=cmd_automl_show)
    p = a.add_parser("cancel", parents=[common])
    p.add_argument("id")
    p.set_defaults(func=cmd_automl_cancel)
    p = a.add_parser("register", parents=[common], help="register the final model")
    p.add_argument("id")
    p.add_argument("name")
    p.set_defaults(func=cmd_automl_register)
