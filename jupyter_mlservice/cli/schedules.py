"""`mlservice schedule ...`: run a job on a cron or a recurrence."""

from __future__ import annotations

import json
from typing import Any

from ..errors import UsageError
from .common import client, command, emit, emit_record, group, job_from_flags, open_flag, parameter_flag, placement_flags, table

SHOW_FIELDS = ("name", "when", "time_zone", "enabled", "next_run_at", "catch_up", "max_concurrent_runs", "concurrency_policy", "active_runs")


def _recurrence(args) -> dict[str, Any] | None:
    """--every 'N UNIT' [--at HH:MM]... as a REST recurrence."""
    if not args.every:
        return None
    n, _, unit = args.every.partition(" ")
    return {"every": int(n), "unit": unit or "days", **({"at": args.at} if args.at else {})}


def _schedule_row(s: dict[str, Any]) -> dict[str, Any]:
    rec = s.get("recurrence")
    when = s.get("cron") or (f"every {rec['every']} {rec['unit']}" + (f" at {','.join(rec['at'])}" if rec.get("at") else "") if rec else "")
    last = (s.get("last_runs") or [{}])[0] if s.get("last_runs") else {}
    return {**s, "when": when, "last_run": f"{last.get('state', '')} {last.get('job_status') or ''}".strip()}


def cmd_create(args) -> int:
    s = client(args).schedules.create(
        name=args.name, job=job_from_flags(args), cron=args.cron, recurrence=_recurrence(args), time_zone=args.time_zone,
        catch_up=args.catch_up, max_concurrent_runs=args.max_concurrent_runs, concurrency_policy=args.concurrency_policy,
        start_at=args.start, end_at=args.end, enabled=not args.disabled,
    )
    emit(args, s.data, f"created schedule {s.name}; next run at {s.data.get('next_run_at')}")
    return 0


def cmd_list(args) -> int:
    rows = [_schedule_row(s.data) for s in client(args).schedules.list()]
    emit(args, rows, table(rows, ["name", "when", "time_zone", "enabled", "next_run_at", "last_run"]))
    return 0


def cmd_show(args) -> int:
    ml = client(args)
    s = _schedule_row(ml.schedules.get(args.name).data)
    runs = ml.schedules.runs(args.name, limit=args.limit)
    text = "\n".join(f"{k:20} {s.get(k)}" for k in SHOW_FIELDS)
    text += "\n\n" + table(runs, ["scheduled_time", "trigger", "state", "job_id", "job_status", "reason"])
    emit_record(args, ml, {**s, "runs": runs}, text, "schedules", args.name)
    return 0


def cmd_toggle(args) -> int:
    ml = client(args)
    s = ml.schedules.enable(args.name) if args.cmd == "enable" else ml.schedules.disable(args.name)
    print(f"{s.name} {'enabled' if s.enabled else 'disabled'}; next run at {s.data.get('next_run_at')}")
    return 0


def cmd_run(args) -> int:
    job = client(args).schedules.run_now(args.name)
    if args.wait:
        job.wait(show_output=True)
    print(f"{job.id} {job.status}")
    return 0 if not args.wait or job.status == "Completed" else 1


def cmd_delete(args) -> int:
    client(args).schedules.delete(args.name)
    print(f"deleted schedule {args.name}")
    return 0


def cmd_update(args) -> int:
    changes: dict[str, Any] = {}
    for key in ("cron", "time_zone", "catch_up", "max_concurrent_runs", "concurrency_policy", "description"):
        value = getattr(args, key, None)
        if value is not None:
            changes[key] = value
    if args.every:
        changes["recurrence"] = _recurrence(args)
    if args.job_json:
        changes["job"] = json.loads(args.job_json)
    if not changes:
        raise UsageError("nothing to change: give --cron, --every, --time-zone, --job-json...")
    s = client(args).schedules.update(args.name, **changes)
    emit(args, s.data, f"updated {s.name}; next run at {s.data.get('next_run_at')}")
    return 0


def register(sub) -> None:
    sc = group(sub, "schedule", "scheduled jobs")
    c = command(sc, "create", cmd_create, json=True,
                usage="mlservice schedule create NAME (--cron EXPR | --every 'N UNIT') (--notebook NB | --command CMD | --job-json JSON)")
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
    placement_flags(c)
    c.add_argument("--notebook")
    parameter_flag(c, help="may use {{ scheduled_time }}, {{ scheduled_date }}")
    c.add_argument("--job-json", help="the job spec as JSON (any kind, e.g. a batch job)")
    c.add_argument("--command", help="a shell command to run (instead of --notebook)")
    command(sc, "list", cmd_list, json=True)
    p = command(sc, "show", cmd_show, json=True, help="a schedule and its history")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=20)
    open_flag(p)
    up = command(sc, "update", cmd_update, json=True)
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
    for name in ("enable", "disable"):
        command(sc, name, cmd_toggle).add_argument("name")
    r = command(sc, "run", cmd_run, help="run now")
    r.add_argument("name")
    r.add_argument("--wait", action="store_true")
    command(sc, "delete", cmd_delete).add_argument("name")
