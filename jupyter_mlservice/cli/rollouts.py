"""`mlservice rollout ...`: move an endpoint to a new model version step by step."""

from __future__ import annotations

import json
from typing import Any

from ..errors import UsageError
from .common import client, command, emit, group, table


def _plan(args) -> dict[str, Any]:
    plan: dict[str, Any] = {}
    if args.steps:
        try:
            plan["steps"] = [int(s) for s in args.steps.split(",")]
        except ValueError:
            raise UsageError(f"--steps {args.steps!r}: write percentages separated by commas, e.g. 10,50,100") from None
    for key in ("interval_s", "mirror_first_s", "min_requests", "grace_s"):
        value = getattr(args, key)
        if value is not None:
            plan[key] = value
    limits = {k: getattr(args, k) for k in ("error_rate", "p99_ms") if getattr(args, k) is not None}
    if limits:
        plan["rollback_if"] = limits
    return plan


def _show(r: dict[str, Any]) -> str:
    lines = [f"{r['id']} {r['state']}: {r['endpoint']} {r['baseline']} -> {r['candidate']} ({r['model']}), "
             f"candidate takes {r['traffic_percent']}%"]
    if r.get("reason"):
        lines.append(r["reason"])
    rows = [{"phase": h["phase"], "decision": h["decision"], "candidate": _stats(h["candidate"]), "baseline": _stats(h["baseline"])}
            for h in r.get("history") or []]
    if rows:
        lines += ["", table(rows, ["phase", "decision", "candidate", "baseline"])]
    return "\n".join(lines)


def _stats(s: dict[str, Any]) -> str:
    rate = "-" if s.get("error_rate") is None else f"{s['error_rate']:.1%}"
    return f"{s.get('requests', 0)} req, errors {rate}, p99 {s.get('p99_ms') if s.get('p99_ms') is not None else '-'} ms"


def cmd_start(args) -> int:
    settings = json.loads(args.settings_json) if args.settings_json else None
    r = client(args).rollouts.start(args.endpoint, args.model, deployment=args.deployment, rollout=_plan(args),
                                    deployment_settings=settings, require_approval=args.require_approval, dry_run=args.dry_run)
    if args.wait:
        r.wait()
    emit(args, r.data, _show(r.data))
    return 0 if r.state != "RolledBack" else 1


def cmd_list(args) -> int:
    rows = [r.data for r in client(args).rollouts.list(endpoint=args.endpoint)]
    emit(args, rows, table(rows, ["id", "endpoint", "baseline", "candidate", "model", "state", "traffic_percent", "created_at"]))
    return 0


def cmd_show(args) -> int:
    r = client(args).rollouts.get(args.id)
    emit(args, r.data, _show(r.data))
    return 0


def cmd_act(args) -> int:
    ml = client(args)
    r = ml.rollouts.approve(args.id) if args.cmd == "approve" else ml.rollouts.abort(args.id)
    emit(args, r.data, _show(r.data))
    return 0


def register(sub) -> None:
    rg = group(sub, "rollout", "progressive rollouts with automatic rollback")
    p = command(rg, "start", cmd_start, json=True, usage="mlservice rollout start ENDPOINT MODEL [--steps 10,50,100] [--interval-s S] ...")
    p.add_argument("endpoint")
    p.add_argument("model", help="NAME:V or NAME@ALIAS")
    p.add_argument("--deployment", help="name of the candidate deployment (default v<version>)")
    p.add_argument("--steps", help="percentages, e.g. 10,50,100")
    p.add_argument("--interval-s", dest="interval_s", type=float)
    p.add_argument("--mirror-first-s", dest="mirror_first_s", type=float)
    p.add_argument("--min-requests", dest="min_requests", type=int)
    p.add_argument("--grace-s", dest="grace_s", type=float)
    p.add_argument("--error-rate", dest="error_rate", type=float, help="roll back above this error rate (0.01 = 1%%)")
    p.add_argument("--p99-ms", dest="p99_ms", type=float, help="roll back above this p99 latency")
    p.add_argument("--settings-json", help="the candidate deployment's settings (code, scoring_script, replicas...) as JSON")
    p.add_argument("--require-approval", action="store_true")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--wait", action="store_true", help="until it completes or rolls back (exit 1 on a rollback)")
    p = command(rg, "list", cmd_list, json=True)
    p.add_argument("--endpoint")
    p = command(rg, "show", cmd_show, json=True)
    p.add_argument("id")
    for name in ("approve", "abort"):
        command(rg, name, cmd_act, json=True).add_argument("id")
