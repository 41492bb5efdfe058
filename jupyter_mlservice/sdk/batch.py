"""`ml.batch`: score a registered model over files or a SQL query, as a job."""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidRequest
from .http import Collection
from .jobs import Job, job_fields


def batch_body(
    model: str | None = None,
    input: dict[str, Any] | str | None = None,
    output: dict[str, Any] | str | None = None,
    *,
    key_columns: list[str] | None = None,
    input_columns: list[str] | None = None,
    mini_batch_size: int = 10_000,
    mini_batch_unit: str = "rows",
    max_concurrency: int = 1,
    error_threshold: int = -1,
    retry_settings: dict[str, Any] | None = None,
    output_action: str | None = None,
    output_format: str = "default",
    scoring_script: str | None = None,
    resume: bool = True,
    collect: dict[str, Any] | None = None,
    **job: Any,
) -> dict[str, Any]:
    """The REST body (kind `batch`) for these keywords and the job keywords of ``ml.jobs.submit``
    (target, experiment, code, tags...); `input`/`output` may be plain paths."""
    if input is None:
        raise InvalidRequest("input= is required: {'path': 'data/*.parquet'} or {'sql': '...', 'url': 'sqlite:///db'}")
    if isinstance(input, (str, os.PathLike)):
        input = {"path": str(input)}
    if isinstance(output, (str, os.PathLike)):
        output = {"path": str(output)}
    body: dict[str, Any] = {
        "kind": "batch",
        "model": model,
        "input": dict(input),
        "output": dict(output) if output else None,
        "output_action": output_action or ("append_row" if output else "summary_only"),
        "key_columns": list(key_columns or []),
        "input_columns": input_columns,
        "mini_batch_size": mini_batch_size,
        "mini_batch_unit": mini_batch_unit,
        "max_concurrency": max_concurrency,
        "error_threshold": error_threshold,
        "resume": resume,
        "output_format": output_format,
        "scoring_script": scoring_script,
        **job_fields(**job),
    }
    if retry_settings:
        body["retry_settings"] = dict(retry_settings)
    if collect:  # record inputs and predictions for a monitor: {"name": "nightly-scoring", "sample_rate": 1.0}
        body["collect"] = dict(collect)
    return body


class Batch(Collection):
    def submit(self, model: str | None = None, input: dict[str, Any] | str | None = None, output: dict[str, Any] | str | None = None, **kwargs: Any) -> Job:
        """Submit a batch scoring job; it is a Job (``wait()``, ``status``, ``logs()``, ``progress()``).

        ``ml.batch.submit(model="iris@champion", input={"path": "data/*.parquet"}, output={"path": "out/p.parquet"})``
        """
        return Job(self._http, self._http.post("/jobs", batch_body(model, input, output, **kwargs)))

    def list(self, limit: int | None = 100, **filters: Any) -> list[Job]:
        """Batch jobs, newest first. ``ml.batch.list(status="Running")``"""
        from .jobs import Jobs

        return [j for j in Jobs(self._http).list(limit=None if limit is None else limit * 5, **filters) if j.kind == "batch"][:limit]
