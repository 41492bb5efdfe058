"""`mlservice model ...`: the registry from the shell."""

from __future__ import annotations

import json

from ..errors import UsageError
from .common import alias_command, client, command, emit, emit_record, group, open_flag, pairs, table


def cmd_list(args) -> int:
    models = client(args).models.list()
    rows = [{**m, "aliases": ",".join(f"{a}={v}" for a, v in m["aliases"].items())} for m in models]
    emit(args, models, table(rows, ["name", "latest_version", "aliases", "description"]))
    return 0


def cmd_show(args) -> int:
    ml = client(args)
    if ":" in args.ref or "@" in args.ref:
        mv = ml.models.version(args.ref)
        emit_record(args, ml, mv.data, json.dumps(mv.data, indent=2, default=str), "models", mv.name, str(mv.version))
        return 0
    model = ml.models.get(args.ref)
    rows = [{**v, "aliases": ",".join(v["aliases"])} for v in model["versions"]]
    text = f"{model['name']}  {model['description']}\n" + table(rows, ["version", "aliases", "run_id", "status", "source"])
    emit_record(args, ml, model, text, "models", model["name"])
    return 0


def cmd_register(args) -> int:
    ml = client(args)
    common = dict(tags=pairs(args.tag, "--tag"), description=args.description)
    if args.job:
        mv = ml.models.register(args.name, job=args.job, path=args.path or "model", **common)
    elif args.run:
        mv = ml.models.register(args.name, run_id=args.run, path=args.path or "model", **common)
    elif args.path:
        mv = ml.models.register(args.name, path=args.path, **common)
    else:
        raise UsageError("give --job JOB_ID, --run RUN_ID, or --path FILE_OR_FOLDER")
    emit(args, mv.data, f"registered {mv.name} version {mv.version}")
    return 0


def cmd_export(args) -> int:
    ml = client(args)
    kwargs = {"format": args.format, "tolerance": args.tolerance, "name": args.name, "target": args.target}
    if not args.wait:
        job = ml.models.export(args.ref, wait=False, **kwargs)
        emit(args, job.data, f"export job {job.id} submitted")
        return 0
    mv = ml.models.export(args.ref, **kwargs)
    emit(args, mv.data, f"registered {mv.name} version {mv.version} ({args.format}; largest difference from the "
                        f"original {mv.tags.get('mlservice.parity_max_abs_diff')}, tolerance {args.tolerance:g})")
    return 0


def cmd_package(args) -> int:
    path = client(args).models.package(args.ref, target=args.target, path=args.output)
    print(f"wrote {path}")
    return 0


def _gate(items: list[str] | None) -> dict[str, float] | None:
    if not items:
        return None
    gate = {}
    for item in items:
        metric, sep, margin = item.partition("=")
        try:
            gate[metric] = float(margin) if sep else 0.0
        except ValueError:
            raise UsageError(f"--gate {item!r}: write METRIC or METRIC=MARGIN, e.g. --gate f1=0.01") from None
    return gate


def cmd_evaluate(args) -> int:
    e = client(args).models.evaluate(args.candidate, args.baseline, args.data, args.target_column, args.metric, gate=_gate(args.gate),
                                     confidence=args.confidence, bootstrap=args.bootstrap, target=args.target, wait=not args.no_wait)
    rows = [{**c, "interval": "[{:+.4f}, {:+.4f}]".format(*c["interval"])} for c in e.table()]
    verdict = {True: "gate passed", False: "gate failed", None: "no gate"}[e.data.get("passed")]
    text = (f"{e.id} {e.status}: {e.data.get('candidate_version')} vs {e.data.get('baseline_version')} on "
            f"{e.data.get('data_version') or e.data.get('data')} ({e.data.get('rows')} rows): {verdict}")
    if e.data.get("error"):
        text += f"\n{e.data['error']}"
    emit(args, e.data, text + ("\n\n" + table(rows, ["metric", "candidate", "baseline", "difference", "interval", "margin", "passed"]) if rows else ""))
    return 0 if e.status != "Failed" and e.data.get("passed") is not False else 1


def register(sub) -> None:
    m = group(sub, "model", "the model registry")
    command(m, "list", cmd_list, json=True)
    p = command(m, "show", cmd_show, json=True, help="a model (NAME) or a version (NAME:V, NAME@ALIAS)")
    p.add_argument("ref")
    open_flag(p)
    p = command(m, "register", cmd_register, json=True)
    p.add_argument("name")
    p.add_argument("--job", help="register from this job's run")
    p.add_argument("--run", help="register from this MLflow run")
    p.add_argument("--path", help="artifact path in the run (default: model), or a local file/folder")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--description", default="")
    alias_command(m, "models")
    p = command(m, "export", cmd_export, json=True, help="convert a version to ONNX (a job; registers a new version)")
    p.add_argument("ref", help="NAME:VERSION, NAME@ALIAS or NAME")
    p.add_argument("--format", default="onnx", choices=["onnx"])
    p.add_argument("--tolerance", type=float, default=1e-4, help="largest allowed difference from the original")
    p.add_argument("--name", help="register under this name (default: the same model)")
    p.add_argument("--target", default="local")
    p.add_argument("--no-wait", dest="wait", action="store_false")
    p = command(m, "evaluate", cmd_evaluate, json=True, help="a candidate version against a baseline on a data asset, with a gate")
    p.add_argument("candidate", help="NAME:V or NAME@ALIAS")
    p.add_argument("--baseline", required=True, help="NAME:V or NAME@ALIAS, e.g. iris@champion")
    p.add_argument("--data", required=True, help="data:NAME[@V], labelled rows")
    p.add_argument("--target-column", required=True)
    p.add_argument("--metric", action="append", required=True, help="accuracy, f1, precision, recall, balanced_accuracy, r2, rmse, mae (repeat)")
    p.add_argument("--gate", action="append", help="METRIC[=MARGIN]: must beat the baseline by more than MARGIN (repeat)")
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--target", default="local", help="compute target of the evaluation job")
    p.add_argument("--no-wait", action="store_true")
    p = command(m, "package", cmd_package, help="a folder that runs an ONNX version with onnxruntime only")
    p.add_argument("ref")
    p.add_argument("--target", default="edge", choices=["edge"])
    p.add_argument("--output", help="folder to write (default ./NAME-VERSION-TARGET)")
