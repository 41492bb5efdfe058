"""`mlservice job ...`: submit, list, show, follow and cancel jobs."""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import UsageError
from .common import client, command, emit, emit_record, group, open_flag, pairs, parameter_flag, parameters, placement_flags, table

SHOW_FIELDS = ("id", "display_name", "kind", "status", "target", "experiment", "run_id", "attempt", "exit_code", "error", "created_at", "started_at", "ended_at", "duration_s")


def cmd_submit(args) -> int:
    ml = client(args)
    command_line = args.command
    if command_line and command_line[0] == "--":
        command_line = command_line[1:]
    if bool(command_line) == bool(args.notebook):
        raise UsageError("give either a command after `--` or --notebook NB.ipynb")
    common = dict(
        target=args.target,
        experiment=args.experiment,
        display_name=args.name or "",
        environment_variables=pairs(args.env, "--env"),
        tags=pairs(args.tag, "--tag"),
        timeout_s=args.timeout,
        max_retries=args.max_retries,
        code=args.code,
        environment=args.environment,
    )
    if args.notebook:
        job = ml.jobs.submit(notebook=args.notebook, parameters=parameters(args.parameters), **common)
    else:
        job = ml.jobs.submit(command=command_line if len(command_line) > 1 else command_line[0], **common)
    if args.wait:
        job.wait(show_output=not args.json)
    emit_record(args, ml, job.data, job.id if not args.wait else f"{job.id} {job.status}", "jobs", job.id)
    return 0 if not args.wait or job.status == "Completed" else 1


def cmd_list(args) -> int:
    jobs = client(args).jobs.list(status=args.status, target=args.target, experiment=args.experiment, limit=args.limit)
    rows = [j.data for j in jobs]
    emit(args, rows, table(rows, ["id", "status", "kind", "target", "experiment", "display_name", "created_at"]))
    return 0


def cmd_show(args) -> int:
    ml = client(args)
    d = ml.jobs.get(args.id).data
    emit_record(args, ml, d, "\n".join(f"{k:13} {d.get(k)}" for k in SHOW_FIELDS), "jobs", args.id)
    return 0


def cmd_logs(args) -> int:
    ml = client(args)
    job = ml.jobs.get(args.id)
    if not args.follow:
        sys.stdout.write(job.logs())
        return 0
    offset = 0
    http = ml._http
    while True:
        chunk = http.get(f"/jobs/{args.id}/logs", params={"offset": offset})
        if chunk["text"]:
            sys.stdout.write(chunk["text"])
            sys.stdout.flush()
        offset = chunk["offset"]
        if chunk["complete"]:
            return 0
        if not chunk["text"]:
            time.sleep(0.5)


def cmd_cancel(args) -> int:
    job = client(args).jobs.get(args.id).cancel()
    print(f"{job.id} {job.status}")
    return 0


def register(sub) -> None:
    j = group(sub, "job", "jobs")
    p = command(j, "submit", cmd_submit, json=True, usage="mlservice job submit [options] (--notebook NB | -- COMMAND...)")
    placement_flags(p)
    p.add_argument("--name", default=None, help="display name")
    p.add_argument("--code", default=None, help="folder to snapshot as the job's working dir")
    p.add_argument("--environment", default=None, help="run in this environment (NAME@VERSION or NAME)")
    p.add_argument("--notebook", default=None)
    parameter_flag(p)
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--timeout", type=float, default=None, help="seconds")
    p.add_argument("--max-retries", type=int, default=0)
    p.add_argument("--wait", action="store_true", help="follow the log and wait for the end")
    open_flag(p)
    p.add_argument("command", nargs=argparse.REMAINDER)
    p = command(j, "list", cmd_list, json=True)
    p.add_argument("--status")
    p.add_argument("--target")
    p.add_argument("--experiment")
    p.add_argument("--limit", type=int, default=50)
    p = command(j, "show", cmd_show, json=True)
    p.add_argument("id")
    open_flag(p)
    command(j, "cancel", cmd_cancel).add_argument("id")
    p = command(j, "logs", cmd_logs)
    p.add_argument("id")
    p.add_argument("--follow", "-f", action="store_true")
