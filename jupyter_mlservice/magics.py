"""IPython magics: ``%%mlrun`` runs a cell as a job, ``%mlservice`` runs the CLI's commands.

``%load_ext jupyter_mlservice`` registers both. They find the server the way ``MLService()``
does: a kernel started by the server inherits MLSERVICE_URL/MLSERVICE_TOKEN.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import shlex
import sys
from html import escape
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import HTML, display

from .errors import MLServiceError
from .sdk.jobs import JobFailed

MLRUN_USAGE = "%%mlrun [--target T] [--experiment E] [--name N] [--no-wait] [--param NAME[=VALUE] ...] [--input NAME=data:ASSET[@V] ...]"
MLSERVICE_USAGE = "%mlservice {target,job,...} COMMAND [ARGS]   e.g. %mlservice job list --status Running"

# Columns of the tables the CLI prints, for the listings that have a known shape.
_COLUMNS = {
    ("job", "list"): ["id", "status", "kind", "target", "experiment", "display_name", "created_at", "duration_s"],
    ("target", "list"): ["name", "type", "capacity", "running", "queued", "description"],
    ("data", "list"): ["name", "kind", "latest_version", "version_count", "aliases", "description"],
    ("data", "versions"): ["version", "aliases", "mode", "format", "size_bytes", "row_count", "digest", "archived"],
}


class _HelpShown(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as IPython UsageErrors carrying the usage line."""

    def error(self, message: str):
        raise UsageError(f"{message}\nusage: {self.usage or self.format_usage().removeprefix('usage: ').strip()}")

    def exit(self, status: int = 0, message: str | None = None):
        if status:
            raise UsageError(message or f"usage: {self.usage}")
        raise _HelpShown()


def _mlrun_parser() -> _Parser:
    p = _Parser(prog="%%mlrun", usage=MLRUN_USAGE, add_help=True,
                description="Run this cell's code as a job on a compute target and show its live run widget.")
    p.add_argument("--target", default="local", help="compute target (default: local)")
    p.add_argument("--experiment", default="Default", help="MLflow experiment (default: Default)")
    p.add_argument("--name", default="", help="display name of the job")
    p.add_argument("--no-wait", dest="wait", action="store_false", help="return at once; the widget keeps updating")
    p.add_argument("--param", "-p", dest="params", action="append", nargs="+", default=[], metavar="NAME[=VALUE]",
                   help="pass a notebook variable (NAME) or a literal (NAME=VALUE) to the job as a global")
    p.add_argument("--timeout", type=float, default=None, help="fail the job after this many seconds")
    p.add_argument("--input", "-i", dest="inputs", action="append", default=[], metavar="NAME=REF",
                   help="give the job an input: NAME becomes a global holding its local path (REF: data:iris@2, model:m@alias, a server path)")
    return p


def parse_inputs(items: list[str]) -> dict[str, str]:
    """``train=data:iris@2`` -> {"train": "data:iris@2"}"""
    out: dict[str, str] = {}
    for item in items:
        name, sep, ref = item.partition("=")
        if not sep or not name.strip().isidentifier() or not ref.strip():
            raise UsageError(f"--input {item!r}: write NAME=REF, e.g. --input train=data:iris@2\nusage: {MLRUN_USAGE}")
        out[name.strip()] = ref.strip()
    return out


class JobRunFailed(JobFailed):
    """A ``%%mlrun`` job ended Failed or Canceled. Shown short: the job id and the log tail."""

    def __init__(self, job_id: str, status: str, error: str | None, tail: str):
        summary = f"job {job_id} {status}" + (f": {error}" if error else "")
        super().__init__(summary + (f"\n--- last log lines ---\n{tail}" if tail else ""))
        self.job_id = job_id
        self.status = status
        self.tail = tail
        self.summary = summary

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a Python traceback: the job's, not the magic's.
        lines = [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self.summary}"]
        if self.tail:
            lines += ["--- last log lines ---", *self.tail.splitlines()]
        lines.append(f"(full log: %mlservice job logs {self.job_id})")
        return lines


def parse_params(items: list[str], user_ns: dict[str, Any]) -> dict[str, Any]:
    """``alpha`` takes the notebook's variable; ``alpha=0.5`` a Python literal (else a string)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not name.isidentifier():
            raise UsageError(f"--param {item!r}: {name!r} is not a valid Python name\nusage: {MLRUN_USAGE}")
        if sep:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = text
        else:
            if name not in user_ns:
                raise UsageError(f"--param {name}: no variable named {name!r} in this notebook; define it first or pass {name}=VALUE\nusage: {MLRUN_USAGE}")
            value = user_ns[name]
        out[name] = _jsonable(name, value)
    return out


def _jsonable(name: str, value: Any) -> Any:
    # numpy scalars (np.int64...) are plain numbers once unwrapped
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        hint = " (for an array, pass x.tolist())" if hasattr(value, "tolist") else ""
        raise UsageError(
            f"--param {name}: a value of type {type(value).__module__}.{type(value).__qualname__} cannot be sent to a job: "
            f"values must be JSON-serializable (numbers, strings, booleans, None, lists, dicts){hint}; {exc}\nusage: {MLRUN_USAGE}"
        ) from None
    return value


@magics_class
class MLServiceMagics(Magics):
    def __init__(self, shell):
        super().__init__(shell)
        self._ml = None

    def client(self):
        if self._ml is None:
            from .sdk import MLService

            try:
                self._ml = MLService()
            except MLServiceError as exc:
                raise UsageError(exc.message) from None
        return self._ml

    @cell_magic
    def mlrun(self, line: str, cell: str):
        """Run the cell as a job: ``%%mlrun --target cpu --param alpha --param epochs=3``"""
        try:
            args = _mlrun_parser().parse_args(_split(line, MLRUN_USAGE))
        except _HelpShown:
            print(_mlrun_parser().format_help())
            return None
        if not cell.strip():
            raise UsageError(f"%%mlrun needs code in the cell below the magic line\nusage: {MLRUN_USAGE}")
        params = parse_params([p for group in args.params for p in group], self.shell.user_ns)
        inputs = parse_inputs(args.inputs)
        ml = self.client()
        try:
            job = ml.jobs.submit(source=cell, parameters=params, target=args.target, experiment=args.experiment,
                                 display_name=args.name, timeout_s=args.timeout, **({"inputs": inputs} if inputs else {}))
        except MLServiceError as exc:
            raise UsageError(f"mlservice: {exc.message}") from None
        self.shell.user_ns["_mlrun_job"] = job  # the handle, for job.metrics() etc. in later cells
        from .widgets import JobWidget

        widget = JobWidget(job)
        handle = display(widget, display_id=True)
        if not args.wait:
            return None
        try:
            job.wait()
        except KeyboardInterrupt:
            job.cancel()
            print(f"Interrupted: canceled job {job.id}", file=sys.stderr)
            raise
        # Re-show the same widget model so the output's static HTML holds the final state.
        widget.refresh()
        if handle is not None:
            handle.update(widget)
        if job.status != "Completed":
            raise JobRunFailed(job.id, job.status, job.error, widget._static.get("log_tail", ""))
        return None

    @line_magic
    def mlservice(self, line: str):
        """The CLI inside a notebook, as HTML: ``%mlservice job list``, ``%mlservice job logs ID``"""
        from . import cli

        argv = _split(line, MLSERVICE_USAGE)
        if not argv:
            raise UsageError(f"give a command\nusage: {MLSERVICE_USAGE}")
        if argv[0] == "serve":
            raise UsageError(f"`serve` starts a server: run it in a terminal, not a notebook\nusage: {MLSERVICE_USAGE}")
        parser = cli.build_parser()
        parser.prog = "%mlservice"
        err = io.StringIO()
        out = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                args = parser.parse_args(argv)
        except SystemExit as exc:
            if exc.code == 0:  # --help
                display(HTML(f"<pre>{escape(out.getvalue())}</pre>"))
                return None
            text = err.getvalue().strip().replace("usage: mlservice", "usage: %mlservice").replace("\nmlservice", "\n%mlservice")
            raise UsageError(text or f"usage: {MLSERVICE_USAGE}") from None
        key = (args.group, getattr(args, "cmd", None))
        structured = hasattr(args, "json") and not args.json
        if structured:
            args.json = True
        if key == ("job", "logs") and getattr(args, "follow", False):
            return self._follow_logs(args.id)
        # The client the magic uses (so an explicit --url wins, else the kernel's environment).
        if getattr(args, "url", None) is None:
            self.client()
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                code = args.func(args)
        except MLServiceError as exc:
            raise UsageError(f"mlservice: {exc.message}") from None
        text = out.getvalue()
        if structured:
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if data is not None:
                display(HTML(render(data, _COLUMNS.get(key), title=" ".join(a for a in key if a))))
                return None
        if key == ("job", "logs"):
            display(HTML(f"<pre class='jp-mlservice-log'>{escape(text)}</pre>"))
        elif text.strip():
            display(HTML(f"<pre>{escape(text)}</pre>"))
        if code:
            raise UsageError(f"{' '.join(argv)} exited with status {code}")
        return None

    def _follow_logs(self, job_id: str):
        job = self.client().jobs.get(job_id)
        try:
            job.wait(show_output=True)
        except MLServiceError as exc:
            raise UsageError(f"mlservice: {exc.message}") from None
        return None


def _split(line: str, usage: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"{exc}\nusage: {usage}") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return escape(json.dumps(value, default=str))
    return escape(str(value))


def render(data: Any, columns: list[str] | None = None, title: str = "") -> str:
    """A list of records as a table, one record as a field/value table."""
    caption = f"<caption style='text-align:left'>{escape(title)}</caption>" if title else ""
    if isinstance(data, list):
        if not data:
            return f"<table class='jp-mlservice-table'>{caption}<tr><td><i>(none)</i></td></tr></table>"
        if not columns:
            columns = [k for k, v in data[0].items() if not isinstance(v, (dict, list))][:10]
        head = "".join(f"<th style='text-align:left'>{escape(c)}</th>" for c in columns)
        rows = "".join("<tr>" + "".join(f"<td style='text-align:left'>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in data)
        return f"<table class='jp-mlservice-table'>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(data, dict):
        rows = "".join(f"<tr><th style='text-align:left'>{escape(str(k))}</th><td style='text-align:left'>{_cell(v)}</td></tr>" for k, v in data.items())
        return f"<table class='jp-mlservice-table'>{caption}<tbody>{rows}</tbody></table>"
    return f"<pre>{escape(str(data))}</pre>"


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(MLServiceMagics)
