"""`mlservice`: serve a workspace, and drive targets and jobs from the shell."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .core.errors import MLServiceError


def _value(text: str) -> Any:
    """Parameter values the way papermill's -p reads them."""
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    if text in ("None", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise MLServiceError(f"{what} must look like KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    cells = [[str(r.get(c, "") if r.get(c) is not None else "") for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _client(args):
    from .sdk import MLService

    return MLService(url=args.url, token=args.token)


def _emit(args, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else text)


def _studio_link(ml, *path: str) -> str:
    """The entity's page in JupyterLab's ML Studio: <server>/lab/mlservice/jobs/<id>."""
    from urllib.parse import quote

    return ml.url.rstrip("/") + "/lab/mlservice/" + "/".join(quote(p, safe="") for p in path)


def _emit_job(args, ml, job, text: str) -> None:
    """A job's output; with --open, its studio link too (a last line, or `studio_url` in --json)."""
    if getattr(args, "open", False):
        link = _studio_link(ml, "jobs", job.id)
        if args.json:
            _emit(args, {**job.data, "studio_url": link}, text)
            return
        text = f"{text}\n{link}"
    _emit(args, job.data, text)


# ---- commands -------------------------------------------------------------------------------


def cmd_serve(args) -> int:
    from .server.serve import serve

    return serve(root=args.root, port=args.port, token=args.token, ip=args.ip, extra=args.jupyter_args)


def cmd_target_list(args) -> int:
    targets = _client(args).targets.list()
    _emit(args, targets, _table(targets, ["name", "type", "capacity", "running", "queued", "description"]))
    return 0


def cmd_target_create(args) -> int:
    settings: dict[str, Any] = {k: _value(v) for k, v in _pairs(args.set, "--set").items()}
    if args.max_concurrency is not None:
        settings["max_concurrency"] = args.max_concurrency
    t = _client(args).targets.create(name=args.name, type=args.type, description=args.description, **settings)
    _emit(args, t, f"created target {t['name']} ({t['type']}, capacity {t['capacity']})")
    return 0


def cmd_target_delete(args) -> int:
    _client(args).targets.delete(args.name)
    print(f"deleted target {args.name}")
    return 0


def cmd_job_submit(args) -> int:
    ml = _client(args)
    command = args.command
    if command and command[0] == "--":
        command = command[1:]
    if bool(command) == bool(args.notebook):
        raise MLServiceError("give either a command after `--` or --notebook NB.ipynb")
    common = dict(
        target=args.target,
        experiment=args.experiment,
        display_name=args.name or "",
        environment_variables=_pairs(args.env, "--env"),
        tags=_pairs(args.tag, "--tag"),
        timeout_s=args.timeout,
        max_retries=args.max_retries,
        code=args.code,
    )
    if args.notebook:
        params = {k: _value(v) for k, v in (args.parameters or [])}
        job = ml.jobs.submit(notebook=args.notebook, parameters=params, **common)
    else:
        job = ml.jobs.submit(command=command if len(command) > 1 else command[0], **common)
    if args.wait:
        job.wait(show_output=not args.json)
    _emit_job(args, ml, job, job.id if not args.wait else f"{job.id} {job.status}")
    return 0 if not args.wait or job.status == "Completed" else 1


def cmd_job_list(args) -> int:
    jobs = _client(args).jobs.list(status=args.status, target=args.target, experiment=args.experiment, limit=args.limit)
    rows = [j.data for j in jobs]
    _emit(args, rows, _table(rows, ["id", "status", "kind", "target", "experiment", "display_name", "created_at"]))
    return 0


def cmd_job_show(args) -> int:
    ml = _client(args)
    job = ml.jobs.get(args.id)
    d = job.data
    text = "\n".join(f"{k:13} {d.get(k)}" for k in ("id", "display_name", "kind", "status", "target", "experiment", "run_id", "attempt", "exit_code", "error", "created_at", "started_at", "ended_at", "duration_s"))
    _emit_job(args, ml, job, text)
    return 0


def cmd_job_logs(args) -> int:
    ml = _client(args)
    job = ml.jobs.get(args.id)
    if not args.follow:
        sys.stdout.write(job.logs())
        return 0
    offset = 0
    http = ml._http
    while True:
        chunk = http.get(f"/jobs/{args.id}/logs", params={"offset": offset})
        if chunk["text"]:
            sys.stdout.write(chunk["text"])
            sys.stdout.flush()
        offset = chunk["offset"]
        if chunk["complete"]:
            return 0
        if not chunk["text"]:
            time.sleep(0.5)


def cmd_job_cancel(args) -> int:
    job = _client(args).jobs.get(args.id).cancel()
    print(f"{job.id} {job.status}")
    return 0


# ---- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=None, help="server URL (default: MLSERVICE_URL or a running server)")
    common.add_argument("--token", default=None, help="server token (default: MLSERVICE_TOKEN)")
    reader = argparse.ArgumentParser(add_help=False)
    reader.add_argument("--json", action="store_true", help="print JSON")

    p = argparse.ArgumentParser(prog="mlservice", description="jupyter-mlservice: jobs, targets and the workspace server")
    sub = p.add_subparsers(dest="group", required=True)

    s = sub.add_parser("serve", help="run the server (no browser)")
    s.add_argument("--root", default=".", help="root folder of the workspace")
    s.add_argument("--port", type=int, default=8888)
    s.add_argument("--ip", default="127.0.0.1")
    s.add_argument("--token", default=None, help="auth token (default: a random one, printed)")
    # Anything else (--ServerApp.x=y, --MLServiceApp.tracking_uri=...) is passed on to Jupyter.
    s.set_defaults(func=cmd_serve)

    t = sub.add_parser("target", help="compute targets").add_subparsers(dest="cmd", required=True)
    tl = t.add_parser("list", parents=[common, reader])
    tl.set_defaults(func=cmd_target_list)
    tc = t.add_parser("create", parents=[common, reader])
    tc.add_argument("name")
    tc.add_argument("--type", default="local")
    tc.add_argument("--description", default="")
    tc.add_argument("--max-concurrency", type=int, default=None)
    tc.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a type-specific setting")
    tc.set_defaults(func=cmd_target_create)
    td = t.add_parser("delete", parents=[common])
    td.add_argument("name")
    td.set_defaults(func=cmd_target_delete)

    j = sub.add_parser("job", help="jobs").add_subparsers(dest="cmd", required=True)
    js = j.add_parser("submit", parents=[common, reader], usage="mlservice job submit [options] (--notebook NB | -- COMMAND...)")
    js.add_argument("--target", default="local")
    js.add_argument("--experiment", default="Default")
    js.add_argument("--name", default=None, help="display name")
    js.add_argument("--code", default=None, help="folder to snapshot as the job's working dir")
    js.add_argument("--notebook", default=None)
    js.add_argument("-p", "--parameter", dest="parameters", nargs=2, action="append", metavar=("NAME", "VALUE"))
    js.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    js.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    js.add_argument("--timeout", type=float, default=None, help="seconds")
    js.add_argument("--max-retries", type=int, default=0)
    js.add_argument("--wait", action="store_true", help="follow the log and wait for the end")
    js.add_argument("--open", action="store_true", help="print the job's link in JupyterLab's ML Studio")
    js.add_argument("command", nargs=argparse.REMAINDER)
    js.set_defaults(func=cmd_job_submit)
    jl = j.add_parser("list", parents=[common, reader])
    jl.add_argument("--status")
    jl.add_argument("--target")
    jl.add_argument("--experiment")
    jl.add_argument("--limit", type=int, default=50)
    jl.set_defaults(func=cmd_job_list)
    for name, func in (("show", cmd_job_show), ("cancel", cmd_job_cancel)):
        jp = j.add_parser(name, parents=[common, reader] if name == "show" else [common])
        jp.add_argument("id")
        if name == "show":
            jp.add_argument("--open", action="store_true", help="print the job's link in JupyterLab's ML Studio")
        jp.set_defaults(func=func)
    jg = j.add_parser("logs", parents=[common])
    jg.add_argument("id")
    jg.add_argument("--follow", "-f", action="store_true")
    jg.set_defaults(func=cmd_job_logs)

    # ---- capabilities add their command groups here: module.register(sub, common, reader) ----
    for register in _PLUGINS:
        register(sub, common, reader)
    return p


# Each entry: a function (subparsers, common_parent, reader_parent) -> None.
_PLUGINS: list = []
from .cli_schedules import register as _schedules_cli  # noqa: E402

_PLUGINS.append(_schedules_cli)


def _load_plugins() -> None:
    from . import cli_endpoints, cli_models

    _PLUGINS.extend([cli_models.register, cli_endpoints.register])


_load_plugins()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.group == "serve":
        bad = [a for a in unknown if not (a.startswith("--") and "." in a.split("=")[0])]
        if bad:
            parser.error(f"unrecognized arguments: {' '.join(bad)}")
        args.jupyter_args = unknown
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.func(args)
    except MLServiceError as exc:
        print(f"mlservice: error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
