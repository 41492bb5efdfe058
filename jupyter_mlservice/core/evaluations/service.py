"""Model evaluations: a candidate and a baseline model version scored on the same labelled rows
of a data asset, in a job (run.py), compared per metric with a paired bootstrap interval, and an
optional gate judged on those numbers. The service submits the job and reads its result when the
job ends (a job listener, and once at start for jobs that ended while the server was down)."""

from __future__ import annotations

import json
import logging
import secrets
import shlex
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..errors import InvalidRequest, NotFound
from ..events import EventBus
from ..jobs.schemas import TERMINAL_STATUSES, CommandJobSpec
from ..jobs.tables import JobRow
from ..pagination import page
from ..store import Store
from ..timeutil import as_utc, utcnow
from .run import RESULT_FILE
from .schemas import Evaluation, EvaluationCreate, EvaluationPage, MetricComparison
from .tables import EvaluationRow

log = logging.getLogger("jupyter_mlservice.evaluations")
EXPERIMENT = "mlservice-evaluations"
TAG_EVALUATION = "mlservice.evaluation"
TERMINAL = {s.value for s in TERMINAL_STATUSES}


class EvaluationService:
    def __init__(self, store: Store, jobs, models, data, lineage, workspace_dir: Path, events: EventBus | None = None):
        self.store = store
        self.jobs = jobs
        self.models = models
        self.data = data
        self.lineage = lineage
        self.dir = workspace_dir / "evaluations"
        self.events = events or EventBus()

    # ---- submit ------------------------------------------------------------------------------

    def create(self, body: EvaluationCreate, user: str = "") -> Evaluation:
        sides = {}
        for side in ("candidate", "baseline"):
            ref = getattr(body, side)
            try:
                mv = self.models.resolve(ref)
            except NotFound as exc:
                raise InvalidRequest(f"{side} {ref!r}: {exc.message}") from None
            sides[side] = {"name": mv.name, "version": mv.version}
        if sides["candidate"] == sides["baseline"]:
            raise InvalidRequest(f"candidate and baseline are the same version ({sides['candidate']['name']}:{sides['candidate']['version']})")
        try:
            self.data.resolve(body.data)
        except NotFound as exc:
            raise InvalidRequest(f"data {body.data!r}: {exc.message}") from None
        eval_id = "ev-" + secrets.token_hex(6)
        config = {"id": eval_id, **sides, "target_column": body.target_column, "task": body.task, "metrics": body.metrics,
                  "gate": body.gate, "confidence": body.confidence, "bootstrap": body.bootstrap}
        config_path = self.dir / eval_id / "evaluation.json"
        config_path.parent.mkdir(parents=True, exist_ok=True)
        config_path.write_text(json.dumps(config, indent=1))
        label = f"{sides['candidate']['name']}:{sides['candidate']['version']} vs {sides['baseline']['name']}:{sides['baseline']['version']}"
        spec = CommandJobSpec(
            kind="command", target=body.target, experiment=EXPERIMENT, display_name=f"evaluate {label}",
            command=f"{shlex.quote(sys.executable)} -m jupyter_mlservice.core.evaluations.run --config {shlex.quote(str(config_path))}",
            inputs={"data": body.data}, tags={TAG_EVALUATION: eval_id},
        )
        try:
            job = self.jobs.submit(spec)
        except Exception:
            config_path.unlink(missing_ok=True)
            raise
        now = utcnow()
        row = EvaluationRow(
            id=eval_id, candidate=body.candidate, candidate_name=sides["candidate"]["name"], candidate_version=sides["candidate"]["version"],
            baseline=body.baseline, baseline_name=sides["baseline"]["name"], baseline_version=sides["baseline"]["version"], data=body.data, target_column=body.target_column,
            task=body.task, metrics=list(body.metrics), gate=body.gate, confidence=body.confidence, bootstrap=body.bootstrap,
            status="Running", passed=None, results=None, error=None, job_id=job.id, created_by=user, created_at=now,
        )
        with self.store.session() as s:
            s.add(row)
        self._record_lineage(row)
        self._changed(row)
        return self.get(eval_id)

    def _record_lineage(self, row: EvaluationRow) -> None:
        """candidate and baseline versions -> the evaluation <- its job (which reads the data version)."""
        from ..lineage.service import EVALUATION, JOB, MODEL_VERSION, Node

        node = Node(EVALUATION, row.id)
        self.lineage.record(Node(MODEL_VERSION, f"{row.candidate_name}:{row.candidate_version}"), node, "candidate")
        self.lineage.record(Node(MODEL_VERSION, f"{row.baseline_name}:{row.baseline_version}"), node, "baseline")
        self.lineage.record(Node(JOB, row.job_id), node, "evaluated")

    # ---- the job's end -----------------------------------------------------------------------

    def job_changed(self, row: JobRow) -> None:
        """Job listener: an evaluation job ended; store what it found."""
        eval_id = (row.tags or {}).get(TAG_EVALUATION)
        if eval_id and row.status in TERMINAL:
            try:
                self.finish(eval_id, row.status)
            except Exception:
                log.exception("evaluation %s: could not read the result of job %s", eval_id, row.id)

    def start(self) -> None:
        """At server start: evaluations whose job ended while no server listened."""
        self.recover()

    def stop(self) -> None:
        """Nothing runs here between jobs."""

    def recover(self) -> None:
        """Evaluations whose job ended while no server listened (a restart)."""
        with self.store.session() as s:
            pending = s.execute(select(EvaluationRow.id, JobRow.status).join(JobRow, JobRow.id == EvaluationRow.job_id)
                                .where(EvaluationRow.status == "Running", JobRow.status.in_(TERMINAL))).all()
        for eval_id, status in pending:
            self.finish(eval_id, status)

    def finish(self, eval_id: str, status: str) -> None:
        with self.store.session() as s:
            row = s.get(EvaluationRow, eval_id)
            if row is None or row.status != "Running":
                return
            job_dir = self.jobs.job_dir(row.job_id)
            result = None
            if status == "Completed":
                try:
                    result = json.loads((job_dir / "outputs" / RESULT_FILE).read_text())
                except (OSError, ValueError) as exc:
                    row.error = f"the evaluation job ended without a readable {RESULT_FILE}: {exc}"
            else:
                row.error = _last_error(job_dir / "output.log") or f"the evaluation job ended {status}"
            row.status = "Completed" if result is not None else "Failed"
            row.results = result
            row.passed = result.get("passed") if result else None
            row.finished_at = utcnow()
        self._changed(row)
        log.info("evaluation %s: %s%s", eval_id, row.status, "" if row.passed is None else f", gate {'passed' if row.passed else 'failed'}")

    def _changed(self, row: EvaluationRow) -> None:
        self.events.emit("evaluation", {"id": row.id, "candidate": f"{row.candidate_name}:{row.candidate_version}",
                                        "status": row.status, "passed": row.passed})

    # ---- read --------------------------------------------------------------------------------

    def row(self, eval_id: str) -> EvaluationRow:
        with self.store.session() as s:
            row = self.store.get_or_404(EvaluationRow, eval_id, f"no evaluation {eval_id!r}", s)
            s.expunge(row)
            return row

    def get(self, eval_id: str) -> Evaluation:
        return self._to_model(self.row(eval_id))

    def list(self, model: str | None = None, version: str | None = None, limit: int = 50, cursor: str | None = None) -> EvaluationPage:
        q = select(EvaluationRow)
        if model:
            q = q.where(EvaluationRow.candidate_name == model)
            if version:
                q = q.where(EvaluationRow.candidate_version == str(version))
        with self.store.session() as s:
            rows, nxt = page(s, q, [EvaluationRow.created_at, EvaluationRow.id], limit, cursor, descending=True)
        return EvaluationPage(items=[self._to_model(r) for r in rows], next_cursor=nxt)

    def describe(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """What a lineage reader shows of evaluation nodes."""
        with self.store.session() as s:
            rows = list(s.scalars(select(EvaluationRow).where(EvaluationRow.id.in_(ids))))
        return {r.id: {"status": r.status, "passed": r.passed, "candidate": f"{r.candidate_name}:{r.candidate_version}",
                       "baseline": f"{r.baseline_name}:{r.baseline_version}", "job_id": r.job_id} for r in rows}

    def _data_version(self, job_id: str) -> str | None:
        from ..lineage.service import DATA_VERSION, JOB, Node

        edges = self.lineage.edges_to([Node(JOB, job_id)], ["input"])
        return next((f"data:{e.src_id}" for e in edges if e.src_type == DATA_VERSION), None)

    def _to_model(self, row: EvaluationRow) -> Evaluation:
        results: dict[str, Any] = row.results or {}
        return Evaluation(
            id=row.id, candidate=row.candidate, candidate_version=f"{row.candidate_name}:{row.candidate_version}", baseline=row.baseline,
            baseline_version=f"{row.baseline_name}:{row.baseline_version}",
            data=row.data, data_version=self._data_version(row.job_id), target_column=row.target_column, task=row.task,
            metrics=list(row.metrics or []), gate=row.gate, confidence=row.confidence, bootstrap=row.bootstrap, status=row.status,
            passed=row.passed, rows=results.get("rows"), comparisons=[MetricComparison(**c) for c in results.get("comparisons", [])],
            mlflow_metrics=results.get("mlflow_metrics") or {}, error=row.error, job_id=row.job_id, created_by=row.created_by or "",
            created_at=as_utc(row.created_at), finished_at=as_utc(row.finished_at),
        )


def _last_error(log_path: Path) -> str | None:
    try:
        lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return None
    return lines[-1][:500] if lines else None
