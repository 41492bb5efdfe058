"""`mlservice target ...`: compute targets."""

from __future__ import annotations

from typing import Any

from .common import client, command, emit, group, pairs, parse_value, table


def cmd_list(args) -> int:
    targets = client(args).targets.list()
    emit(args, targets, table(targets, ["name", "type", "capacity", "running", "queued", "description"]))
    return 0


def cmd_create(args) -> int:
    settings: dict[str, Any] = {k: parse_value(v) for k, v in pairs(args.set, "--set").items()}
    if args.max_concurrency is not None:
        settings["max_concurrency"] = args.max_concurrency
    t = client(args).targets.create(name=args.name, type=args.type, description=args.description, **settings)
    emit(args, t, f"created target {t['name']} ({t['type']}, capacity {t['capacity']})")
    return 0


def cmd_delete(args) -> int:
    client(args).targets.delete(args.name)
    print(f"deleted target {args.name}")
    return 0


def register(sub) -> None:
    t = group(sub, "target", "compute targets")
    command(t, "list", cmd_list, json=True)
    p = command(t, "create", cmd_create, json=True)
    p.add_argument("name")
    p.add_argument("--type", default="local")
    p.add_argument("--description", default="")
    p.add_argument("--max-concurrency", type=int, default=None)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a type-specific setting")
    p = command(t, "delete", cmd_delete)
    p.add_argument("name")
