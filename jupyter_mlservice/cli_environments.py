"""`mlservice environment ...`: named, versioned environments from the shell."""

from __future__ import annotations

import json


def _client(args):
    from .sdk import MLService

    return MLService(url=args.url, token=args.token)


def _row(env) -> dict:
    return {**env.data, "packages": len(env.resolved)}


def cmd_list(args) -> int:
    from .cli import _emit, _table

    envs = _client(args).environments.list(name=args.name)
    _emit(args, [e.data for e in envs], _table([_row(e) for e in envs], ["reference", "state", "packages", "source", "description"]))
    return 0


def cmd_show(args) -> int:
    from .cli import _emit

    env = _client(args).environments.get(args.ref)
    _emit(args, env.data, json.dumps(env.data, indent=2, default=str))
    return 0


def cmd_create(args) -> int:
    from .cli import _emit
    from .core.errors import MLServiceError

    sources = [x for x in (args.requirement, args.requirements_file, args.conda_file, args.model) if x]
    if len(sources) != 1:
        raise MLServiceError("give the packages: --requirement PKG (repeat), --requirements-file F, --conda-file F or --model REF")
    ml = _client(args)
    env = ml.environments.create(
        args.name, requirements=args.requirement or None, requirements_file=args.requirements_file,
        conda_file=args.conda_file, model=args.model, description=args.description, build=not args.no_build,
    )
    if args.wait and not args.no_build:
        env = ml.environments.build(env.reference)
    for warning in env.warnings:
        print(f"warning: {warning}")
    _emit(args, env.data, f"{env.reference} {env.state} ({len(env.resolved)} packages)")
    return 0


def cmd_build(args) -> int:
    from .cli import _emit

    env = _client(args).environments.build(args.ref)
    _emit(args, env.data, f"{env.reference} {env.state}")
    return 0


def cmd_logs(args) -> int:
    print(_client(args).environments.logs(args.ref), end="")
    return 0


def register(sub, common, reader) -> None:
    e = sub.add_parser("environment", help="Python environments for jobs and deployments").add_subparsers(dest="cmd", required=True)
    p = e.add_parser("list", parents=[common, reader])
    p.add_argument("--name", help="every version of this environment")
    p.set_defaults(func=cmd_list)
    p = e.add_parser("show", parents=[common, reader], help="NAME@VERSION, or NAME (the latest)")
    p.add_argument("ref")
    p.set_defaults(func=cmd_show)
    p = e.add_parser("create", parents=[common, reader])
    p.add_argument("name")
    p.add_argument("-r", "--requirement", action="append", help="a pip requirement, e.g. scikit-learn==1.2.2 (repeat)")
    p.add_argument("--requirements-file", help="a requirements.txt")
    p.add_argument("--conda-file", help="a conda file (Azure's / MLflow's conda.yaml)")
    p.add_argument("--model", help="a registered MLflow model (iris:1): its own requirements")
    p.add_argument("--description", default="")
    p.add_argument("--no-build", action="store_true", help="build on first use instead of now")
    p.add_argument("--wait", action="store_true", help="wait for the build")
    p.set_defaults(func=cmd_create)
    p = e.add_parser("build", parents=[common, reader], help="build now (or wait for the build in progress)")
    p.add_argument("ref")
    p.set_defaults(func=cmd_build)
    p = e.add_parser("logs", parents=[common], help="the build log")
    p.add_argument("ref")
    p.set_defaults(func=cmd_logs)
