"""`mlservice batch ...`: score a registered model over files or a SQL query, as a job."""

from __future__ import annotations

import sys
import time
from typing import Any

from ..errors import UsageError
from .common import client, command, emit, group, placement_flags


def _io(path: str | None, url: str | None, sql: str | None, table: str | None) -> dict[str, Any] | None:
    out = {k: v for k, v in (("path", path), ("url", url), ("sql", sql), ("table", table)) if v}
    return out or None


def cmd_submit(args) -> int:
    ml = client(args)
    inp = _io(args.input, args.input_url, args.sql, args.input_table)
    if not inp:
        raise UsageError("give the input: --input PATH (files) or --input-url URL with --sql QUERY or --input-table T")
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
    emit(args, job.data, job.id if not args.wait else f"{job.id} {job.status}")
    return 0 if not args.wait or job.status == "Completed" else 1


def _follow(job) -> None:
    from ..sdk.jobs import TERMINAL

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


def cmd_progress(args) -> int:
    job = client(args).jobs.get(args.id)
    if args.follow:
        _follow(job)
        return 0
    p = job.progress()
    emit(args, p, "\n".join(f"{k:22} {v}" for k, v in p.items() if k != "failures"))
    return 0


def register(sub) -> None:
    bt = group(sub, "batch", "batch inference")
    b = command(bt, "submit", cmd_submit, json=True)
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
    placement_flags(b)
    b.add_argument("--wait", action="store_true", help="show progress until the job ends")
    p = command(bt, "progress", cmd_progress, json=True)
    p.add_argument("id")
    p.add_argument("--follow", "-f", action="store_true")
