"""The AutoML controller: searches first (one child job each), then one finalize child job.

From the rows alone: each child carries its role (and search number) as a tag, so a restarted
controller finds what it submitted before and never submits a second one.
"""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import tempfile
from pathlib import Path

from ..jobs.children import LIVE, TERMINAL, ParentJobs
from ..reconciler import Reconciler
from ..jobs.schemas import CommandJobSpec, JobStatus
from ..jobs.tables import JobRow
from .schemas import FAMILIES, AutoMLCreate
from .service import KIND, TAG_ROLE, TAG_WORKER, AutoMLService

log = logging.getLogger("jupyter_mlservice.automl")
WORKER = "jupyter_mlservice.core.automl.worker"


class AutoMLController(Reconciler):
    name = "mlservice-automl"
    interval = 1.0

    def __init__(self, service: AutoMLService, interval: float | None = None):
        super().__init__(interval=interval)
        self.service = service
        self.jobs = service.jobs
        self.parents: ParentJobs = service.parents

    def job_changed(self, row: JobRow) -> None:
        if row.kind == KIND or (row.parent_id and TAG_ROLE in (row.tags or {})):
            self.wake()

    def tick(self) -> None:
        for parent in self.parents.parents(KIND, LIVE):
            try:
                self.drive(parent)
            except Exception:
                log.exception("automl %s: tick failed; the next tick retries", parent.id)

    def drive(self, parent: JobRow) -> None:
        if parent.status == JobStatus.CANCEL_REQUESTED.value:
            if self.parents.settle_cancel(parent.id):
                self.parents.log(parent.id, "mlservice: AutoML run canceled\n")
            return
        if parent.status == JobStatus.QUEUED.value:
            self.parents.set_status(parent.id, JobStatus.RUNNING.value, only_if=[JobStatus.QUEUED.value])
        spec = AutoMLCreate.model_validate(parent.spec)
        folder = self.service.folder(parent.id)
        profile = json.loads((folder / "profile.json").read_text())
        children = {c.id: c for c in self.parents.children(parent.id)}
        searches = []
        for w, share in enumerate(profile["shares"]):
            child_id = self.parents.find_child(parent.id, TAG_WORKER, str(w))
            if child_id is None:
                child_id = self._submit_search(parent, spec, profile, w, share).id
                children[child_id] = self.jobs.row(child_id)
            searches.append(children[child_id])
        if any(s.status not in TERMINAL for s in searches):
            return
        done = [s for s in searches if s.status == JobStatus.COMPLETED.value]
        if not done:
            errors = "; ".join(f"{s.id}: {s.error}" for s in searches)
            self._end(parent, JobStatus.FAILED.value, f"every search failed ({errors})")
            return
        finalize_id = self.parents.find_child(parent.id, TAG_ROLE, "finalize")
        if finalize_id is None:
            self._submit_finalize(parent, spec, profile, done)
            return
        finalize = children.get(finalize_id) or self.jobs.row(finalize_id)
        if finalize.status not in TERMINAL:
            return
        if finalize.status != JobStatus.COMPLETED.value:
            self._end(parent, JobStatus.FAILED.value, f"the final step {finalize.id} {finalize.status.lower()}: {finalize.error}")
            return
        summary = self._summary(finalize)
        if summary is None:
            self._end(parent, JobStatus.FAILED.value, f"the final step {finalize.id} left no summary.json")
            return
        (folder / "summary.json").write_text(summary)
        best = json.loads(summary)["best"]
        self._end(parent, JobStatus.COMPLETED.value, None, f"best model {best['model']}, {spec.primary_metric}={best['score']:.5g}")

    # ---- children ------------------------------------------------------------------------------

    def _config(self, parent: JobRow, spec: AutoMLCreate, profile: dict, **extra) -> dict:
        folder = self.service.folder(parent.id)
        validation = folder / "validation.parquet"
        return {
            "task": spec.task, "data": str(folder / "data.parquet"), "validation_data": str(validation) if validation.is_file() else None,
            "target_column": spec.target_column, "primary_metric": spec.primary_metric, "flaml_metric": profile["flaml_metric"],
            "validation": spec.validation.model_dump(mode="json", exclude={"data"}), "featurization": spec.featurization,
            "time_column": spec.time_column, "lags": profile["lags"], "seed": spec.seed, "ensemble": spec.ensemble,
            "experiment_id": parent.experiment_id, "parent_run_id": parent.run_id, "families": FAMILIES[spec.task], **extra,
        }

    def _command(self, role: str, config_path: Path) -> str:
        # `python` is the server's interpreter in a job (PATH starts with its folder)
        return f"python -m {WORKER} {role} {shlex.quote(str(config_path))}"

    def _submit_search(self, parent: JobRow, spec: AutoMLCreate, profile: dict, worker: int, share: list[str]):
        budget = profile["time_budget_s"]
        cfg = self._config(
            parent, spec, profile, worker=worker, time_budget_s=budget, max_trials=spec.max_trials,
            estimators=[FAMILIES[spec.task][m] for m in share], n_jobs=-1 if len(profile["shares"]) == 1 else 1,
        )
        path = self.service.folder(parent.id) / f"search-{worker}.json"
        path.write_text(json.dumps(cfg))
        job_spec = CommandJobSpec(
            command=self._command("search", path), target=spec.target, display_name=f"{parent.display_name} search {worker}",
            timeout_s=budget * 2 + 600,
        )
        job = self.parents.submit_child(parent.id, job_spec, tags={TAG_ROLE: "search", TAG_WORKER: str(worker)})
        self.parents.log(parent.id, f"mlservice: search {worker} ({job.id}): {', '.join(share)}\n")
        return job

    def _submit_finalize(self, parent: JobRow, spec: AutoMLCreate, profile: dict, searches: list[JobRow]) -> None:
        cfg = self._config(parent, spec, profile, search_run_ids=[s.run_id for s in searches])
        path = self.service.folder(parent.id) / "finalize.json"
        path.write_text(json.dumps(cfg))
        job_spec = CommandJobSpec(
            command=self._command("finalize", path), target=spec.target, display_name=f"{parent.display_name} final model",
            timeout_s=profile["time_budget_s"] * 2 + 900,
        )
        job = self.parents.submit_child(parent.id, job_spec, tags={TAG_ROLE: "finalize"})
        self.parents.log(parent.id, f"mlservice: searches done; leaderboard, ensemble and final model in {job.id}\n")

    def _summary(self, finalize: JobRow) -> str | None:
        """summary.json of the final step: from its outputs folder, else from its MLflow run."""
        local = self.jobs.job_dir(finalize.id) / "outputs" / "summary.json"
        if local.is_file():
            return local.read_text()
        if not finalize.run_id:
            return None
        tmp = tempfile.mkdtemp()
        try:
            path = self.jobs.experiments.client.download_artifacts(finalize.run_id, "summary.json", tmp)
            return Path(path).read_text()
        except Exception:
            return None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _end(self, parent: JobRow, status: str, error: str | None, note: str | None = None) -> None:
        if status != JobStatus.COMPLETED.value:
            self.parents.cancel_children(parent.id, f"the AutoML run {status.lower()}")
        self.parents.log(parent.id, f"mlservice: AutoML run {status.lower()}{': ' + (error or note) if (error or note) else ''}\n")
        self.parents.set_status(parent.id, status, error)
