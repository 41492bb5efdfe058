"""`mlservice`: serve a workspace, and drive targets, jobs, models, endpoints... from the shell.

Each area is one module of this package with a `register(sub)` function that adds its command
group; adding an area is one new module and one line in `AREAS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .common import run

AREAS = (
    "serve",
    "targets",
    "jobs",
    "schedules",
    "batch",
    "models",
    "endpoints",
    "monitors",
    "environments",
    "data",
    "sweeps",
    "triggers",
    "rollouts",
    "pipelines",
    "lineage",
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlservice", description="jupyter-mlservice: jobs, targets and the workspace server")
    sub = p.add_subparsers(dest="group", required=True)
    for area in AREAS:
        importlib.import_module(f"{__name__}.{area}").register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if getattr(args, "passes_on", None):
        bad = [a for a in unknown if not args.passes_on(a)]
        if bad:
            parser.error(f"unrecognized arguments: {' '.join(bad)}")
        args.passed_on = unknown
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return run(args)
