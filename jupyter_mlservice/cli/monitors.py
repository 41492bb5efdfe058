"""`mlservice monitor ...`: monitors, their runs and alerts, and endpoint time series."""

from __future__ import annotations

import json
from typing import Any

from .common import client, command, emit, emit_record, group, open_flag, table


def _source(m: dict[str, Any], sep: str = ":") -> str:
    """What a monitor watches: ``iris``, ``batch:nightly`` or ``data:scoring`` (``sep=" "`` in sentences)."""
    if m.get("endpoint"):
        return m["endpoint"]
    return m["current"].replace(":", sep, 1) if m.get("current") else f"batch{sep}{m.get('batch')}"


def _monitor_row(m: dict[str, Any]) -> dict[str, Any]:
    last = m.get("last_run") or {}
    state = last.get("state", "")
    if state == "Completed":
        state = "BREACHED" if last.get("breached") else "ok"
    schedule = m.get("schedule") or {}
    return {**m, "source": _source(m), "schedule": schedule.get("cron") or ("recurrence" if schedule else "on demand"),
            "last_run": state}  # fmt: skip


def _run_line(r: dict[str, Any]) -> str:
    verdict = "BREACHED" if r.get("breached") else ("ok" if r.get("state") == "Completed" else r.get("state"))
    parts = [f"run {r['id']} ({r['trigger']}, job {r['job_id']}): {verdict}", f"{r.get('rows') or 0} rows", f"window {r['window_start']} .. {r['window_end']}"]
    if r.get("data"):
        parts.append("data " + ", ".join(f"{role} {version}" for role, version in r["data"].items()))
    for s in r.get("signals") or []:
        if s["breached"]:
            parts.append(f"{s['type']}: {', '.join(s['breaches'])}")
    if r.get("error"):
        parts.append(f"error: {r['error']}")
    return "; ".join(parts)


def cmd_create(args) -> int:
    alert: dict[str, Any] = {"notify": not args.no_notify}
    if args.webhook:
        alert["webhook"] = args.webhook
    m = client(args).monitors.create(
        args.name, baseline=args.baseline, endpoint=args.endpoint, deployment=args.deployment, batch=args.batch, current=args.current,
        signals=[json.loads(s) if s.startswith("{") else s for s in args.signal] or None, features=args.feature or None,
        schedule={"cron": args.cron, "time_zone": args.time_zone} if args.cron else None, window=args.window, alert=alert,
        alpha=args.alpha, description=args.description, enabled=not args.disabled,
    )  # fmt: skip
    nxt = f"; next run at {m.next_run_at}" if m.data.get("next_run_at") else "; runs on demand (mlservice monitor run)"
    emit(args, m.data, f"created monitor {m.name}{nxt}")
    return 0


def cmd_list(args) -> int:
    items = [m.data for m in client(args).monitors.list(endpoint=args.endpoint)]
    emit(args, items, table([_monitor_row(m) for m in items], ["name", "source", "schedule", "window", "enabled", "last_run", "open_alerts"]))
    return 0


def cmd_show(args) -> int:
    ml = client(args)
    m = ml.monitors.get(args.name).data
    runs = [r.data for r in ml.monitors.runs(args.name, limit=args.limit)]
    lines = [f"monitor {m['name']} on {_source(m, ' ')}, baseline {m['baseline']}, window {m['window']}, "
             f"signals {', '.join(s['type'] for s in m['signals'])}, {'enabled' if m['enabled'] else 'disabled'}"]  # fmt: skip
    if m.get("next_run_at"):
        lines.append(f"next run at {m['next_run_at']}")
    lines += [_run_line(r) for r in runs] or ["no runs yet"]
    emit_record(args, ml, {**m, "runs": runs}, "\n".join(lines), "monitoring", m["name"])
    return 0


def cmd_run(args) -> int:
    run = client(args).monitors.run_now(args.name)
    if args.wait:
        run = run.wait(timeout=args.timeout)
    emit(args, run.data, _run_line(run.data))
    return 0 if not args.wait or run.state == "Completed" else 1


def cmd_results(args) -> int:
    run = client(args).monitors.run(args.name, args.run_id)
    rows = [{**r, "statistic": f"{r['statistic']:.4g}" if r.get("statistic") is not None else "",
             "threshold": f"{r['threshold']:.4g}" if r.get("threshold") is not None else "",
             "p_value": f"{r['p_value']:.3g}" if r.get("p_value") is not None else "", "breached": "BREACHED" if r["breached"] else ""}
            for r in run.results(args.signal)]  # fmt: skip
    emit(args, run.data, _run_line(run.data) + "\n" + table(rows, ["signal", "feature", "method", "statistic", "threshold", "p_value", "breached"]))
    return 0


def cmd_alerts(args) -> int:
    items = [a.data for a in client(args).monitors.alerts(args.name, limit=args.limit)]
    emit(args, items, table(items, ["id", "monitor", "created_at", "delivery", "attempts", "message"]))
    return 0


def cmd_toggle(args) -> int:
    m = getattr(client(args).monitors, args.cmd)(args.name)  # `enable` or `disable`
    print(f"monitor {m.name}: {'enabled' if m.enabled else 'disabled'}")
    return 0


def cmd_delete(args) -> int:
    client(args).monitors.delete(args.name)
    print(f"deleted monitor {args.name}")
    return 0


def cmd_register_collected(args) -> int:
    v = client(args).monitors.register_collected(args.source, args.since, args.until, stream=args.stream, deployment=args.deployment,
                                                 name=args.name)  # fmt: skip
    emit(args, v.data, f"registered {v.ref} ({v.row_count if v.row_count is not None else '?'} rows)")
    return 0


def cmd_series(args) -> int:
    data = client(args).monitors.series(args.endpoint, since=args.since, deployment=args.deployment)
    rows = [{"deployment": d, **p} for d, points in data["deployments"].items() for p in points]
    for r in rows:
        for k in ("request_rate", "error_rate", "p50_ms", "p99_ms"):
            r[k] = f"{r[k]:.3g}" if r.get(k) is not None else ""
    emit(args, data, table(rows, ["deployment", "time", "requests", "errors", "request_rate", "error_rate", "p50_ms", "p99_ms"]))
    return 0


def register(sub) -> None:
    mc = group(sub, "monitor", "model monitoring: drift, data quality, alerts")
    c = command(mc, "create", cmd_create, json=True, help="watch an endpoint or a batch collection against a baseline")
    c.add_argument("name")
    c.add_argument("--baseline", required=True, help="data:NAME[@VERSION|@ALIAS], or a CSV/Parquet file, folder or glob on the server")
    c.add_argument("--endpoint")
    c.add_argument("--deployment")
    c.add_argument("--batch", help="a batch collection name (collect.name of batch jobs)")
    c.add_argument("--current", help="judge a data asset version (data:NAME: its latest at each run) instead of collected traffic")
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
    command(mc, "list", cmd_list, json=True).add_argument("--endpoint")
    sh = command(mc, "show", cmd_show, json=True, help="a monitor and its latest runs")
    sh.add_argument("name")
    sh.add_argument("--limit", type=int, default=10)
    open_flag(sh)
    r = command(mc, "run", cmd_run, json=True, help="run now")
    r.add_argument("name")
    r.add_argument("--wait", action="store_true", help="wait for the run's job and print its verdict")
    r.add_argument("--timeout", type=float, default=600)
    rs = command(mc, "results", cmd_results, json=True, help="a run's per-feature results")
    rs.add_argument("name")
    rs.add_argument("run_id", type=int)
    rs.add_argument("--signal")
    al = command(mc, "alerts", cmd_alerts, json=True)
    al.add_argument("name", nargs="?")
    al.add_argument("--limit", type=int, default=50)
    for name in ("enable", "disable"):
        command(mc, name, cmd_toggle).add_argument("name")
    command(mc, "delete", cmd_delete).add_argument("name")
    rc = command(mc, "register-collected", cmd_register_collected, json=True,
                 help="register what an endpoint (or batch collection) collected in a window as a data asset version")
    rc.add_argument("source", help="an endpoint, or a batch collection name")
    rc.add_argument("--since", required=True, help="ISO time, e.g. 2026-12-03T00:00Z")
    rc.add_argument("--until", help="ISO time (default: now)")
    rc.add_argument("--stream", choices=["inputs", "outputs"], default="inputs")
    rc.add_argument("--deployment")
    rc.add_argument("--name", help="the data asset (default SOURCE-STREAM)")
    se = command(mc, "series", cmd_series, json=True, help="an endpoint's requests, errors and latency over time")
    se.add_argument("endpoint")
    se.add_argument("--since", help="ISO time (default: an hour ago)")
    se.add_argument("--deployment")
