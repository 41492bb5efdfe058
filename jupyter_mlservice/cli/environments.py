"""`mlservice environment ...`: named, versioned environments from the shell."""

from __future__ import annotations

import json

from ..errors import UsageError
from .common import client, command, emit, group, table


def _row(env) -> dict:
    return {**env.data, "packages": len(env.resolved)}


def cmd_list(args) -> int:
    envs = client(args).environments.list(name=args.name)
    emit(args, [e.data for e in envs], table([_row(e) for e in envs], ["reference", "state", "packages", "source", "description"]))
    return 0


def cmd_show(args) -> int:
    env = client(args).environments.get(args.ref)
    emit(args, env.data, json.dumps(env.data, indent=2, default=str))
    return 0


def cmd_create(args) -> int:
    sources = [x for x in (args.requirement, args.requirements_file, args.conda_file, args.model) if x]
    if len(sources) != 1:
        raise UsageError("give the packages: --requirement PKG (repeat), --requirements-file F, --conda-file F or --model REF")
    ml = client(args)
    env = ml.environments.create(
        args.name, requirements=args.requirement or None, requirements_file=args.requirements_file,
        conda_file=args.conda_file, model=args.model, description=args.description, build=not args.no_build,
    )
    if args.wait and not args.no_build:
        env = ml.environments.build(env.reference)
    for warning in env.warnings:
        print(f"warning: {warning}")
    emit(args, env.data, f"{env.reference} {env.state} ({len(env.resolved)} packages)")
    return 0


def cmd_build(args) -> int:
    env = client(args).environments.build(args.ref)
    emit(args, env.data, f"{env.reference} {env.state}")
    return 0


def cmd_logs(args) -> int:
    print(client(args).environments.logs(args.ref), end="")
    return 0


def register(sub) -> None:
    e = group(sub, "environment", "Python environments for jobs and deployments")
    p = command(e, "list", cmd_list, json=True)
    p.add_argument("--name", help="every version of this environment")
    command(e, "show", cmd_show, json=True, help="NAME@VERSION, or NAME (the latest)").add_argument("ref")
    p = command(e, "create", cmd_create, json=True)
    p.add_argument("name")
    p.add_argument("-r", "--requirement", action="append", help="a pip requirement, e.g. scikit-learn==1.2.2 (repeat)")
    p.add_argument("--requirements-file", help="a requirements.txt")
    p.add_argument("--conda-file", help="a conda file (Azure's / MLflow's conda.yaml)")
    p.add_argument("--model", help="a registered MLflow model (iris:1): its own requirements")
    p.add_argument("--description", default="")
    p.add_argument("--no-build", action="store_true", help="build on first use instead of now")
    p.add_argument("--wait", action="store_true", help="wait for the build")
    command(e, "build", cmd_build, json=True, help="build now (or wait for the build in progress)").add_argument("ref")
    command(e, "logs", cmd_logs, help="the build log").add_argument("ref")
