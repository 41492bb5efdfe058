"""The live run widget: a job in a notebook output that keeps itself up to date.

The Python side only carries the job id (and a summary for first paint and static renders).
The browser view (src/widget/) polls the REST API itself and stops once the job has ended, so
nothing depends on kernel threads writing output, and the widget keeps updating while the
kernel is busy (e.g. blocked in ``%%mlrun`` waiting for the job).

Where no widget frontend exists (nbconvert, GitHub), the output's ``text/html`` is a static
summary: status, target, duration, params, last metric values and the log tail.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets
from traitlets import Dict, Unicode

from .statuses import TERMINAL_JOB_STATUSES

if TYPE_CHECKING:  # pragma: no cover
    from .sdk.jobs import Job

MODULE_NAME = "jupyter_mlservice"
# The view ships in the same wheel as this module (the labextension), so any version matches.
MODULE_VERSION = "*"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TERMINAL = TERMINAL_JOB_STATUSES
_SUMMARY_FIELDS = ("id", "display_name", "kind", "status", "target", "experiment", "run_id", "duration_s", "error")


class JobWidget(ipywidgets.DOMWidget):
    """Live status, params, metric charts, log tail and a Cancel button for one job.

    ``JobWidget(job)`` or ``job.show()``; a job as the last expression of a cell shows it too.
    """

    _model_name = Unicode("JobWidgetModel").tag(sync=True)
    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_name = Unicode("JobWidgetView").tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    job_id = Unicode("", help="The job the view polls.").tag(sync=True)
    summary = Dict(help="The job as last seen by the kernel: first paint and static renders.").tag(sync=True)

    def __init__(self, job: "Job | str", **kwargs: Any):
        self._job = None if isinstance(job, str) else job
        job_id = job if isinstance(job, str) else job.id
        summary = {} if self._job is None else summary_of(self._job.data)
        super().__init__(job_id=job_id, summary=summary, **kwargs)
        self._static: dict[str, Any] = {}

    def refresh(self, metrics: bool = True, logs: bool = True) -> "JobWidget":
        """Re-read the job in the kernel (the view polls on its own); updates the static summary."""
        if self._job is None:
            return self
        self._job.refresh()
        self.summary = summary_of(self._job.data)
        if metrics:
            try:
                data = self._job._http.get(f"/jobs/{self._job.id}/metrics")
                self._static["params"] = data.get("params") or {}
                self._static["metrics"] = {
                    k: max(v, key=lambda p: (p["step"], p["timestamp"]))["value"] for k, v in data["metrics"].items() if v
                }
            except Exception:  # the static summary is best effort  # noqa: BLE001
                pass
        if logs:
            try:
                self._static["log_tail"] = log_tail(self._job)
            except Exception:  # noqa: BLE001
                pass
        return self

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/html"] = summary_html(self.summary or {"id": self.job_id}, **self._static)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        s = self.summary
        return f"Job(id={self.job_id!r}, status={s.get('status')!r}, target={s.get('target')!r}, experiment={s.get('experiment')!r})"


def summary_of(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON-safe fields the widget carries."""
    out = {k: data.get(k) for k in _SUMMARY_FIELDS}
    spec = data.get("spec") or {}
    if spec.get("parameters"):
        out["parameters"] = json.loads(json.dumps(spec["parameters"], default=str))
    return out


def log_tail(job: "Job", lines: int = 20, max_bytes: int = 16384) -> str:
    """The last lines of a job's log, reading only its end."""
    http = job._http
    first = http.get(f"/jobs/{job.id}/logs", params={"offset": 0})
    size = first["size"]
    text = first["text"] if size <= max_bytes or first["offset"] >= size else ""
    if not text and size:
        text = http.get(f"/jobs/{job.id}/logs", params={"offset": max(0, size - max_bytes)})["text"]
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def _fmt_duration(seconds: Any) -> str:
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {sec:02d}s"


def summary_html(summary: dict[str, Any], params: dict[str, Any] | None = None, metrics: dict[str, float] | None = None, log_tail: str | None = None) -> str:
    """A static summary of a job for renderers without widgets."""
    rows = [
        ("Job", summary.get("id")),
        ("Name", summary.get("display_name")),
        ("Status", summary.get("status")),
        ("Target", summary.get("target")),
        ("Experiment", summary.get("experiment")),
        ("MLflow run", summary.get("run_id")),
        ("Duration", _fmt_duration(summary.get("duration_s"))),
        ("Error", summary.get("error")),
    ]
    shown = {**(summary.get("parameters") or {}), **(params or {})}
    if shown:
        rows.append(("Params", ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))))
    if metrics:
        rows.append(("Metrics", ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))))
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{escape(label)}</th><td style='text-align:left'>{escape(str(value))}</td></tr>"
        for label, value in rows
        if value not in (None, "")
    )
    html = f"<div class='jp-mlservice-job-summary' data-job-id='{escape(str(summary.get('id', '')))}'><table>{body}</table>"
    if log_tail:
        html += f"<pre style='max-height:20em;overflow:auto'>{escape(log_tail)}</pre>"
    return html + "</div>"


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where a widget frontend may listen), not a terminal IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def job_mimebundle(job: "Job", include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """What a `Job` shows as a cell's result: the live widget in a kernel, a static table elsewhere."""
    if in_kernel():
        return JobWidget(job)._repr_mimebundle_(include=include, exclude=exclude)
    return {"text/html": summary_html(summary_of(job.data)), "text/plain": repr(job)}
