"""Executes a notebook job with papermill's parameter semantics, on a pre-started kernel.

Usage: python -m jupyter_mlservice.core.jobs.notebook_runner IN.ipynb OUT.ipynb PARAMS.json
       [--kernel K] [--pool DIR] [--progress FILE] [--html] [--python PYTHON]

- Parameters go into a cell tagged ``injected-parameters`` after the cell tagged ``parameters``
  (as papermill does); the notebook gets papermill's metadata.
- The kernel comes from the workspace's pool (see kernel_pool.py) when one is ready: it was
  started ahead of time, is used by this job only and shut down at the end, so nothing leaks
  from one run to the next. Without a ready kernel, one is started here (as papermill would).
- OUT.ipynb is rewritten after every cell and FILE (progress.json) says which cell runs, so a
  running job shows its progress; a failure names the failing cell, as papermill does.
- With --html, an HTML rendering is written beside OUT.ipynb.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# jsonschema builds an IRI grammar at import when rfc3987_syntax is installed (seconds); notebook
# validation never uses that format, so the runner skips it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

ERROR_TAG = "papermill-error-cell-tag"
# Run in the kernel after the last cell: write what MLflow's store still queues (jobs log
# through the batching tracking store, which flushes at exit; the kernel is killed instead).
FLUSH_MLFLOW = (
    "import sys as __s\n"
    "if 'mlflow' in __s.modules:\n"
    "    __s.modules['mlflow'].flush_async_logging()\n"
    "del __s\n"
)


def _pool():
    # Run as a file (launch.py does, to skip importing the server-side package); kernel_claims.py
    # is then a sibling module on sys.path.
    try:
        from . import kernel_claims
    except ImportError:
        import kernel_claims  # type: ignore[no-redef]
    return kernel_claims


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ---- parameters (papermill semantics) ---------------------------------------------------------


def parameterize(nb, parameters: dict[str, Any], kernel_name: str | None):
    """Insert the injected-parameters cell the way papermill does (Python kernels here; other
    languages go through papermill's translators)."""
    import nbformat

    language = (nb.metadata.get("kernelspec", {}).get("language") or nb.metadata.get("language_info", {}).get("name") or "python").lower()
    nb.metadata.setdefault("papermill", {})
    nb.metadata.papermill.update(parameters=parameters, environment_variables={}, version=None, input_path=None, output_path=None)
    if not parameters:
        return nb
    if language == "python":
        lines = ["# Parameters"] + [f"{name} = {value!r}" for name, value in parameters.items()]
        source = "\n".join(lines) + "\n"
    else:  # pragma: no cover - non-Python kernels
        from papermill.translators import translate_parameters

        source = translate_parameters(kernel_name or "", language, parameters, "Parameters")
    new = nbformat.v4.new_code_cell(source=source)
    new.metadata["tags"] = ["injected-parameters"]
    cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    at = next((i + 1 for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])), 0)
    nb.cells = cells[:at] + [new] + cells[at:]
    return nb


# ---- execution --------------------------------------------------------------------------------


class Runner:
    def __init__(self, args):
        self.args = args
        self.output = Path(args.output)
        self.progress_path = Path(args.progress) if args.progress else None
        self.claim: tuple[Path, dict[str, Any]] | None = None
        self.km = None
        self.kc = None
        self.started = time.monotonic()
        self.state: dict[str, Any] = {"kind": "notebook", "status": "starting", "cells_total": 0, "cells_done": 0,
                                      "current_cell": None, "failed_cell": None, "kernel": None}

    def progress(self, **changes: Any) -> None:
        self.state.update(changes, elapsed_s=round(time.monotonic() - self.started, 3), updated_at=time.time())
        if self.progress_path is not None:
            _write_atomic(self.progress_path, json.dumps(self.state))

    def save(self, nb) -> None:
        import nbformat

        _write_atomic(self.output, nbformat.writes(nb))

    async def kernel_client(self, kernel_name: str):
        from jupyter_client.asynchronous import AsyncKernelClient

        CONNECTION_KEYS, claim = _pool().CONNECTION_KEYS, _pool().claim

        if self.args.pool and not self.args.python:  # pooled kernels run the server's Python
            self.claim = claim(Path(self.args.pool), kernel_name)
        if self.claim is not None:
            path, info = self.claim
            kc = AsyncKernelClient()
            kc.load_connection_info({k: info[k] for k in CONNECTION_KEYS if k in info})
            self.state["kernel"] = "pooled"
        else:  # no ready kernel: start one, like papermill would
            from jupyter_client.manager import AsyncKernelManager

            self.km = AsyncKernelManager(kernel_name=kernel_name)
            if self.args.python:  # the job's environment: its interpreter runs the kernel
                from jupyter_client.kernelspec import KernelSpec

                self.km._kernel_spec = KernelSpec(
                    argv=[self.args.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    display_name=f"Python ({self.args.python})", language="python", name=kernel_name,
                )
            await self.km.start_kernel(cwd=os.getcwd())
            kc = self.km.client()
            self.state["kernel"] = "started"
        kc.start_channels(hb=False)
        await kc.wait_for_ready(timeout=120)
        self.kc = kc
        return kc

    def shutdown_kernel(self) -> None:
        if self.claim is not None:
            _pool().release(*self.claim)
            self.claim = None
        if self.km is not None:
            # A kernel started here (no pool): kill it directly; this also runs from the SIGTERM
            # handler, where the event loop cannot be re-entered.
            pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
            if pid:
                for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                    try:
                        kill()
                    except (ProcessLookupError, PermissionError):
                        pass
            self.km = None

    async def execute(self, nb, kernel_name: str) -> int:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, DeadKernelError

        client = NotebookClient(nb, kernel_name=kernel_name, timeout=None, allow_errors=False, record_timing=True)
        kc = await self.kernel_client(kernel_name)
        client.kc = kc
        client.reset_execution_trackers()
        # The kernel was started before this job existed: give it the job's environment and folder.
        env = {k: v for k, v in os.environ.items() if not k.startswith("JPY_")}
        setup = (
            "import os as __o, sys as __s\n"
            f"__o.environ.update({env!r})\n"
            f"__o.chdir({os.getcwd()!r})\n"
            f"__s.path.insert(0, {os.getcwd()!r}) if {os.getcwd()!r} not in __s.path else None\n"
            "del __o, __s\n"
        )
        if self.claim is not None:
            reply = await kc.execute_interactive(setup, silent=True, store_history=False, timeout=60)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"could not prepare the kernel: {reply['content']}")
        code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
        self.progress(status="running", cells_total=len(code_cells))
        nb.metadata.papermill.update(start_time=_now(), status="running")
        self.save(nb)
        for done, index in enumerate(code_cells):
            cell = nb.cells[index]
            cell.metadata.setdefault("papermill", {}).update(status="running", start_time=_now())
            self.progress(current_cell=index, cells_done=done)
            t0 = time.monotonic()
            try:
                await client.async_execute_cell(cell, index, store_history=True)
            except CellExecutionError as exc:
                _echo(cell)
                cell.metadata.papermill.update(status="failed", end_time=_now(), duration=time.monotonic() - t0, exception=True)
                return self.failed(nb, index, cell, getattr(exc, "ename", "Error"), getattr(exc, "evalue", str(exc)))
            except DeadKernelError:
                return self.failed(nb, index, cell, "DeadKernelError", "the kernel died while running this cell")
            cell.metadata.papermill.update(status="completed", end_time=_now(), duration=time.monotonic() - t0, exception=False)
            _echo(cell)
            self.save(nb)
        nb.metadata.papermill.update(end_time=_now(), status="completed")
        self.save(nb)
        self.progress(status="completed", cells_done=len(code_cells), current_cell=None)
        return 0

    async def flush_tracking(self) -> None:
        """The kernel is killed, not shut down, so its exit hooks never run: write the MLflow values
        it still has queued (the batching store) while it is alive."""
        if self.kc is None:
            return
        try:
            await self.kc.execute_interactive(FLUSH_MLFLOW, silent=True, store_history=False, timeout=120)
        except Exception as exc:  # a dead kernel has nothing left to write
            print(f"mlservice: could not flush the kernel's MLflow logging: {exc}", file=sys.stderr)

    def failed(self, nb, index: int, cell, ename: str, evalue: str) -> int:
        import nbformat

        count = cell.get("execution_count")
        cell.metadata.setdefault("tags", [])
        if ERROR_TAG not in cell.metadata.tags:
            cell.metadata.tags.append(ERROR_TAG)
        anchor = nbformat.v4.new_markdown_cell(
            f'<span id="papermill-error-cell" style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">'
            f"Execution using mlservice encountered an exception here and stopped:</span>"
        )
        anchor.metadata["tags"] = [ERROR_TAG]
        banner = nbformat.v4.new_markdown_cell(
            f'<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">'
            f"An Exception was encountered at '<a href=\"#papermill-error-cell\">In [{count}]</a>'.</span>"
        )
        banner.metadata["tags"] = [ERROR_TAG]
        nb.cells.insert(index, anchor)
        nb.cells.insert(0, banner)
        nb.metadata.papermill.update(end_time=_now(), status="failed", exception=True)
        self.save(nb)
        self.progress(status="failed", failed_cell={"index": index, "execution_count": count, "ename": ename, "evalue": evalue})
        print(f"\nmlservice: notebook failed in cell {index + 1} (In [{count}]): {ename}: {evalue}", file=sys.stderr, flush=True)
        return 1


def _echo(cell) -> None:
    """The cell's printed output goes to the job log too (papermill's log_output)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            stream = sys.stderr if out.get("name") == "stderr" else sys.stdout
            stream.write(out.get("text", ""))
            stream.flush()


def _render_html(ipynb: Path, warm: threading.Thread | None) -> None:
    if warm is not None:
        warm.join()
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(str(ipynb), as_version=4))
    _write_atomic(ipynb.with_suffix(".html"), body)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("parameters")
    parser.add_argument("--kernel", default=None)
    parser.add_argument("--pool", default=None, help="kernel pool folder")
    parser.add_argument("--progress", default=None, help="progress JSON file")
    parser.add_argument("--html", action="store_true", help="also write OUT.html")
    parser.add_argument("--python", default=None, help="run the kernel with this interpreter (the job's environment)")
    args = parser.parse_args(argv)
    import nbclient  # noqa: F401 - before the thread below: concurrent first imports of one package clash
    import nbformat

    warm = None
    if args.html:  # import nbconvert while the kernel works
        warm = threading.Thread(target=lambda: __import__("nbconvert"), daemon=True)
        warm.start()

    with open(args.parameters) as f:
        parameters = json.load(f)
    nb = nbformat.read(args.input, as_version=4)
    kernel_name = args.kernel or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    nb = parameterize(nb, parameters, kernel_name)
    nb.metadata.papermill.update(input_path=args.input, output_path=args.output)
    runner = Runner(args)

    def _terminate(signum, _frame):  # canceled: the kernel lives in its own session; stop it too
        runner.shutdown_kernel()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        rc = loop.run_until_complete(runner.execute(nb, kernel_name))
        loop.run_until_complete(runner.flush_tracking())
    finally:
        runner.shutdown_kernel()
    if args.html:
        try:
            _render_html(Path(args.output), warm)
        except Exception as exc:  # the notebook itself is the output; HTML is a convenience
            print(f"mlservice: could not render HTML: {exc}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the kernel is gone already; skip tearing down ZMQ and threads (about a second)
