"""Jobs: submit, list, inspect, cancel. Running them is the controller's business."""

from __future__ import annotations

import getpass
import json
import logging
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlalchemy import select, update

from ..compute import ComputeBackend
from ..errors import Conflict, InvalidRequest, NotFound
from ..experiments import ExperimentService
from ..logfile import read_from
from ..pagination import page
from ..paths import PathPolicy
from ..schemas import LogChunk
from ..store import Store
from ..targets.tables import TargetRow
from ..timeutil import as_utc, utcnow
from . import launch
from ..experiments.schemas import Artifact, JobMetrics
from .schemas import ACTIVE_STATUSES, TERMINAL_STATUSES, Job, JobPage, JobProgress, JobSpec, JobStatus
from .tables import JobRow
from .snapshot import git_commit, snapshot

if TYPE_CHECKING:
    from ..targets import TargetService


log = logging.getLogger("jupyter_mlservice.jobs")


def new_job_id() -> str:
    return "job-" + secrets.token_hex(6)


class JobService:
    def __init__(
        self,
        store: Store,
        targets: "TargetService",
        experiments: ExperimentService,
        jobs_dir: Path,
        root_dir: Path,
        max_snapshot_bytes: int,
        on_change: Callable[[JobRow], None] = lambda row: None,
        wake: Callable[[], None] = lambda: None,
        paths: PathPolicy | None = None,
    ):
        self.paths = paths or PathPolicy(root_dir, hidden=[jobs_dir.parent])
        self.store = store
        self.targets = targets
        self.experiments = experiments
        self.jobs_dir = jobs_dir
        self.root_dir = root_dir
        self.max_snapshot_bytes = max_snapshot_bytes
        self.on_change = on_change
        self.wake = wake
        self.environments = None  # EnvironmentService, set by the workspace
        # Areas check what they own in a spec at submit (raise InvalidRequest): data inputs.
        self.submit_checks: list[Callable[[Any], None]] = []

    # ---- submit ------------------------------------------------------------------------------

    def submit(self, spec: Any, extra_tags: dict[str, str] | None = None, parent_id: str | None = None, *,
               code_snapshot: Path | None = None) -> Job:
        """Validate, snapshot the code, create the MLflow run, queue the job (a child of
        ``parent_id`` when given: see children.py).

        Every path in the spec must lie inside the server root (403 otherwise).
        ``code_snapshot`` is a code snapshot the service made itself (a rerun's original job's, a
        sweep's): it lives in the workspace folder and is copied in place of ``spec.code``.
        """
        target = self.targets.row(spec.target) if spec.target else None
        if target is None:  # pragma: no cover - target defaults to "local"
            raise InvalidRequest("target is required")
        backend: ComputeBackend = self.targets.backend(target.type)
        data = spec.model_dump(mode="json")
        backend.check_job(target.settings, data)
        for check in self.submit_checks:
            check(spec)
        if spec.environment and self.environments is not None:  # record the exact version it runs in
            data["environment"] = self.environments.pin(spec.environment)
        code_dir = code_snapshot or (self.paths.confine(spec.code, "code") if spec.code else None)
        if code_dir is not None and not code_dir.is_dir():
            raise InvalidRequest(f"code folder {spec.code!r} does not exist on the server (paths are relative to {self.root_dir})")
        if spec.kind == "notebook":
            nb = self.paths.confine(spec.notebook, "notebook")
            if not nb.is_file() or nb.suffix != ".ipynb":
                raise InvalidRequest(f"notebook {spec.notebook!r} is not an .ipynb file on the server (paths are relative to {self.root_dir})")

        job_id = new_job_id()
        job_dir = self.jobs_dir / job_id
        job_dir.mkdir(parents=True)
        try:
            if code_dir is not None:
                snapshot(code_dir, launch.job_paths(job_dir)["snapshot"], self.max_snapshot_bytes, self.paths)
            launch.prepare_files(spec.kind, data, job_dir, self.paths)
            launch.job_paths(job_dir)["log"].touch()
            commit = git_commit(code_dir or (nb.parent if spec.kind == "notebook" else self.root_dir))
            experiment_id = self.experiments.ensure_experiment(spec.experiment)
            run_tags = {
                **spec.tags,
                **(extra_tags or {}),
                "mlservice.job_id": job_id,
                "mlservice.target": spec.target,
                "mlservice.job_kind": spec.kind,
                "mlflow.user": _user(),
                "mlflow.source.type": "JOB",
                "mlflow.source.name": _source_name(spec),
            }
            if commit:
                run_tags["mlflow.source.git.commit"] = commit
            run_id = self.experiments.create_run(experiment_id, spec.display_name or job_id, run_tags)
        except BaseException:
            shutil.rmtree(job_dir, ignore_errors=True)
            raise
        now = utcnow()
        row = JobRow(
            id=job_id,
            kind=spec.kind,
            display_name=spec.display_name or job_id,
            target=spec.target,
            experiment=spec.experiment,
            experiment_id=experiment_id,
            run_id=run_id,
            status=JobStatus.QUEUED.value,
            spec=data,
            tags={**spec.tags, **(extra_tags or {})},
            attempt=1,
            max_retries=spec.max_retries,
            timeout_s=spec.timeout_s,
            git_commit=commit,
            parent_id=parent_id,
            backend_state={},
            attempts=[],
            created_at=now,
            updated_at=now,
        )
        try:
            with self.store.session() as s:
                s.add(row)
                s.flush()  # the write lock (SQLite) comes first; the target is checked under it
                if s.scalar(select(TargetRow.name).where(TargetRow.name == spec.target).with_for_update()) is None:
                    raise Conflict(f"compute target {spec.target!r} was deleted while the job was being submitted; submit it to another target")
        except BaseException:
            shutil.rmtree(job_dir, ignore_errors=True)
            self.experiments.end_run(run_id, "FAILED")
            raise
        self.on_change(row)
        self.wake()
        return to_job(row)

    def rerun(self, job_id: str) -> Job:
        """Submit the same spec again as a new job (the original stays as it was)."""
        row = self.row(job_id)
        if row.parent_id is None and row.kind not in ("command", "notebook", "code", "batch"):
            raise InvalidRequest(f"job {job_id} is a {row.kind}; submit a new {row.kind} with its spec instead of a rerun")
        spec = TypeAdapter(JobSpec).validate_python(row.spec)
        if spec.code:
            # The original folder may have changed since; rerun what the job actually ran.
            snap = launch.job_paths(self.job_dir(job_id))["snapshot"]
            return self.submit(spec, extra_tags={"mlservice.rerun_of": job_id}, code_snapshot=snap)
        return self.submit(spec, extra_tags={"mlservice.rerun_of": job_id})

    # ---- read --------------------------------------------------------------------------------

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def row(self, job_id: str) -> JobRow:
        return self.store.get_or_404(JobRow, job_id, f"no job with id {job_id!r}")

    def get(self, job_id: str) -> Job:
        return shown_job(self.row(job_id))

    def list(
        self,
        *,
        status: str | None = None,
        target: str | None = None,
        experiment: str | None = None,
        tag: dict[str, str] | None = None,
        parent: str | None = None,
        kind: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> JobPage:
        q = select(JobRow)
        if status:
            statuses = [s.strip() for s in status.split(",") if s.strip()]
            bad = [s for s in statuses if s not in JobStatus._value2member_map_]
            if bad:
                raise InvalidRequest(f"unknown status {bad[0]!r}; use one of: {', '.join(s.value for s in JobStatus)}")
            q = q.where(JobRow.status.in_(statuses))
        if target:
            q = q.where(JobRow.target == target)
        if experiment:
            q = q.where(JobRow.experiment == experiment)
        if parent:
            q = q.where(JobRow.parent_id == parent)
        if kind:
            q = q.where(JobRow.kind.in_([k.strip() for k in kind.split(",") if k.strip()]))
        for key, value in (tag or {}).items():
            q = q.where(JobRow.tags[key].as_string() == value)
        with self.store.session() as s:
            rows, nxt = page(s, q, [JobRow.created_at, JobRow.id], limit, cursor, descending=True)
        return JobPage(items=[shown_job(r) for r in rows], next_cursor=nxt)

    def logs(self, job_id: str, offset: int = 0) -> LogChunk:
        row = self.row(job_id)
        if offset < 0:
            raise InvalidRequest("offset must be >= 0")
        text, end, size = read_from(launch.job_paths(self.job_dir(job_id))["log"], offset)
        ended = JobStatus(row.status) in TERMINAL_STATUSES
        return LogChunk(text=text, offset=end, size=size, complete=ended and end >= size)

    def metrics(self, job_id: str) -> JobMetrics:
        return self.experiments.run_metrics(self.row(job_id).run_id)

    def artifacts(self, job_id: str) -> list[Artifact]:
        row = self.row(job_id)
        return self.experiments.artifacts(row.run_id) if row.run_id else []

    # ---- delete ------------------------------------------------------------------------------

    def delete(self, job_id: str) -> None:
        """Delete an ended job: its row, its folder (snapshot, log, outputs) and its MLflow run
        (marked deleted, as ``mlflow gc`` expects). A running job is canceled first (409 until
        then); a sweep's or AutoML run's parent keeps its child jobs, so it is refused too."""
        from sqlalchemy import delete as delete_rows
        from sqlalchemy import func

        with self.store.session() as s:
            row = self.store.get_or_404(JobRow, job_id, f"no job with id {job_id!r}", s)
            run_id = row.run_id
            if s.scalar(select(func.count()).select_from(JobRow).where(JobRow.parent_id == job_id)):
                raise Conflict(f"job {job_id} has child jobs (a sweep or an AutoML run); delete those first")
            ended = [st.value for st in TERMINAL_STATUSES]
            damaged = JobRow.status.not_in([st.value for st in JobStatus])  # a status no version wrote: nothing runs
            if not s.execute(delete_rows(JobRow).where(JobRow.id == job_id, JobRow.status.in_(ended) | damaged)).rowcount:
                status = s.scalar(select(JobRow.status).where(JobRow.id == job_id))
                if status is None:  # a concurrent delete won
                    raise NotFound(f"no job with id {job_id!r}")
                raise Conflict(f"job {job_id} is {status}; cancel it (or wait for it to end) before deleting it")
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)
        if run_id:
            try:
                self.experiments.client.delete_run(run_id)
            except Exception:  # noqa: BLE001 - the job is gone; MLflow still lists its run
                log.warning("job %s deleted; its MLflow run %s could not be marked deleted", job_id, run_id)

    def progress(self, job_id: str) -> JobProgress:
        """What a batch job (mini-batches, rows/s) or a notebook job (cells) has done so far; the
        job writes it to ``progress.json`` in its folder."""
        job = self.get(job_id)
        path = self.job_dir(job_id) / "progress.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            if job.kind not in ("batch", "notebook"):
                raise NotFound(f"job {job_id} is a {job.kind} job; only batch and notebook jobs report progress") from None
            data = {"kind": job.kind, "status": "queued" if not job.status.is_terminal else "not started"}
        except ValueError:  # caught mid-write by a filesystem without atomic rename: try next time
            data = {"kind": job.kind, "status": "unknown"}
        data["job_status"] = job.status.value
        return JobProgress.model_validate(data)

    # ---- cancel ------------------------------------------------------------------------------

    def cancel(self, job_id: str) -> Job:
        """Queued jobs end at once; active ones get CancelRequested and the controller kills them."""
        now = utcnow()
        with self.store.session() as s:
            was_queued = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED.value)
                .values(status=JobStatus.CANCELED.value, ended_at=now, updated_at=now, error="canceled before it started")
            ).rowcount
            was_active = not was_queued and s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_([st.value for st in ACTIVE_STATUSES]))
                .values(status=JobStatus.CANCEL_REQUESTED.value, updated_at=now)
            ).rowcount
        row = self.row(job_id)
        if was_queued and row.run_id:
            self.experiments.end_run(row.run_id, "KILLED")
        elif not was_queued and not was_active and JobStatus(row.status) in TERMINAL_STATUSES:
            raise Conflict(f"job {job_id} already ended ({row.status}); nothing to cancel")
        self.on_change(row)
        self.wake()
        return to_job(row)


def shown_job(row: JobRow) -> Job:
    """The job as the API shows it; a stored record that cannot be shown (written by an older
    version, or damaged) becomes a placeholder that says so, instead of breaking every page that
    holds it."""
    try:
        job = to_job(row)
        job.model_dump_json()  # what the handler will do: fails on text no encoder accepts
        return job
    except Exception as exc:  # noqa: BLE001 - any damage: the rest of the list must still show
        log.warning("job %s: stored record cannot be shown: %s", row.id, type(exc).__name__)
        status = row.status if row.status in JobStatus._value2member_map_ else JobStatus.FAILED.value
        return Job(
            id=row.id, kind=_text(row.kind, "unknown"), display_name=_text(row.display_name, row.id), status=JobStatus(status),
            target=_text(row.target, ""), experiment=_text(row.experiment, ""), experiment_id=None, run_id=_text(row.run_id, None),
            attempt=row.attempt if isinstance(row.attempt, int) else 1, max_retries=0, timeout_s=None, exit_code=None,
            error=f"this job's stored record cannot be shown ({type(exc).__name__}); its spec, tags and history are hidden",
            git_commit=None, tags={}, spec={}, attempts=[], created_at=as_utc(row.created_at) or as_utc(utcnow()),
            started_at=None, ended_at=None, duration_s=None,
        )


def _text(value: Any, default: Any) -> Any:
    if not isinstance(value, str):
        return default
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return default
    return value


def to_job(row: JobRow) -> Job:
    started, ended = as_utc(row.started_at), as_utc(row.ended_at)
    duration = None
    if started is not None:
        duration = ((ended or as_utc(utcnow())) - started).total_seconds()
    # The backend's handle (pid, ray job id...); keys starting with "_" are private to it.
    handle = (row.backend_state or {}).get("handle") or {}
    backend = {k: v for k, v in handle.items() if not k.startswith("_")}
    return Job(
        id=row.id,
        kind=row.kind,
        display_name=row.display_name,
        status=JobStatus(row.status),
        target=row.target,
        experiment=row.experiment,
        experiment_id=row.experiment_id,
        run_id=row.run_id,
        attempt=row.attempt,
        max_retries=row.max_retries,
        timeout_s=row.timeout_s,
        exit_code=row.exit_code,
        error=row.error,
        git_commit=row.git_commit,
        parent_id=row.parent_id,
        tags=row.tags or {},
        spec=row.spec,
        attempts=row.attempts or [],
        created_at=as_utc(row.created_at),
        started_at=started,
        ended_at=ended,
        duration_s=duration,
        backend=backend,
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "unknown"


def _source_name(spec: Any) -> str:
    if spec.kind == "command":
        return spec.command[:200]
    if spec.kind == "notebook":
        return spec.notebook
    return "<cell>"
