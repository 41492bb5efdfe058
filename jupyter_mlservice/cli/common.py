"""What every command module shares: the connection and output flags, client creation,
KEY=VALUE parsing, table/JSON output and error reporting. Command modules import this one
and never each other."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

from ..errors import MLServiceError, UsageError

# Parent parsers: --url/--token for every command that talks to the server, --json for those
# that print a record or a listing.
CONNECTION = argparse.ArgumentParser(add_help=False)
CONNECTION.add_argument("--url", default=None, help="server URL (default: MLSERVICE_URL or a running server)")
CONNECTION.add_argument("--token", default=None, help="server token (default: MLSERVICE_TOKEN)")
JSON_OUTPUT = argparse.ArgumentParser(add_help=False)
JSON_OUTPUT.add_argument("--json", action="store_true", help="print JSON")

Command = Callable[[argparse.Namespace], int]


def group(sub, name: str, help: str):
    """A command group (`mlservice NAME ...`); its commands are told apart by `args.cmd`."""
    return sub.add_parser(name, help=help).add_subparsers(dest="cmd", required=True)


def command(commands, name: str, func: Command, *, json: bool = False, **kw: Any) -> argparse.ArgumentParser:
    """One command of a group; `json=True` gives it --json. The caller adds its own arguments."""
    p = commands.add_parser(name, parents=[CONNECTION, JSON_OUTPUT] if json else [CONNECTION], **kw)
    p.set_defaults(func=func)
    return p


def placement_flags(p: argparse.ArgumentParser) -> None:
    """--target and --experiment, as every command that creates jobs takes them."""
    p.add_argument("--target", default="local")
    p.add_argument("--experiment", default="Default")


def parameter_flag(p: argparse.ArgumentParser, help: str | None = None) -> None:
    """-p NAME VALUE, repeated: a notebook's parameters (read with `parameters`)."""
    p.add_argument("-p", "--parameter", dest="parameters", nargs=2, action="append", metavar=("NAME", "VALUE"), help=help)


def alias_command(commands, area: str, ref_prefix: str = "") -> None:
    """`NAME alias NAME ALIAS [VERSION] [--delete]` for a registry (`ml.models`, `ml.data`...)."""

    def cmd_alias(args: argparse.Namespace) -> int:
        registry = getattr(client(args), area)
        if args.delete:
            registry.delete_alias(args.name, args.alias)
            print(f"removed alias {args.alias} of {args.name}")
            return 0
        if args.version is None or not args.version.isdigit():
            raise UsageError(f"give the VERSION number the alias points at (or --delete), got {args.version!r}")
        v = registry.set_alias(args.name, args.alias, args.version)
        print(f"{ref_prefix}{args.name}@{args.alias} -> version {v.version}")
        return 0

    p = command(commands, "alias", cmd_alias, help="point ALIAS at VERSION (or --delete it)")
    p.add_argument("name")
    p.add_argument("alias")
    p.add_argument("version", nargs="?")
    p.add_argument("--delete", action="store_true")


def client(args: argparse.Namespace):
    from ..sdk import MLService

    return MLService(url=args.url, token=args.token)


def parse_value(text: str) -> Any:
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


def parameters(items: list[list[str]] | None) -> dict[str, Any]:
    """`-p NAME VALUE` pairs as a dict of typed values."""
    return {k: parse_value(v) for k, v in (items or [])}


def pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} must look like KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    cells = [[str(r.get(c, "") if r.get(c) is not None else "") for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """`data` as JSON with --json, else the human `text`."""
    print(json.dumps(data, indent=2, default=str) if args.json else text)


def studio_link(ml, *path: str) -> str:
    """An entity's page in JupyterLab's ML Studio: <server>/lab/mlservice/jobs/<id>."""
    from urllib.parse import quote

    return ml.url.rstrip("/") + "/lab/mlservice/" + "/".join(quote(p, safe="") for p in path)


def emit_record(args: argparse.Namespace, ml, data: dict[str, Any], text: str, *path: str) -> None:
    """A record's output; with --open, its studio link too (a last line, or `studio_url` in --json)."""
    if getattr(args, "open", False):
        link = studio_link(ml, *path)
        data, text = {**data, "studio_url": link}, f"{text}\n{link}"
    emit(args, data, text)


def open_flag(p: argparse.ArgumentParser) -> None:
    """--open: also print the record's link in JupyterLab's ML Studio (read by `emit_record`)."""
    p.add_argument("--open", action="store_true", help="print the link to its page in JupyterLab's ML Studio")


def run(args: argparse.Namespace) -> int:
    """Run the parsed command; a domain error is one line on stderr and exit status 1."""
    try:
        return args.func(args)
    except MLServiceError as exc:
        print(f"mlservice: error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def job_from_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The job a schedule or trigger runs, from --job-json, or --notebook [-p NAME VALUE]... /
    --command with --target and --experiment (``parameter_flag`` and ``placement_flags``)."""
    if args.job_json:
        try:
            return json.loads(args.job_json)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--job-json is not JSON: {exc}") from None
    if bool(args.command) == bool(args.notebook):
        raise UsageError("give the job: --notebook NB.ipynb [-p NAME VALUE]..., --command 'CMD', or --job-json '{...}'")
    job: dict[str, Any] = {"target": args.target, "experiment": args.experiment}
    if args.notebook:
        job.update(notebook=args.notebook, parameters=parameters(args.parameters))
    else:
        job["command"] = args.command
    return job
