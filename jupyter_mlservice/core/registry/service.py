"""The model registry: MLflow's registry underneath, with lineage back to the job that made a model.

References users write: ``iris:3`` (version), ``iris@champion`` (alias), ``iris`` (latest), and
MLflow's own ``models:/iris/3`` / ``models:/iris@champion``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import Conflict, InvalidRequest, NotFound
from ..events import EventBus
from ..experiments import ExperimentService
from ..jobs import JobService
from ..pagination import check_mlflow_page_token
from ..paths import relative_subpath
from ..schemas import MODEL_ALIAS_PATTERN, MODEL_NAME_PATTERN
from ..timeutil import as_utc, utcnow
from .schemas import AliasChange, AliasHistory, ModelVersion, RegisteredModel, RegisteredModelPage

MODEL_NAME = re.compile(MODEL_NAME_PATTERN)
ALIAS = re.compile(MODEL_ALIAS_PATTERN)
REGISTRATION_EXPERIMENT = "model-registrations"


def parse_model_ref(ref: str) -> tuple[str, str | None, str | None]:
    """-> (name, version, alias); neither version nor alias means the latest version."""
    ref = ref.strip()
    if ref.startswith("models:/"):
        rest = ref[len("models:/"):]
        if "@" in rest:
            name, alias = rest.split("@", 1)
            return name, None, alias
        name, _, version = rest.partition("/")
        return name, version or None, None
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return name, None, alias
    if ":" in ref:
        name, version = ref.rsplit(":", 1)
        if not version.isdigit():
            raise InvalidRequest(f"model reference {ref!r}: the version after ':' must be a number (e.g. iris:3)")
        return name, version, None
    return ref, None, None


class ModelService:
    def __init__(self, experiments: ExperimentService, jobs: JobService, events: EventBus | None = None, lineage=None,
                 max_copy_bytes: int = 2048 * 2**20):
        self.experiments = experiments
        self.jobs = jobs
        self.events = events or EventBus()
        self.lineage_edges = lineage  # LineageService: job -> model version edges, a version's data inputs
        self.store = jobs.store if jobs is not None else None  # the alias history
        self.max_copy_bytes = max_copy_bytes

    def _changed(self, name: str, action: str, version: str | None = None, alias: str | None = None) -> None:
        self.events.emit("model", {"name": name, "version": version, "action": action, "alias": alias})

    @property
    def client(self):
        return self.experiments.client

    # ---- register ----------------------------------------------------------------------------

    def register(
        self,
        name: str,
        *,
        job_id: str | None = None,
        run_id: str | None = None,
        path: str = "model",
        local_path: str | None = None,
        tags: dict[str, str] | None = None,
        description: str = "",
        server_made: bool = False,
    ) -> ModelVersion:
        """Register a model version from a job's (or run's) artifact, or from a file/folder.

        ``server_made``: ``local_path`` is a folder the service itself wrote inside its workspace
        folder (a pipeline step's output), which a request's path may not name."""
        if not MODEL_NAME.match(name):
            raise InvalidRequest("name must start with a letter or digit and use letters, digits, '_', '-', '.' (at most 128)")
        given = [x for x in (job_id, run_id, local_path) if x]
        if len(given) != 1:
            raise InvalidRequest("give exactly one of job_id, run_id or local_path")
        if job_id:
            job = self.jobs.get(job_id)
            if job.status != "Completed":
                raise Conflict(f"job {job_id} is {job.status}; register models from completed jobs")
            run_id = job.run_id
        if run_id:
            source, model_id = self._run_source(run_id, relative_subpath(path.strip("/") or "model", "path"))
        else:
            from pathlib import Path

            folder = Path(local_path) if server_made else self.jobs.paths.confine(local_path, "local_path")
            run_id, source = self._upload(name, folder)
            model_id = None
        self._ensure_registered_model(name)
        mv = self.client.create_model_version(
            name, source, run_id=run_id, tags=tags or {}, description=description or None, model_id=model_id
        )
        out = self.version(name, mv.version)
        job_id = (out.lineage or {}).get("job_id")
        if self.lineage_edges is not None and job_id:
            from ..lineage import JOB, MODEL_VERSION, Node

            self.lineage_edges.record(Node(JOB, job_id), Node(MODEL_VERSION, f"{name}:{mv.version}"), "registered")
        self._changed(name, "registered", str(mv.version))
        return out

    def _run_source(self, run_id: str, path: str) -> tuple[str, str | None]:
        from mlflow.exceptions import MlflowException

        path = path.strip("/") or "model"
        try:
            run = self.client.get_run(run_id)
        except MlflowException:
            raise NotFound(f"no MLflow run {run_id!r}") from None
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        location = f"{run.info.artifact_uri.rstrip('/')}/{path}"
        if get_artifact_repository(location).list_artifacts():
            return location, None
        # MLflow 3: log_model(name=...) stores a LoggedModel linked to the run
        found = self.client.search_logged_models(
            experiment_ids=[run.info.experiment_id],
            filter_string=f"source_run_id = '{run_id}' AND name = '{path}'",
        )
        if found:
            model = found[-1]
            return model.artifact_location, model.model_id
        orphans = self._models_logged_outside_a_run(run, path)
        if len(orphans) == 1:
            return orphans[0].artifact_location, orphans[0].model_id
        hint = (
            f"; {len(orphans)} models named {path!r} were logged outside any run while it ran "
            f"({', '.join(m.model_id for m in orphans)}): call mlflow.start_run() in the job so each is linked to its run"
            if orphans
            else ""
        )
        raise InvalidRequest(
            f"run {run_id} has no model at {path!r}; log one with e.g. mlflow.sklearn.log_model(model, name={path!r}) "
            f"or give the artifact path with path={hint}"
        )

    def _models_logged_outside_a_run(self, run, path: str) -> list:
        """Models named ``path`` logged in the run's experiment while it ran, linked to no run.

        MLflow 3's ``log_model`` links a model to a run only when the run is active in the
        process; a job whose only MLflow call is ``log_model`` gets ``MLFLOW_RUN_ID`` but no active
        run, so its model lands in the experiment with ``source_run_id`` unset.
        """
        end = run.info.end_time or int(time.time() * 1000)
        found = self.client.search_logged_models(
            experiment_ids=[run.info.experiment_id], filter_string=f"name = '{path}'", max_results=100
        )
        return [m for m in found if not m.source_run_id and run.info.start_time <= m.creation_timestamp <= end]

    def _upload(self, name: str, local: Path) -> tuple[str, str]:
        """Copy a server file/folder into a registration run's artifacts (at most max_copy_bytes;
        a server stop interrupts the copy and leaves no version behind)."""
        if not local.exists():
            raise InvalidRequest(f"local_path {str(local)!r} does not exist on the server")
        paths = self.jobs.paths
        what = f"local_path {str(local)!r}"
        paths.measure(local, self.max_copy_bytes, what)  # before a run exists: too big is a clean 400
        exp_id = self.experiments.ensure_experiment(REGISTRATION_EXPERIMENT)
        run_id = self.experiments.create_run(exp_id, f"register {name}", {"mlservice.registered_from": str(local)})
        try:
            artifact_uri = self.client.get_run(run_id).info.artifact_uri.rstrip("/")
            if artifact_uri.startswith("file://") or "://" not in artifact_uri:
                # a local artifact store: copy straight in, in chunks that watch for a stop
                from mlflow.utils.file_utils import local_file_uri_to_path

                dest = Path(local_file_uri_to_path(artifact_uri)) / "model"
                paths.copy(local, dest / local.name if local.is_file() else dest, self.max_copy_bytes, what)
            elif local.is_dir():
                self.client.log_artifacts(run_id, str(local), "model")
            else:
                self.client.log_artifact(run_id, str(local), "model")
            self.client.set_terminated(run_id, "FINISHED")
        except BaseException:
            self.client.set_terminated(run_id, "FAILED")
            raise
        return run_id, f"{artifact_uri}/model"

    def _ensure_registered_model(self, name: str) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.create_registered_model(name)
        except MlflowException as exc:
            if "already exists" not in str(exc).lower() and exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
                raise

    # ---- read --------------------------------------------------------------------------------

    def list(self, limit: int = 100, cursor: str | None = None, filter_string: str | None = None) -> RegisteredModelPage:
        page = self.client.search_registered_models(filter_string=filter_string, max_results=limit, page_token=check_mlflow_page_token(cursor), order_by=["name ASC"])
        return RegisteredModelPage(items=[self._model(m) for m in page], next_cursor=page.token or None)

    def get(self, name: str) -> RegisteredModel:
        model = self._model(self._registered(name))
        model.versions = self.versions(name)
        return model

    def versions(self, name: str) -> list[ModelVersion]:
        model = self._registered(name)
        mvs = self.client.search_model_versions(filter_string=f"name = '{_quote(name)}'")
        out = [self._version(mv) for mv in sorted(mvs, key=lambda mv: int(mv.version), reverse=True)]
        # search results carry no aliases; the model does
        for v in out:
            v.aliases = sorted(a for a, ver in (model.aliases or {}).items() if str(ver) == v.version)
        return out

    def version(self, name: str, version: str | int) -> ModelVersion:
        return self._version(self._mv(name, str(version)), lineage=True)

    def resolve(self, ref: str) -> ModelVersion:
        """A reference (``iris:3``, ``iris@champion``, ``iris``) -> that version."""
        name, version, alias = parse_model_ref(ref)
        if alias:
            from mlflow.exceptions import MlflowException

            try:
                mv = self.client.get_model_version_by_alias(name, alias)
            except MlflowException:
                self._registered(name)
                raise NotFound(f"model {name!r} has no alias {alias!r}") from None
            return self.version(name, mv.version)
        if version:
            return self.version(name, version)
        versions = self.versions(name)
        if not versions:
            raise NotFound(f"model {name!r} has no versions")
        return self.version(name, versions[0].version)

    def _registered(self, name: str):
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_registered_model(name)
        except MlflowException:
            raise NotFound(f"no registered model named {name!r}") from None

    def _mv(self, name: str, version: str):
        from mlflow.exceptions import MlflowException

        if not str(version).isdigit():
            raise InvalidRequest("version must be a number")
        try:
            return self.client.get_model_version(name, version)
        except MlflowException:
            self._registered(name)
            raise NotFound(f"model {name!r} has no version {version}") from None

    def _model(self, m) -> RegisteredModel:
        latest = max((int(v.version) for v in (m.latest_versions or [])), default=None)
        return RegisteredModel(
            name=m.name,
            description=m.description or "",
            tags={k: str(v) for k, v in (m.tags or {}).items()},
            aliases={alias: str(v) for alias, v in (m.aliases or {}).items()},
            latest_version=str(latest) if latest is not None else None,
            created_at=m.creation_timestamp,
            updated_at=m.last_updated_timestamp,
        )

    def _version(self, mv, lineage: bool = False) -> ModelVersion:
        return ModelVersion(
            name=mv.name,
            version=str(mv.version),
            source=mv.source,
            run_id=mv.run_id,
            model_id=getattr(mv, "model_id", None),
            status=mv.status,
            description=mv.description or "",
            tags=dict(mv.tags or {}),
            aliases=list(mv.aliases or []),
            created_at=mv.creation_timestamp,
            lineage=self.lineage(mv.run_id) if lineage else None,
        )

    def lineage(self, run_id: str | None) -> dict[str, Any]:
        """The job, experiment, code and numbers that produced a version."""
        from mlflow.exceptions import MlflowException

        if not run_id:
            return {}
        try:
            run = self.client.get_run(run_id)
        except MlflowException:
            return {"run_id": run_id, "missing": True}
        tags = run.data.tags
        job_id = tags.get("mlservice.job_id")
        out: dict[str, Any] = {
            "run_id": run_id,
            "experiment_id": run.info.experiment_id,
            "experiment": _experiment_name(self.client, run.info.experiment_id),
            "job_id": job_id,
            "git_commit": tags.get("mlflow.source.git.commit"),
            "source": tags.get("mlflow.source.name"),
            "params": dict(run.data.params),
            "metrics": dict(run.data.metrics),
            "registered_from": tags.get("mlservice.registered_from"),
        }
        if job_id and self.lineage_edges is not None:
            out["data"] = self._data_inputs(job_id)
        if job_id:
            try:
                job = self.jobs.get(job_id)
                out["code_snapshot"] = str(self.jobs.job_dir(job_id) / "snapshot")
                out["target"] = job.target
                out["job_spec"] = {k: v for k, v in job.spec.items() if k != "environment_variables"}
            except NotFound:
                pass
        return out

    def _data_inputs(self, job_id: str) -> list[dict[str, Any]]:
        """The data versions the job read: name, version, ref, digest, the input's name."""
        from ..lineage import JOB, Node

        edges = self.lineage_edges.edges_to([Node(JOB, job_id)], relations=["input"])
        found = self.lineage_edges.describe([Node(e.src_type, e.src_id) for e in edges if e.src_type == "data_version"])
        by_id = {n.id: n for n in found}
        out = []
        for e in edges:
            if e.src_type != "data_version":
                continue
            name, _, version = e.src_id.rpartition("@")
            node = by_id.get(e.src_id)
            out.append({"name": name, "version": int(version), "ref": f"data:{e.src_id}", "input": e.attrs.get("input"),
                        "digest": e.attrs.get("digest") or (node.details.get("digest") if node else None),
                        "archived": bool(node and node.details.get("archived"))})
        return out

    # ---- change ------------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: str | int) -> ModelVersion:
        if not ALIAS.match(alias) or alias.lower() == "latest":
            raise InvalidRequest("alias must start with a letter, use letters, digits, '_' or '-', and not be 'latest'")
        self._mv(name, str(version))
        self.client.set_registered_model_alias(name, alias, str(version))
        self._remember_alias(name, alias, str(version))
        self._changed(name, "alias", str(version), alias)
        return self.version(name, version)

    def delete_alias(self, name: str, alias: str) -> None:
        self._registered(name)
        self.client.delete_registered_model_alias(name, alias)
        self._remember_alias(name, alias, None)
        self._changed(name, "alias", None, alias)

    def _remember_alias(self, name: str, alias: str, version: str | None) -> None:
        if self.store is None:
            return
        from .tables import AliasHistoryRow

        with self.store.session() as s:
            s.add(AliasHistoryRow(name=name, alias=alias, version=version, time=utcnow()))

    def alias_history(self, name: str, alias: str | None = None, limit: int = 100) -> AliasHistory:
        """Where each alias pointed and since when, newest first (set through this service)."""
        self._registered(name)
        if self.store is None:
            return AliasHistory(name=name, items=[])
        from sqlalchemy import select

        from .tables import AliasHistoryRow

        q = select(AliasHistoryRow).where(AliasHistoryRow.name == name)
        if alias:
            q = q.where(AliasHistoryRow.alias == alias)
        with self.store.session() as s:
            rows = list(s.scalars(q.order_by(AliasHistoryRow.time.desc(), AliasHistoryRow.id.desc()).limit(limit)))
        return AliasHistory(name=name, items=[AliasChange(alias=r.alias, version=r.version, since=as_utc(r.time)) for r in rows])

    def update_version(self, name: str, version: str, description: str | None, tags: dict[str, str] | None) -> ModelVersion:
        self._mv(name, version)
        if description is not None:
            self.client.update_model_version(name, version, description=description)
        for key, value in (tags or {}).items():
            self.client.set_model_version_tag(name, version, key, value)
        self._changed(name, "updated", str(version))
        return self.version(name, version)

    def update_model(self, name: str, description: str | None, tags: dict[str, str] | None) -> RegisteredModel:
        self._registered(name)
        if description is not None:
            self.client.update_registered_model(name, description=description)
        for key, value in (tags or {}).items():
            self.client.set_registered_model_tag(name, key, value)
        self._changed(name, "updated")
        return self.get(name)

    def delete_version(self, name: str, version: str) -> None:
        self._mv(name, version)
        self.client.delete_model_version(name, version)
        self._changed(name, "deleted", str(version))

    def delete_model(self, name: str) -> None:
        self._registered(name)
        self.client.delete_registered_model(name)
        self._changed(name, "deleted")

    def download(self, ref: str, dest: Path) -> Path:
        """Copy a version's files to dest (what a scoring server loads)."""
        import mlflow.artifacts

        mv = self.resolve(ref)
        dest.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=dest.parent))
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=mv.source, dst_path=str(tmp), tracking_uri=self.experiments.tracking_uri))
            for item in local.iterdir() if local.is_dir() else [local]:
                shutil.move(str(item), dest / item.name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest


def _quote(value: str) -> str:
    return value.replace("'", "\\'")


def _experiment_name(client, experiment_id: str) -> str | None:
    try:
        return client.get_experiment(experiment_id).name
    except Exception:
        return None
