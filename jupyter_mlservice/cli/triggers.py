"""`mlservice trigger ...`: run a job when data, a model or a monitor changes, or on a cron."""

from __future__ import annotations

import json
from typing import Any

from ..errors import UsageError
from .common import client, command, emit, group, job_from_flags, parameter_flag, placement_flags, table

SHOW_FIELDS = ("name", "kind", "on", "enabled", "firings", "last_fired_at", "created_by", "description")


def _on(args) -> dict[str, Any]:
    on: dict[str, Any] = {}
    for key in ("data", "model", "alias", "tag", "alert", "cron"):
        value = getattr(args, f"on_{key}")
        if value is not None:
            on[key] = value
    if args.cron_time_zone:
        on["time_zone"] = args.cron_time_zone
    if not on:
        raise UsageError("say what it watches: --on-data NAME, --on-model NAME [--alias A | --tag K[=V]], --on-alert MONITOR or --on-cron EXPR")
    return on


def _run(args) -> dict[str, Any]:
    job = job_from_flags(args)
    if args.job_json:
        return job
    if args.code:
        job["code"] = args.code
    if args.input:
        job["inputs"] = dict(_pair(i) for i in args.input)
    return job


def _pair(item: str) -> tuple[str, str]:
    name, sep, ref = item.partition("=")
    if not sep or not name:
        raise UsageError(f"--input {item!r}: write NAME=REF, e.g. --input train='{{{{ cause.ref }}}}'")
    return name, ref


def _row(t: dict[str, Any]) -> dict[str, Any]:
    on = t.get("on") or {}
    watching = ", ".join(f"{k}={v}" for k, v in on.items() if v is not None and k != "time_zone")
    last = (t.get("last_firings") or [{}])[0] if t.get("last_firings") else {}
    return {**t, "on": watching, "last": f"{last.get('state', '')} {last.get('job_id') or ''}".strip()}


def cmd_create(args) -> int:
    t = client(args).triggers.create(args.name, on=_on(args), run=_run(args), enabled=not args.disabled,
                                     description=args.description or "")
    emit(args, t.data, f"created trigger {t.name} ({t.data.get('kind')})")
    return 0


def cmd_list(args) -> int:
    rows = [_row(t.data) for t in client(args).triggers.list()]
    emit(args, rows, table(rows, ["name", "kind", "on", "enabled", "firings", "last_fired_at", "last"]))
    return 0


def cmd_show(args) -> int:
    ml = client(args)
    t = _row(ml.triggers.get(args.name).data)
    firings = ml.triggers.firings(args.name, limit=args.limit)
    text = "\n".join(f"{k:14} {t.get(k)}" for k in SHOW_FIELDS)
    rows = [{**f, "cause": _cause(f.get("cause") or {})} for f in firings]
    text += "\n\n" + table(rows, ["id", "created_at", "cause", "state", "job_id", "job_status", "reason"])
    emit(args, {**t, "firings_list": firings}, text)
    return 0


def _cause(cause: dict[str, Any]) -> str:
    kind = cause.get("kind", "")
    detail = cause.get("ref") or cause.get("monitor") or cause.get("scheduled_time") or ""
    return f"{kind} {detail}".strip()


def cmd_toggle(args) -> int:
    ml = client(args)
    t = ml.triggers.enable(args.name) if args.cmd == "enable" else ml.triggers.disable(args.name)
    print(f"{t.name} {'enabled' if t.enabled else 'disabled'}")
    return 0


def cmd_fire(args) -> int:
    cause = None
    if args.cause_json:
        try:
            cause = json.loads(args.cause_json)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--cause-json is not JSON: {exc}") from None
    out = client(args).triggers.fire_now(args.name, cause=cause)
    if isinstance(out, dict):
        print(f"not submitted: {out.get('reason')}")
        return 1
    if args.wait:
        out.wait(show_output=True)
    print(f"{out.id} {out.status}")
    return 0 if not args.wait or out.status == "Completed" else 1


def cmd_delete(args) -> int:
    client(args).triggers.delete(args.name)
    print(f"deleted trigger {args.name}")
    return 0


def register(sub) -> None:
    tg = group(sub, "trigger", "jobs run when data, models or monitors change")
    c = command(tg, "create", cmd_create, json=True,
                usage="mlservice trigger create NAME (--on-data A | --on-model M [--alias A | --tag K[=V]] | --on-alert MON | --on-cron EXPR) "
                      "(--command CMD | --notebook NB | --job-json JSON)")
    c.add_argument("name")
    c.add_argument("--on-data", help="a data asset: each new version fires")
    c.add_argument("--on-model", help="a registered model: each new version fires (with --alias / --tag: those changes)")
    c.add_argument("--alias", dest="on_alias", help="with --on-model: the alias moving fires")
    c.add_argument("--tag", dest="on_tag", help="with --on-model: a version getting the tag KEY or KEY=VALUE fires")
    c.add_argument("--on-alert", help="a monitor's name, or '*': each alert fires")
    c.add_argument("--on-cron", help="five-field cron: each slot fires")
    c.add_argument("--cron-time-zone", help="IANA time zone of --on-cron (default UTC)")
    c.add_argument("--description")
    c.add_argument("--disabled", action="store_true")
    placement_flags(c)
    c.add_argument("--command", help="a shell command; may use {{ cause.ref }}, {{ cause.version }}...")
    c.add_argument("--notebook")
    c.add_argument("--code", help="the code folder of --command")
    c.add_argument("--input", action="append", help="NAME=REF, e.g. train='{{ cause.ref }}' (repeat)")
    parameter_flag(c, help="may use {{ cause.ref }}, {{ cause.version }}")
    c.add_argument("--job-json", help="the job spec as JSON (any kind)")
    command(tg, "list", cmd_list, json=True)
    p = command(tg, "show", cmd_show, json=True, help="a trigger and its firings")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=20)
    for name in ("enable", "disable"):
        command(tg, name, cmd_toggle).add_argument("name")
    f = command(tg, "fire", cmd_fire, help="fire now (enabled or not)")
    f.add_argument("name")
    f.add_argument("--cause-json", help='values for {{ cause.* }}, e.g. \'{"ref": "data:iris@2"}\'')
    f.add_argument("--wait", action="store_true")
    command(tg, "delete", cmd_delete).add_argument("name")
