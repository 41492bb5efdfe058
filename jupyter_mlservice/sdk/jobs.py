"""`ml.jobs` and the `Job` handle."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest, MLServiceError
from ..statuses import TERMINAL_JOB_STATUSES
from .http import Collection, Handle

TERMINAL = TERMINAL_JOB_STATUSES


class JobFailed(MLServiceError):
    """Raised by ``job.wait(raise_on_failure=True)`` when a job ends Failed or Canceled."""


class Job(Handle):
    """A submitted job. Attributes mirror the REST `Job` (``job.status``, ``job.run_id``...)."""

    _PATH = "/jobs/{id}"
    _SHOWN = ("id", "status", "target", "experiment")

    def _repr_mimebundle_(self, include=None, exclude=None):
        # A job as a cell's result: the live run widget in a kernel, a static table elsewhere.
        try:
            from ..widgets import job_mimebundle
        except ImportError:  # no ipywidgets: IPython falls back to _repr_html_
            return None
        return job_mimebundle(self, include, exclude)

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{escape(str(self._data.get(k)))}</td></tr>"
            for k in ("id", "display_name", "status", "target", "experiment", "run_id", "attempt", "duration_s", "error")
        )
        return f"<table>{rows}</table>"

    # actions -------------------------------------------------------------------------------------
    def wait(self, timeout: float | None = None, raise_on_failure: bool = False, show_output: bool = False) -> "Job":
        """Block until the job ends. ``job.wait(timeout=600).status  # 'Completed'``"""
        deadline = None if timeout is None else time.monotonic() + timeout
        offset = 0
        while self._data["status"] not in TERMINAL:
            left = 30 if deadline is None else max(0, min(30, deadline - time.monotonic()))
            if deadline is not None and left <= 0:
                raise TimeoutError(f"job {self.id} is still {self._data['status']} after {timeout} s")
            step = min(left, 2) if show_output else left
            self._data = self._http.get(f"/jobs/{self.id}/wait", params={"timeout": int(max(step, 1)) if step else 0}, timeout=step + 30)
            if show_output:
                offset = self._print_logs(offset)
        if show_output:
            self._print_logs(offset)
        if raise_on_failure and self._data["status"] != "Completed":
            raise JobFailed(f"job {self.id} {self._data['status']}: {self._data.get('error')}")
        return self

    def _print_logs(self, offset: int) -> int:
        chunk = self._http.get(f"/jobs/{self.id}/logs", params={"offset": offset})
        if chunk["text"]:
            print(chunk["text"], end="", flush=True)
        return chunk["offset"]

    def progress(self) -> dict[str, Any]:
        """Live progress of a batch or notebook job. ``job.progress()["mini_batches_done"]``"""
        return self._http.get(f"/jobs/{self.id}/progress")

    def cancel(self) -> "Job":
        """Cancel the job (queued: at once; running: its process group is killed). ``job.cancel()``"""
        self._data = self._http.post(f"/jobs/{self.id}/cancel")
        return self

    def rerun(self) -> "Job":
        """Submit the same spec (and code snapshot) again. ``job2 = job.rerun()``"""
        return Job(self._http, self._http.post(f"/jobs/{self.id}/rerun"))

    def logs(self, offset: int = 0) -> str:
        """The whole log text from `offset`. ``print(job.logs())``"""
        parts = []
        while True:
            chunk = self._http.get(f"/jobs/{self.id}/logs", params={"offset": offset})
            parts.append(chunk["text"])
            if chunk["offset"] >= chunk["size"] or not chunk["text"]:
                return "".join(parts)
            offset = chunk["offset"]

    def metrics(self) -> dict[str, list[float]]:
        """Each metric's values in step order. ``job.metrics()["loss"][-1]``"""
        data = self._http.get(f"/jobs/{self.id}/metrics")
        return {k: [p["value"] for p in sorted(v, key=lambda p: (p["step"], p["timestamp"]))] for k, v in data["metrics"].items()}

    def metric_history(self, name: str) -> list[dict[str, Any]]:
        """Full points of one metric. ``job.metric_history("loss")[0]["step"]``"""
        return self._http.get(f"/jobs/{self.id}/metrics")["metrics"].get(name, [])

    @property
    def params(self) -> dict[str, str]:
        """Parameters logged to the job's MLflow run. ``job.params["alpha"]``"""
        return self._http.get(f"/jobs/{self.id}/metrics")["params"]

    def artifacts(self) -> list[dict[str, Any]]:
        """``[a["path"] for a in job.artifacts()]``"""
        return self._http.get(f"/jobs/{self.id}/artifacts")["items"]

    def download(self, path: str, dest: str | os.PathLike = ".") -> Path:
        """Download one artifact file. ``job.download("outputs/train.ipynb", "/tmp")``"""
        data = self._http.get(f"/jobs/{self.id}/artifacts/download", params={"path": path}, raw=True)
        out = Path(dest)
        if out.is_dir():
            out = out / Path(path).name
        out.write_bytes(data)
        return out

    def show(self):
        """Display the live run widget. ``job.show()``"""
        from ..widgets import JobWidget

        widget = JobWidget(self)
        try:
            from IPython.display import display

            display(widget)
        except ImportError:  # pragma: no cover
            pass
        return widget


class ParentRun(Handle):
    """A run made of child jobs (a sweep, an AutoML run): its REST record holds the parent job as
    ``job``; ``status`` and ``error`` are that job's. Subclasses name their ``_PATH`` and ``_NOUN``."""

    _NOUN = "run"
    _RAISE_ON_FAILURE = False

    @property
    def status(self) -> str:
        return self._data["job"]["status"]

    @property
    def error(self) -> str | None:
        return self._data["job"].get("error")

    @property
    def job(self) -> Job:
        """The parent job (its log says what the run did). ``print(run.job.logs())``"""
        return Job(self._http, self._data["job"])

    def wait(self, timeout: float | None = None, raise_on_failure: bool | None = None):
        """Block until the run ends; ``raise_on_failure`` defaults to the kind's (``_RAISE_ON_FAILURE``).
        ``run.wait(timeout=3600).status``"""
        self.job.wait(timeout=timeout)
        self.refresh()
        if (self._RAISE_ON_FAILURE if raise_on_failure is None else raise_on_failure) and self.status != "Completed":
            raise JobFailed(f"{self._NOUN} {self.id} {self.status}: {self.error}")
        return self

    def children(self) -> list[Job]:
        """The run's child jobs (trials, searches, a final step). ``[j.status for j in run.children()]``"""
        return [Job(self._http, d) for d in self._http.paginate("/jobs", {"parent": self.id}, None)]

    def cancel(self):
        """Cancel the run and its running child jobs. ``run.cancel()``"""
        self._data = self._http.post(self._PATH.format_map(self._data) + "/cancel")
        return self


class Jobs(Collection):
    def submit(
        self,
        command: str | list[str] | None = None,
        *,
        notebook: str | None = None,
        source: str | None = None,
        code: str | os.PathLike | None = None,
        parameters: dict[str, Any] | None = None,
        target: str = "local",
        experiment: str = "Default",
        display_name: str = "",
        tags: dict[str, str] | None = None,
        environment_variables: dict[str, str] | None = None,
        timeout_s: float | None = None,
        max_retries: int = 0,
        environment: str | None = None,
        **extra: Any,
    ) -> Job:
        """Submit a job: a shell command, a notebook, or Python source.

        ``ml.jobs.submit(command="python train.py --alpha 0.5", code="src/", experiment="diabetes")``
        ``ml.jobs.submit(notebook="train.ipynb", parameters={"alpha": 0.5})``
        ``ml.jobs.submit(command="python old.py", environment="sk12@1")``
        """
        given = [k for k, v in (("command", command), ("notebook", notebook), ("source", source)) if v]
        if len(given) != 1:
            raise InvalidRequest("pass exactly one of command=, notebook= or source=")
        body = {**job_fields(target, experiment, display_name, tags, environment_variables, timeout_s, max_retries, code,
                             environment), **extra}
        if command:
            if isinstance(command, (list, tuple)):
                import shlex

                command = shlex.join(command)
            body.update(kind="command", command=command)
        elif notebook:
            body.update(kind="notebook", notebook=_server_path(notebook), parameters=parameters or {})
        else:
            body.update(kind="code", source=source, parameters=parameters or {})
        if command and parameters:
            raise InvalidRequest("parameters= applies to notebook and source jobs; pass arguments in the command")
        return Job(self._http, self._http.post("/jobs", body))

    def get(self, job_id: str) -> Job:
        """``ml.jobs.get("job-0123abcd4567").status``"""
        return Job(self._http, self._http.get(f"/jobs/{job_id}"))

    def delete(self, job_id: str) -> None:
        """Delete an ended job with its files and MLflow run. ``ml.jobs.delete(job.id)``"""
        self._http.delete(f"/jobs/{job_id}")

    def list(
        self,
        status: str | list[str] | None = None,
        target: str | None = None,
        experiment: str | None = None,
        limit: int | None = 100,
        schedule: str | None = None,
        parent: str | None = None,
        **filters: Any,
    ) -> list[Job]:
        """Newest first. ``ml.jobs.list(status="Running", experiment="diabetes")``;
        ``ml.jobs.list(schedule="nightly")`` lists the runs a schedule created; ``ml.jobs.list(parent=sweep.id)``
        a sweep's trials."""
        if isinstance(status, (list, tuple)):
            status = ",".join(status)
        params: dict[str, Any] = {"status": status, "target": target, "experiment": experiment, "parent": parent}
        tags = dict(filters.pop("tags", None) or {})
        if schedule:
            tags["mlservice.schedule"] = schedule
        if filters:
            raise InvalidRequest(f"unknown filter(s): {', '.join(filters)}")
        if tags:
            params["tag"] = [f"{k}={v}" for k, v in tags.items()]
        return [Job(self._http, d) for d in self._http.paginate("/jobs", params, limit)]


def job_fields(target: str = "local", experiment: str = "Default", display_name: str = "", tags: dict[str, str] | None = None,
               environment_variables: dict[str, str] | None = None, timeout_s: float | None = None, max_retries: int = 0,
               code: str | os.PathLike | None = None, environment: str | None = None) -> dict[str, Any]:
    """The REST fields every kind of job has, from the keywords every submit takes (as ``ml.jobs.submit``)."""
    body: dict[str, Any] = {
        "target": target, "experiment": experiment, "display_name": display_name, "tags": tags or {},
        "environment_variables": environment_variables or {}, "timeout_s": timeout_s, "max_retries": max_retries,
    }
    if code is not None:
        body["code"] = _server_path(code)
    if environment is not None:
        body["environment"] = environment
    return body


def _server_path(path: str | os.PathLike) -> str:
    """Paths that exist here are sent absolute; others are taken as relative to the server root."""
    p = Path(path).expanduser()
    if p.exists():
        return str(p.resolve())
    return str(path)
