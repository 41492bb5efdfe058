"""Batch inference: score a registered model (or an Azure-style `init()/run()` script) over files
or a SQL query, in mini-batches, with retries, an error threshold, live progress and resume.

A batch job is a Job (kind ``batch``): JobService submits it, the controller runs
``python -m jupyter_mlservice.core.batch.runner <job>/batch.json`` like any other job.
"""

from .modelref import model_uri

__all__ = ["model_uri"]
