"""`mlservice schedule ...` and `mlservice batch ...` command groups."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from .core.errors import MLServiceError


def _cli():
    from . import cli

    return cli


def _job_from_args(args) -> dict[str, Any]:
    cli = _cli()
    if args.job_json:
        return json.loads(args.job_json)
    command = args.command
    if bool(command) == bool(args.notebook):
        raise MLServiceError("give the job: --notebook NB.ipynb [-p NAME VALUE]..., --command 'CMD', or --job-json '{...}'")
    job: dict[str, Any] = {"target": args.target, "experiment": args.experiment}
    if args.notebook:
        job.update(notebook=args.notebook, parameters={k: cli._value(v) for k, v in (args.parameters or [])})
    else:
        job["command"] = command
    return job


def _schedule_row(s: dict[str, Any]) -> dict[str, Any]:
    rec = s.get("recurrence")
    when = s.get("cron") or (f"every {rec['every']} {rec['unit']}" + (f" at {','.join(rec['at'])}" if rec.get("at") else "") if rec else "")
    last = (s.get("last_runs") or [{}])[0] if s.get("last_runs") else {}
    return {**s, "when": when, "last_run": f"{last.get('state', '')} {last.get('job_status') or ''}".strip()}


def cmd_create(args) -> int:
    cli = _cli()
    ml = cli._client(args)
    recurrence = None
    if args.every:
        n, _, unit = args.every.partition(" ")
        recurrence = {"every": int(n), "unit": unit or "days"}
        if args.at:
            recurrence["at"] = args.at
    s = ml.schedules.create(
        name=args.name, job=_job_from_args(args), cron=args.cron, recurrence=recurrence, time_zone=args.time_zone,
        catch_up=args.catch_up, max_concurrent_runs=args.max_concurrent_runs, concurrency_policy=args.concurrency_policy,
        start_at=args.start, end_at=args.end, enabled=not args.disabled,
    )
    cli._emit(args, s.data, f"created schedule {s.name}; next run at {s.data.get('next_run_at')}")
    return 0


def cmd_list(args) -> int:
    cli = _cli()
    rows = [_schedule_row(s.data) for s in cli._client(args).schedules.list()]
    cli._emit(args, rows, cli._table(rows, ["name", "when", "time_zone", "enabled", "next_run_at", "last_run"]))
    return 0


def cmd_show(args) -> int:
    cli = _cli()
    ml = cli._client(args)
    s = _schedule_row(ml.schedules.get(args.name).data)
    runs = ml.schedules.runs(args.name, limit=args.limit)
    text = "\n".join(f"{k:20} {s.get(k)}" for k in ("name", "when", "time_zone", "enabled", "next_run_at", "catch_up", "max_concurrent_runs", "concurrency_policy", "active_runs"))
    text += "\n\n" + cli._table(runs, ["scheduled_time", "trigger", "state", "job_id", "job_status", "reason"])
    cli._emit(args, {**s, "runs": runs}, text)
    return 0


def cmd_toggle(args) -> int:
    ml = _cli()._client(args)
    s = ml.schedules.enable(args.name) if args.cmd == "enable" else ml.schedules.disable(args.name)
    print(f"{s.name} {'enabled' if s.enabled else 'disabled'}; next run at {s.data.get('next_run_at')}")
    return 0


def cmd_run(args) -> int:
    job = _cli()._client(args).schedules.run_now(args.name)
    if args.wait:
        job.wait(show_output=True)
    print(f"{job.id} {job.status}")
    return 0 if not args.wait or job.status == "Completed" else 1


def cmd_delete(args) -> int:
    _cli()._client(args).schedules.delete(args.name)
    print(f"deleted schedule {args.name}")
    return 0


def cmd_update(args) -> int:
    cli = _cli()
    changes: dict[str, Any] = {}
    for key in ("cron", "time_zone", "catch_up", "max_concurrent_runs", "concurrency_policy", "description"):
        value = getattr(args, key, None)
        if value is not None:
            changes[key] = value
    if args.every:
        n, _, unit = args.every.partition(" ")
        changes["recurrence"] = {"every": int(n), "unit": unit or "days", **({"at": args.at} if args.at else {})}
    if args.job_json:
        changes["job"] = json.loads(args.job_json)
    if not changes:
        raise MLServiceError("nothing to change: give --cron, --every, --time-zone, --job-json...")
    s = cli._client(args).schedules.update(args.name, **changes)
    cli._emit(args, s.data, f"updated {s.name}; next run at {s.data.get('next_run_at')}")
    return 0


# ---- batch --------------------------------------------------------------------------------------


def _io(path: str | None, url: str | None, sql: str | None, table: str | None) -> dict[str, Any] | None:
    out = {k: v for k, v in (("path", path), ("url", url), ("sql", sql), ("table", table)) if v}
    return out or None


def cmd_batch_submit(args) -> int:
    cli = _cli()
    ml = cli._client(args)
    inp = _io(args.input, args.input_url, args.sql, args.input_table)
    if not inp:
        raise MLServiceError("give the input: --input PATH (files) or --input-url URL with --sql QUERY or --input-table T")
    out = _io(args.output, args.output_url, None, args.output_table)
    job = ml.batch.submit(
        model=args.model, input=inp, output=out, key_columns=args.key_column or [], mini_batch_size=args.mini_batch_size,
        max_concurrency=args.max_concurrency, error_threshold=args.error_threshold, scoring_script=args.scoring_script,
        code=args.code, retry_settings={"max_retries": args.retries, "timeout": args.mini_batch_timeout},
        experiment=args.experiment, target=args.target, environment=args.environment,
        mini_batch_unit=args.mini_batch_unit, input_columns=args.input_column, resume=not args.no_resume,
        output_format=args.output_format,
        **({"output_action": args.output_action} if args.output_action else {}),
    )
    if args.wait:
        _follow(job)
        job.refresh()
    cli._emit(args, job.data, job.id if not args.wait else f"{job.id} {job.status}")
    return 0 if not args.wait or job.status == "Completed" else 1


def _follow(job) -> None:
    from .sdk.jobs import TERMINAL

    while True:
        p = job.progress()
        total = p.get("mini_batches_total")
        sys.stderr.write(f"\r{p.get('status')}: {p.get('mini_batches_done', 0)}/{total if total is not None else '?'} mini-batches, "
                         f"{p.get('rows_done', 0)} rows, {p.get('rows_per_s') or 0} rows/s, {p.get('mini_batches_failed', 0)} failed   ")
        sys.stderr.flush()
        if p.get("job_status") in TERMINAL:
            sys.stderr.write("\n")
            return
        time.sleep(1)


def cmd_batch_progress(args) -> int:
    cli = _cli()
    job = cli._client(args).jobs.get(args.id)
    if args.follow:
        _follow(job)
        return 0
    p = job.progress()
    cli._emit(args, p, "\n".join(f"{k:22} {v}" for k, v in p.items() if k != "failures"))
    return 0


def register(sub, common, reader) -> None:
    sc = sub.add_parser("schedule", help="scheduled jobs").add_subparsers(dest="cmd", required=True)
    c = sc.add_parser("create", parents=[common, reader], usage="mlservice schedule create NAME (--cron EXPR | --every 'N UNIT') (--notebook NB | --command CMD | --job-json JSON)")
    c.add_argument("name")
    c.add_argument("--cron", help="five-field cron, e.g. '0 2 * * *'")
    c.add_argument("--every", help="recurrence, e.g. '15 minutes', '1 days', '2 weeks'")
    c.add_argument("--at", action="append", help="HH:MM (days/weeks recurrences); repeat for several")
    c.add_argument("--time-zone", default="UTC")
    c.add_argument("--catch-up", choices=["skip", "latest", "all"], default="latest")
    c.add_argument("--max-concurrent-runs", type=int, default=1)
    c.add_argument("--concurrency-policy", choices=["skip", "queue"], default="skip")
    c.add_argument("--start", default=None, help="ISO time of the first possible run")
    c.add_argument("--end", default=None, help="ISO time after which it stops")
    c.add_argument("--disabled", action="store_true")
    c.add_argument("--target", default="local")
    c.add_argument("--experiment", default="Default")
    c.add_argument("--notebook")
    c.add_argument("-p", "--parameter", dest="parameters", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="may use {{ scheduled_time }}, {{ scheduled_date }}")
    c.add_argument("--job-json", help="the job spec as JSON (any kind, e.g. a batch job)")
    c.add_argument("--command", help="a shell command to run (instead of --notebook)")
    c.set_defaults(func=cmd_create)
    ls = sc.add_parser("list", parents=[common, reader])
    ls.set_defaults(func=cmd_list)
    sh = sc.add_parser("show", parents=[common, reader], help="a schedule and its history")
    sh.add_argument("name")
    sh.add_argument("--limit", type=int, default=20)
    sh.set_defaults(func=cmd_show)
    up = sc.add_parser("update", parents=[common, reader])
    up.add_argument("name")
    up.add_argument("--cron")
    up.add_argument("--every")
    up.add_argument("--at", action="append")
    up.add_argument("--time-zone")
    up.add_argument("--catch-up", choices=["skip", "latest", "all"])
    up.add_argument("--max-concurrent-runs", type=int)
    up.add_argument("--concurrency-policy", choices=["skip", "queue"])
    up.add_argument("--description")
    up.add_argument("--job-json")
    up.set_defaults(func=cmd_update)
    for name in ("enable", "disable"):
        p = sc.add_parser(name, parents=[common])
        p.add_argument("name")
        p.set_defaults(func=cmd_toggle)
    r = sc.add_parser("run", parents=[common], help="run now")
    r.add_argument("name")
    r.add_argument("--wait", action="store_true")
    r.set_defaults(func=cmd_run)
    d = sc.add_parser("delete", parents=[common])
    d.add_argument("name")
    d.set_defaults(func=cmd_delete)

    bt = sub.add_parser("batch", help="batch inference").add_subparsers(dest="cmd", required=True)
    b = bt.add_parser("submit", parents=[common, reader])
    b.add_argument("--model", help="name@alias, name:version or a models:/ URI")
    b.add_argument("--input", help="CSV/Parquet file, folder or glob")
    b.add_argument("--input-url", help="SQLAlchemy URL of the input database")
    b.add_argument("--sql")
    b.add_argument("--input-table")
    b.add_argument("--output", help="output .parquet/.csv file")
    b.add_argument("--output-url")
    b.add_argument("--output-table")
    b.add_argument("--key-column", action="append")
    b.add_argument("--mini-batch-size", type=int, default=10_000)
    b.add_argument("--mini-batch-unit", choices=["rows", "files"], default="rows", help="count mini-batches in rows or in files")
    b.add_argument("--input-column", action="append", help="a column passed to the model (repeat; default: the signature's)")
    b.add_argument("--output-action", choices=["append_row", "summary_only"], help="default: append_row with --output")
    b.add_argument("--no-resume", action="store_true", help="score every mini-batch again, even those written before")
    b.add_argument("--output-format", choices=["default", "azure"], default="default",
                   help="azure: Azure ML's append_row CSV (no header; row, prediction, file for an MLflow model over files)")
    b.add_argument("--environment", help="run the scoring workers in this environment (NAME@VERSION)")
    b.add_argument("--max-concurrency", type=int, default=1)
    b.add_argument("--error-threshold", type=int, default=-1)
    b.add_argument("--retries", type=int, default=3)
    b.add_argument("--mini-batch-timeout", type=float, default=60)
    b.add_argument("--scoring-script")
    b.add_argument("--code")
    b.add_argument("--target", default="local")
    b.add_argument("--experiment", default="Default")
    b.add_argument("--wait", action="store_true", help="show progress until the job ends")
    b.set_defaults(func=cmd_batch_submit)
    bp = bt.add_parser("progress", parents=[common, reader])
    bp.add_argument("id")
    bp.add_argument("--follow", "-f", action="store_true")
    bp.set_defaults(func=cmd_batch_progress)
