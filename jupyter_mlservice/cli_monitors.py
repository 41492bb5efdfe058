"""`mlservice monitor ...`: monitors, their runs and alerts, and endpoint time series."""

from __future__ import annotations

import json
from typing import Any


def _cli():
    from . import cli

    return cli


def _monitor_row(m: dict[str, Any]) -> dict[str, Any]:
    last = m.get("last_run") or {}
    state = last.get("state", "")
    if state == "Completed":
        state = "BREACHED" if last.get("breached") else "ok"
    schedule = m.get("schedule") or {}
    return {**m, "source": m.get("endpoint") or f"batch:{m.get('batch')}", "schedule": schedule.get("cron") or ("recurrence" if schedule else "on demand"),
            "last_run": state}  # fmt: skip


def _run_line(r: dict[str, Any]) -> str:
    verdict = "BREACHED" if r.get("breached") else ("ok" if r.get("state") == "Completed" else r.get("state"))
    parts = [f"run {r['id']} ({r['trigger']}, job {r['job_id']}): {verdict}", f"{r.get('rows') or 0} rows", f"window {r['window_start']} .. {r['window_end']}"]
    for s in r.get("signals") or []:
        if s["breached"]:
            parts.append(f"{s['type']}: {', '.join(s['breaches'])}")
    if r.get("error"):
        parts.append(f"error: {r['error']}")
    return "; ".join(parts)


def cmd_create(args) -> int:
    cli = _cli()
    alert: dict[str, Any] = {"notify": not args.no_notify}
    if args.webhook:
        alert["webhook"] = args.webhook
    m = cli._client(args).monitors.create(
        args.name, baseline=args.baseline, endpoint=args.endpoint, deployment=args.deployment, batch=args.batch,
        signals=[json.loads(s) if s.startswith("{") else s for s in args.signal] or None, features=args.feature or None,
        schedule={"cron": args.cron, "time_zone": args.time_zone} if args.cron else None, window=args.window, alert=alert,
        alpha=args.alpha, description=args.description, enabled=not args.disabled,
    )  # fmt: skip
    nxt = f"; next run at {m.next_run_at}" if m.data.get("next_run_at") else "; runs on demand (mlservice monitor run)"
    cli._emit(args, m.data, f"created monitor {m.name}{nxt}")
    return 0


def cmd_list(args) -> int:
    cli = _cli()
    items = [m.data for m in cli._client(args).monitors.list(endpoint=args.endpoint)]
    cli._emit(args, items, cli._table([_monitor_row(m) for m in items], ["name", "source", "schedule", "window", "enabled", "last_run", "open_alerts"]))
    return 0


def cmd_show(args) -> int:
    cli = _cli()
    ml = cli._client(args)
    m = ml.monitors.get(args.name).data
    runs = [r.data for r in ml.monitors.runs(args.name, limit=args.limit)]
    lines = [f"monitor {m['name']} on {m.get('endpoint') or 'batch ' + str(m.get('batch'))}, baseline {m['baseline']}, window {m['window']}, "
             f"signals {', '.join(s['type'] for s in m['signals'])}, {'enabled' if m['enabled'] else 'disabled'}"]  # fmt: skip
    if m.get("next_run_at"):
        lines.append(f"next run at {m['next_run_at']}")
    lines += [_run_line(r) for r in runs] or ["no runs yet"]
    cli._emit(args, {**m, "runs": runs}, "\n".join(lines))
    return 0


def cmd_run(args) -> int:
    cli = _cli()
    run = cli._client(args).monitors.run_now(args.name)
    if args.wait:
        run = run.wait(timeout=args.timeout)
    cli._emit(args, run.data, _run_line(run.data))
    return 0 if not args.wait or run.state == "Completed" else 1


def cmd_results(args) -> int:
    cli = _cli()
    run = cli._client(args).monitors.run(args.name, args.run_id)
    rows = [{**r, "statistic": f"{r['statistic']:.4g}" if r.get("statistic") is not None else "",
             "threshold": f"{r['threshold']:.4g}" if r.get("threshold") is not None else "",
             "p_value": f"{r['p_value']:.3g}" if r.get("p_value") is not None else "", "breached": "BREACHED" if r["breached"] else ""}
            for r in run.results(args.signal)]  # fmt: skip
    cli._emit(args, run.data, _run_line(run.data) + "\n" + cli._table(rows, ["signal", "feature", "method", "statistic", "threshold", "p_value", "breached"]))
    return 0


def cmd_alerts(args) -> int:
    cli = _cli()
    items = [a.data for a in cli._client(args).monitors.alerts(args.name, limit=args.limit)]
    cli._emit(args, items, cli._table(items, ["id", "monitor", "created_at", "delivery", "attempts", "message"]))
    return 0


def cmd_toggle(args) -> int:
    cli = _cli()
    ml = cli._client(args)
    m = ml.monitors.enable(args.name) if args.cmd == "enable" else ml.monitors.disable(args.name)
    print(f"monitor {m.name}: {'enabled' if m.enabled else 'disabled'}")
    return 0


def cmd_delete(args) -> int:
    _cli()._client(args).monitors.delete(args.name)
    print(f"deleted monitor {args.name}")
    return 0


def cmd_series(args) -> int:
    cli = _cli()
    data = cli._client(args).monitors.series(args.endpoint, since=args.since, deployment=args.deployment)
    rows = [{"deployment": d, **p} for d, points in data["deployments"].items() for p in points]
    for r in rows:
        for k in ("request_rate", "error_rate", "p50_ms", "p99_ms"):
            r[k] = f"{r[k]:.3g}" if r.get(k) is not None else ""
    cli._emit(args, data, cli._table(rows, ["deployment", "time", "requests", "errors", "request_rate", "error_rate", "p50_ms", "p99_ms"]))
    return 0


def register(sub, common, reader) -> None:
    mc = sub.add_parser("monitor", help="model monitoring: drift, data quality, alerts").add_subparsers(dest="cmd", required=True)
    c = mc.add_parser("create", parents=[common, reader], help="watch an endpoint or a batch collection against a baseline")
    c.add_argument("name")
    c.add_argument("--baseline", required=True, help="CSV/Parquet file, folder or glob on the server")
    c.add_argument("--endpoint")
    c.add_argument("--deployment")
    c.add_argument("--batch", help="a batch collection name (collect.name of batch jobs)")
    c.add_argument("--signal", action="append", default=[], help="data_drift, prediction_drift, data_quality, weighted_drift, or JSON settings")
    c.add_argument("--feature", action="append", default=[], help="a feature to watch (default: the model's inputs)")
    c.add_argument("--cron", help="when runs start, e.g. '0 * * * *' (default: on demand only)")
    c.add_argument("--time-zone", default="UTC")
    c.add_argument("--window", default="1h", help="data judged by each run: 30m, 1h, 1d...")
    c.add_argument("--alpha", type=float, default=0.05, help="share of runs on unchanged data allowed to alarm")
    c.add_argument("--webhook", help="URL that gets a JSON POST per alert")
    c.add_argument("--no-notify", action="store_true", help="no JupyterLab notification on alerts")
    c.add_argument("--description", default="")
    c.add_argument("--disabled", action="store_true")
    c.set_defaults(func=cmd_create)
    ls = mc.add_parser("list", parents=[common, reader])
    ls.add_argument("--endpoint")
    ls.set_defaults(func=cmd_list)
    sh = mc.add_parser("show", parents=[common, reader], help="a monitor and its latest runs")
    sh.add_argument("name")
    sh.add_argument("--limit", type=int, default=10)
    sh.set_defaults(func=cmd_show)
    r = mc.add_parser("run", parents=[common, reader], help="run now")
    r.add_argument("name")
    r.add_argument("--wait", action="store_true", help="wait for the run's job and print its verdict")
    r.add_argument("--timeout", type=float, default=600)
    r.set_defaults(func=cmd_run)
    rs = mc.add_parser("results", parents=[common, reader], help="a run's per-feature results")
    rs.add_argument("name")
    rs.add_argument("run_id", type=int)
    rs.add_argument("--signal")
    rs.set_defaults(func=cmd_results)
    al = mc.add_parser("alerts", parents=[common, reader])
    al.add_argument("name", nargs="?")
    al.add_argument("--limit", type=int, default=50)
    al.set_defaults(func=cmd_alerts)
    for name in ("enable", "disable"):
        p = mc.add_parser(name, parents=[common])
        p.add_argument("name")
        p.set_defaults(func=cmd_toggle)
    d = mc.add_parser("delete", parents=[common])
    d.add_argument("name")
    d.set_defaults(func=cmd_delete)
    se = mc.add_parser("series", parents=[common, reader], help="an endpoint's requests, errors and latency over time")
    se.add_argument("endpoint")
    se.add_argument("--since", help="ISO time (default: an hour ago)")
    se.add_argument("--deployment")
    se.set_defaults(func=cmd_series)
