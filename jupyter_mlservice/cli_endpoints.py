"""`mlservice endpoint ...` and `mlservice deployment ...`: online endpoints from the shell."""

from __future__ import annotations

import json


def _ml(args):
    from .sdk import MLService

    return MLService(url=args.url, token=args.token)


def _percentages(items: list[str]) -> dict[str, int]:
    from .cli import _pairs
    from .core.errors import MLServiceError

    try:
        return {k: int(v) for k, v in _pairs(items, "traffic").items()}
    except ValueError:
        raise MLServiceError("traffic looks like NAME=PERCENT, e.g. blue=90 green=10") from None


def cmd_endpoint_list(args) -> int:
    from .cli import _emit, _table

    eps = [e.data for e in _ml(args).endpoints.list()]
    rows = [{**e, "traffic": ",".join(f"{k}={v}" for k, v in e["traffic"].items())} for e in eps]
    _emit(args, eps, _table(rows, ["name", "status", "auth_mode", "scoring_uri", "traffic"]))
    return 0


def cmd_endpoint_create(args) -> int:
    from .cli import _emit

    ep = _ml(args).endpoints.create(name=args.name, auth_mode=args.auth_mode, description=args.description)
    _emit(args, ep.data, f"created endpoint {ep.name} at {ep.scoring_uri}")
    return 0


def cmd_endpoint_show(args) -> int:
    from .cli import _emit, _table

    ml = _ml(args)
    ep = ml.endpoints.get(args.name)
    deps = [d.data for d in ml.deployments.list(args.name)]
    text = f"{ep.name}  {ep.status}  {ep.scoring_uri}\n" + _table(deps, ["name", "status", "model", "model_version", "replicas", "traffic", "mirror_traffic", "error"])
    _emit(args, {**ep.data, "deployment_details": deps}, text)
    return 0


def cmd_endpoint_keys(args) -> int:
    ml = _ml(args)
    keys = ml.endpoints.regenerate_key(args.name, args.regenerate) if args.regenerate else ml.endpoints.get_keys(args.name)
    print(json.dumps(keys, indent=2))
    return 0


def cmd_endpoint_traffic(args) -> int:
    ml = _ml(args)
    values = _percentages(args.split)
    ep = ml.endpoints.set_mirror(args.name, values) if args.mirror else ml.endpoints.set_traffic(args.name, values)
    print(json.dumps(ep.mirror_traffic if args.mirror else ep.traffic))
    return 0


def cmd_endpoint_invoke(args) -> int:
    from .core.errors import MLServiceError

    try:
        data = json.loads(open(args.file).read() if args.file else args.data)
    except (OSError, ValueError) as exc:
        raise MLServiceError(f"the request data must be JSON: {exc}") from None
    answer = _ml(args).endpoints.invoke(args.name, data, deployment=args.deployment, path=args.path)
    print(json.dumps(answer, indent=2) if not isinstance(answer, str) else answer)
    return 0


def cmd_endpoint_delete(args) -> int:
    _ml(args).endpoints.delete(args.name)
    print(f"deleted endpoint {args.name}")
    return 0


def cmd_deployment_create(args) -> int:
    from .cli import _emit, _pairs

    dep = _ml(args).deployments.create(
        endpoint=args.endpoint, name=args.name, model=args.model, code=args.code, scoring_script=args.scoring_script,
        replicas=args.replicas, environment_variables=_pairs(args.env, "--env"), wait=not args.no_wait,
        collect={"sample_rate": args.collect} if args.collect is not None else None,
    )
    _emit(args, dep.data, f"deployment {args.endpoint}/{dep.name}: {dep.status} (model {dep.model_name}:{dep.model_version})")
    return 0


def cmd_deployment_update(args) -> int:
    from .cli import _emit

    changes = {k: v for k, v in (("model", args.model), ("replicas", args.replicas), ("code", args.code), ("scoring_script", args.scoring_script)) if v is not None}
    dep = _ml(args).deployments.update(args.endpoint, args.name, **changes)
    _emit(args, dep.data, f"deployment {args.endpoint}/{dep.name}: {dep.status} (model {dep.model_name}:{dep.model_version})")
    return 0


def cmd_deployment_logs(args) -> int:
    print(_ml(args).deployments.logs(endpoint=args.endpoint, name=args.name), end="")
    return 0


def cmd_deployment_delete(args) -> int:
    _ml(args).deployments.delete(endpoint=args.endpoint, name=args.name)
    print(f"deleted deployment {args.endpoint}/{args.name}")
    return 0


def register(sub, common, reader) -> None:
    e = sub.add_parser("endpoint", help="online endpoints").add_subparsers(dest="cmd", required=True)
    p = e.add_parser("list", parents=[common, reader])
    p.set_defaults(func=cmd_endpoint_list)
    p = e.add_parser("create", parents=[common, reader])
    p.add_argument("name")
    p.add_argument("--auth-mode", choices=["key", "none"], default="key")
    p.add_argument("--description", default="")
    p.set_defaults(func=cmd_endpoint_create)
    p = e.add_parser("show", parents=[common, reader])
    p.add_argument("name")
    p.set_defaults(func=cmd_endpoint_show)
    p = e.add_parser("keys", parents=[common], help="print the keys (or --regenerate primary|secondary)")
    p.add_argument("name")
    p.add_argument("--regenerate", choices=["primary", "secondary"])
    p.set_defaults(func=cmd_endpoint_keys)
    p = e.add_parser("traffic", parents=[common], help="e.g. `traffic iris blue=90 green=10`")
    p.add_argument("name")
    p.add_argument("split", nargs="+", metavar="NAME=PERCENT")
    p.add_argument("--mirror", action="store_true", help="set mirror traffic instead")
    p.set_defaults(func=cmd_endpoint_traffic)
    p = e.add_parser("invoke", parents=[common])
    p.add_argument("name")
    p.add_argument("--data", default=None, help="JSON payload")
    p.add_argument("--file", default=None, help="file with the JSON payload")
    p.add_argument("--deployment", default=None)
    p.add_argument("--path", default="/invocations")
    p.set_defaults(func=cmd_endpoint_invoke)
    p = e.add_parser("delete", parents=[common])
    p.add_argument("name")
    p.set_defaults(func=cmd_endpoint_delete)

    d = sub.add_parser("deployment", help="deployments of an endpoint").add_subparsers(dest="cmd", required=True)
    p = d.add_parser("create", parents=[common, reader])
    p.add_argument("endpoint")
    p.add_argument("name")
    p.add_argument("--model", required=True, help="iris:3, iris@champion or iris")
    p.add_argument("--code", default=None)
    p.add_argument("--scoring-script", default=None)
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--collect", nargs="?", const=1.0, type=float, metavar="SAMPLE_RATE",
                   help="record inputs and predictions for monitoring (a share of requests; default all)")
    p.add_argument("--no-wait", action="store_true")
    p.set_defaults(func=cmd_deployment_create)
    p = d.add_parser("update", parents=[common, reader])
    p.add_argument("endpoint")
    p.add_argument("name")
    p.add_argument("--model")
    p.add_argument("--replicas", type=int)
    p.add_argument("--code")
    p.add_argument("--scoring-script")
    p.set_defaults(func=cmd_deployment_update)
    p = d.add_parser("logs", parents=[common])
    p.add_argument("endpoint")
    p.add_argument("name")
    p.set_defaults(func=cmd_deployment_logs)
    p = d.add_parser("delete", parents=[common])
    p.add_argument("endpoint")
    p.add_argument("name")
    p.set_defaults(func=cmd_deployment_delete)
