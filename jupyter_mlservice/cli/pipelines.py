"""`mlservice pipeline ...` and `mlservice component ...`: pipeline runs and the component registry."""

from __future__ import annotations

from ..errors import UsageError
from .common import client, command, emit, group, parse_value, table


def _params(items: list[str] | None) -> dict:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"-p must look like NAME=VALUE (e.g. -p test_size=0.3), got {item!r}")
        out[key] = parse_value(value)
    return out


def _step_rows(run) -> list[dict]:
    return [{"step": s.name, "status": s.status, "job_id": s.job_id or "", "reused_from": s.reused_from or "",
             "why": (s.why or s.error or "")[:90]} for s in run.steps]


def cmd_submit(args) -> int:
    ml = client(args)
    run = ml.pipelines.submit(args.file, experiment=args.experiment, parameters=_params(args.parameter), force_rerun=args.force_rerun)
    if args.wait:
        run.wait()
    emit(args, run.data, f"{run.id} {run.status}" + ("\n" + table(_step_rows(run), ["step", "status", "job_id", "reused_from", "why"]) if args.wait else ""))
    return 0 if not args.wait or run.status == "Completed" else 1


def cmd_list(args) -> int:
    runs = client(args).pipelines.list(limit=args.limit)
    rows = [{"id": r.id, "name": r.name, "status": r.status, "experiment": r.experiment, "steps": len(r.steps)} for r in runs]
    emit(args, [r.data for r in runs], table(rows, ["id", "name", "status", "experiment", "steps"]))
    return 0


def cmd_show(args) -> int:
    run = client(args).pipelines.get(args.id)
    text = (f"{run.id} {run.name} {run.status}\n" + (f"error: {run.error}\n" if run.error else "")
            + table(_step_rows(run), ["step", "status", "job_id", "reused_from", "why"])
            + "".join(f"\noutput {k}: {v}" for k, v in run.outputs.items()))
    emit(args, run.data, text)
    return 0


def cmd_cancel(args) -> int:
    run = client(args).pipelines.cancel(args.id)
    print(f"{run.id} {run.status}")
    return 0


def cmd_rerun(args) -> int:
    run = client(args).pipelines.rerun(args.id, from_step=args.from_step)
    print(f"{run.id} {run.status}")
    return 0


def cmd_component_create(args) -> int:
    comp = client(args).components.create(args.file)
    emit(args, comp.spec, f"{comp.name}@{comp.version}")
    return 0


def cmd_component_list(args) -> int:
    comps = client(args).components.list(name=args.name)
    rows = [{"name": c.name, "version": c.version, "type": c.spec.get("type"), "description": c.spec.get("description", "")[:60]} for c in comps]
    emit(args, [c.spec for c in comps], table(rows, ["name", "version", "type", "description"]))
    return 0


def cmd_component_show(args) -> int:
    comp = client(args).components.get(args.ref)
    spec = comp.spec
    text = (f"{comp.name}@{comp.version} ({spec.get('type')})\n" + (spec.get("command") or spec.get("notebook") or "<python function>")
            + "".join(f"\ninput {k}: {v.get('type')}" for k, v in spec.get("inputs", {}).items())
            + "".join(f"\noutput {k}: {v.get('type')}" for k, v in spec.get("outputs", {}).items()))
    emit(args, spec, text)
    return 0


def register(sub) -> None:
    p = group(sub, "pipeline", "pipeline runs (DAGs of steps)")
    s = command(p, "submit", cmd_submit, json=True, help="submit a *.pipeline.yaml")
    s.add_argument("file")
    s.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE", help="a pipeline input, e.g. -p test_size=0.3")
    s.add_argument("--experiment")
    s.add_argument("--force-rerun", action="store_true", help="run every step, reusing none")
    s.add_argument("--wait", action="store_true")
    command(p, "list", cmd_list, json=True).add_argument("--limit", type=int, default=50)
    command(p, "show", cmd_show, json=True, help="steps, their jobs, what was reused and why").add_argument("id")
    command(p, "cancel", cmd_cancel, help="cancel running steps, skip the rest").add_argument("id")
    r = command(p, "rerun", cmd_rerun, help="run again (--from-step: reuse what is upstream)")
    r.add_argument("id")
    r.add_argument("--from-step")
    c = group(sub, "component", "the component registry")
    command(c, "create", cmd_component_create, json=True, help="register a component YAML file as a new version").add_argument("file")
    command(c, "list", cmd_component_list, json=True).add_argument("--name")
    command(c, "show", cmd_component_show, json=True, help="NAME@VERSION or NAME (the latest)").add_argument("ref")
