"""`mlservice endpoint ...` and `mlservice deployment ...`: online endpoints from the shell."""

from __future__ import annotations

import json

from ..errors import UsageError
from .common import client, command, emit, emit_record, group, open_flag, pairs, table


def _percentages(items: list[str]) -> dict[str, int]:
    try:
        return {k: int(v) for k, v in pairs(items, "traffic").items()}
    except ValueError:
        raise UsageError("traffic looks like NAME=PERCENT, e.g. blue=90 green=10") from None


def cmd_endpoint_list(args) -> int:
    eps = [e.data for e in client(args).endpoints.list()]
    rows = [{**e, "traffic": ",".join(f"{k}={v}" for k, v in e["traffic"].items())} for e in eps]
    emit(args, eps, table(rows, ["name", "status", "auth_mode", "scoring_uri", "traffic"]))
    return 0


def cmd_endpoint_create(args) -> int:
    ep = client(args).endpoints.create(name=args.name, auth_mode=args.auth_mode, description=args.description)
    emit(args, ep.data, f"created endpoint {ep.name} at {ep.scoring_uri}")
    return 0


def cmd_endpoint_show(args) -> int:
    ml = client(args)
    ep = ml.endpoints.get(args.name)
    deps = [d.data for d in ml.deployments.list(args.name)]
    text = f"{ep.name}  {ep.status}  {ep.scoring_uri}\n" + table(deps, ["name", "status", "model", "model_version", "replicas", "traffic", "mirror_traffic", "error"])
    emit_record(args, ml, {**ep.data, "deployment_details": deps}, text, "endpoints", ep.name)
    return 0


def cmd_endpoint_keys(args) -> int:
    ml = client(args)
    keys = ml.endpoints.regenerate_key(args.name, args.regenerate) if args.regenerate else ml.endpoints.get_keys(args.name)
    print(json.dumps(keys, indent=2))
    return 0


def cmd_endpoint_traffic(args) -> int:
    ml = client(args)
    values = _percentages(args.split)
    ep = ml.endpoints.set_mirror(args.name, values) if args.mirror else ml.endpoints.set_traffic(args.name, values)
    print(json.dumps(ep.mirror_traffic if args.mirror else ep.traffic))
    return 0


def cmd_endpoint_history(args) -> int:
    items = client(args).endpoints.history(args.name, at=args.at, limit=args.limit)
    rows = [{"since": h["time"], "traffic": _split(h["traffic"]), "mirror": _split(h["mirror_traffic"]),
             "models": _split(h["models"])} for h in items]
    emit(args, items, table(rows, ["since", "traffic", "mirror", "models"]))
    return 0


def cmd_endpoint_restore(args) -> int:
    ep = client(args).endpoints.restore(args.name, at=args.at)
    print(json.dumps({"traffic": ep.traffic, "mirror_traffic": ep.mirror_traffic}))
    return 0


def _split(values: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in values.items()) or "-"


def cmd_endpoint_invoke(args) -> int:
    try:
        data = json.loads(open(args.file).read() if args.file else args.data)
    except (OSError, ValueError) as exc:
        raise UsageError(f"the request data must be JSON: {exc}") from None
    answer = client(args).endpoints.invoke(args.name, data, deployment=args.deployment, path=args.path)
    print(json.dumps(answer, indent=2) if not isinstance(answer, str) else answer)
    return 0


def cmd_endpoint_delete(args) -> int:
    client(args).endpoints.delete(args.name)
    print(f"deleted endpoint {args.name}")
    return 0


def _deployment_line(endpoint: str, dep) -> str:
    return f"deployment {endpoint}/{dep.name}: {dep.status} (model {dep.model_name}:{dep.model_version})"


def cmd_deployment_create(args) -> int:
    dep = client(args).deployments.create(
        endpoint=args.endpoint, name=args.name, model=args.model, code=args.code, scoring_script=args.scoring_script,
        replicas=args.replicas, environment_variables=pairs(args.env, "--env"), all_traffic=args.all_traffic,
        collect={"sample_rate": args.collect} if args.collect is not None else None,
        environment=args.environment, env_manager=args.env_manager, wait=not args.no_wait,
    )
    emit(args, dep.data, _deployment_line(args.endpoint, dep))
    return 0


def cmd_deployment_update(args) -> int:
    changes = {k: v for k, v in (("model", args.model), ("replicas", args.replicas), ("code", args.code), ("scoring_script", args.scoring_script)) if v is not None}
    if args.all_traffic:
        changes["all_traffic"] = True
    dep = client(args).deployments.update(args.endpoint, args.name, **changes)
    emit(args, dep.data, _deployment_line(args.endpoint, dep))
    return 0


def cmd_deployment_logs(args) -> int:
    print(client(args).deployments.logs(endpoint=args.endpoint, name=args.name), end="")
    return 0


def cmd_deployment_delete(args) -> int:
    client(args).deployments.delete(endpoint=args.endpoint, name=args.name)
    print(f"deleted deployment {args.endpoint}/{args.name}")
    return 0


def _deployment_command(d, name: str, func, **kw):
    p = command(d, name, func, **kw)
    p.add_argument("endpoint")
    p.add_argument("name")
    return p


def register(sub) -> None:
    e = group(sub, "endpoint", "online endpoints")
    command(e, "list", cmd_endpoint_list, json=True)
    p = command(e, "create", cmd_endpoint_create, json=True)
    p.add_argument("name")
    p.add_argument("--auth-mode", choices=["key", "none"], default="key")
    p.add_argument("--description", default="")
    p = command(e, "show", cmd_endpoint_show, json=True)
    p.add_argument("name")
    open_flag(p)
    p = command(e, "keys", cmd_endpoint_keys, help="print the keys (or --regenerate primary|secondary)")
    p.add_argument("name")
    p.add_argument("--regenerate", choices=["primary", "secondary"])
    p = command(e, "traffic", cmd_endpoint_traffic, help="e.g. `traffic iris blue=90 green=10`")
    p.add_argument("name")
    p.add_argument("split", nargs="+", metavar="NAME=PERCENT")
    p.add_argument("--mirror", action="store_true", help="set mirror traffic instead")
    p = command(e, "history", cmd_endpoint_history, json=True, help="what it served and since when (--at T: then)")
    p.add_argument("name")
    p.add_argument("--at", help="an ISO 8601 instant, e.g. 2026-12-01T09:00:00Z")
    p.add_argument("--limit", type=int, default=100)
    p = command(e, "restore", cmd_endpoint_restore, help="serve again what it served at --at (its traffic split)")
    p.add_argument("name")
    p.add_argument("--at", required=True, help="an ISO 8601 instant")
    p = command(e, "invoke", cmd_endpoint_invoke)
    p.add_argument("name")
    p.add_argument("--data", default=None, help="JSON payload")
    p.add_argument("--file", default=None, help="file with the JSON payload")
    p.add_argument("--deployment", default=None)
    p.add_argument("--path", default="/invocations")
    command(e, "delete", cmd_endpoint_delete).add_argument("name")

    d = group(sub, "deployment", "deployments of an endpoint")
    p = _deployment_command(d, "create", cmd_deployment_create, json=True)
    p.add_argument("--model", required=True, help="iris:3, iris@champion or iris")
    p.add_argument("--code", default=None)
    p.add_argument("--scoring-script", default=None)
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--environment", default=None, help="serve in this environment (NAME@VERSION)")
    p.add_argument("--env-manager", choices=["local", "virtualenv"], default=None,
                   help="virtualenv: the MLflow model's own requirements (default when its pins disagree with the server's)")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--collect", nargs="?", const=1.0, type=float, metavar="SAMPLE_RATE",
                   help="record inputs and predictions for monitoring (a share of requests; default all)")
    p.add_argument("--no-wait", action="store_true")
    p.add_argument("--all-traffic", action="store_true", help="once Healthy, take all of the endpoint's traffic")
    p = _deployment_command(d, "update", cmd_deployment_update, json=True)
    p.add_argument("--model")
    p.add_argument("--replicas", type=int)
    p.add_argument("--code")
    p.add_argument("--scoring-script")
    p.add_argument("--all-traffic", action="store_true", help="once Healthy, take all of the endpoint's traffic")
    _deployment_command(d, "logs", cmd_deployment_logs)
    _deployment_command(d, "delete", cmd_deployment_delete)
