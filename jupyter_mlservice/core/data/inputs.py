"""Job inputs and outputs: typed references resolved to local paths when a job starts.

A job spec may name ``inputs`` (``{"train": "data:iris@2"}``, ``model:iris@champion`` or a
server path) and ``outputs`` (``{"features": {"type": "folder", "register_as": "iris-features"}}``).

* At submit: names, references and ``${{inputs.x}}`` placeholders are checked, and each
  reference must exist (a 400 otherwise).
* At Preparing (``prepare``), each input is resolved again — ``data:iris`` means the latest version
  *when the job starts* — to a local path the job sees as ``${{inputs.train}}`` in a command,
  ``MLSERVICE_INPUT_TRAIN`` in its environment, a parameter of a notebook job or a global of a
  code job. A ``reference`` version is checked against its manifest first: a changed file fails
  the job before it starts, naming the file. A ``live`` table is read into the job's folder.
  Each resolved input is recorded: a lineage edge and an MLflow ``log_inputs`` on the job's run,
  both from stored metadata (digest, schema, profile), so recording costs milliseconds whatever
  the size. On a target that does not share this server's filesystem (an attached Ray cluster)
  inputs are copied into the job's code snapshot, which ships with it.
* At Finalizing (``finalize``), each output with ``register_as`` that the job wrote becomes a new
  version of that data asset, with lineage to the job; models registered from the job's run get a
  lineage edge too.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest, MLServiceError, NotFound
from ..lineage import DATA_VERSION, JOB, MODEL_VERSION, LineageService, Node
from ..refs import DataRef, check_name, is_ref, parse
from . import digest as dg
from .schemas import DataCreate, DataVersion

log = logging.getLogger("jupyter_mlservice.data")

IO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
PLACEHOLDER = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}")
TAG_PROFILE = "mlservice.data_profile"


class InputFailed(MLServiceError):
    """An input cannot be given to the job as registered (changed, gone, unreadable)."""

    status = 409


def shares_filesystem(target_row) -> bool:
    """Local targets and managed Ray heads run on this machine; an attached Ray cluster's nodes
    see only what ships with the job."""
    return not (target_row.type == "ray" and (target_row.settings or {}).get("mode") == "attached")


# ---- checks at submit (pure: used by the spec's validator) --------------------------------------


def check_spec(kind: str, inputs: dict[str, str], outputs: dict[str, Any], command: str | None, parameters: dict[str, Any] | None) -> None:
    """Raise ValueError saying what to change; called from the job spec's validator."""
    for name in [*inputs, *outputs]:
        if not IO_NAME.match(name):
            raise ValueError(f"input/output name {name!r} must be a Python identifier (letters, digits, '_'; not starting with a digit)")
    both = sorted(set(inputs) & set(outputs))
    if both:
        raise ValueError(f"{both[0]!r} is both an input and an output; give them different names")
    for name, value in inputs.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"inputs.{name} must be a reference (data:NAME@VERSION, model:NAME@ALIAS) or a server path")
        if is_ref(value):
            try:
                parse(value)
            except InvalidRequest as exc:
                raise ValueError(f"inputs.{name}: {exc.message}") from None
    for name, out in outputs.items():
        register_as = out.get("register_as") if isinstance(out, dict) else getattr(out, "register_as", None)
        if register_as:
            try:
                check_name(register_as, f"outputs.{name}.register_as")
            except InvalidRequest as exc:
                raise ValueError(exc.message) from None
    clash = sorted(set(parameters or {}) & (set(inputs) | set(outputs)))
    if clash:
        raise ValueError(f"{clash[0]!r} is both a parameter and an input/output (which the job also gets as a parameter); rename one")
    for section, name in PLACEHOLDER.findall(command or ""):
        declared = inputs if section == "inputs" else outputs
        if name not in declared:
            raise ValueError(f"the command uses ${{{{{section}.{name}}}}} but {section} has no {name!r}; declare it in {section}")


# ---- the hooks the jobs code calls -------------------------------------------------------------


TABLE_FORMATS = ("csv", "parquet", "jsonl")
FORMAT_NAMES = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON lines"}


@dataclass
class TableFiles:
    version: DataVersion
    files: list[Path]
    digest: str | None


@dataclass
class TableInput:
    version: DataVersion
    frame: Any  # a pandas DataFrame
    digest: str | None


def _read_frame(files: list[Path], fmt: str):
    import pandas as pd

    def read(path: Path):
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt == "csv":
            return pd.read_csv(path)
        return pd.read_json(path, lines=True)

    frames = [read(f) for f in files]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


@dataclass
class Resolved:
    path: str
    version: DataVersion | None = None
    model: Any = None  # the registry's ModelVersion of a model input
    digest: str | None = None  # per use (live tables)


class JobIO:
    def __init__(self, data, lineage: LineageService, experiments, models, jobs_dir: Path, root_dir: Path):
        self.data = data
        self.lineage = lineage
        self.experiments = experiments
        self.models = models
        self.jobs_dir = jobs_dir
        self.root_dir = root_dir

    # submit ------------------------------------------------------------------------------------

    def check_refs(self, spec: Any) -> None:
        """At submit: every referenced asset, version, alias, model and path exists."""
        for name, value in (getattr(spec, "inputs", None) or {}).items():
            try:
                self._lookup(value)
            except (NotFound, InvalidRequest) as exc:
                raise InvalidRequest(f"inputs.{name}: {exc.message}") from None

    def _lookup(self, value: str):
        if not is_ref(value):
            p = self.data.jobs.paths.confine(value, "input path")
            if not p.exists():
                raise InvalidRequest(f"{value!r} does not exist on the server (paths are relative to {self.root_dir})")
            return p
        ref = parse(value)
        if isinstance(ref, DataRef):
            return self.data.resolve(ref)
        if self.models is None:  # pragma: no cover - a workspace always has a registry
            raise InvalidRequest("model inputs need the model registry")
        return self.models.resolve(ref.short)

    # Preparing ---------------------------------------------------------------------------------

    def prepare(self, row, target, spec) -> None:
        """Resolve the inputs and outputs of ``row`` into ``spec`` (a LaunchSpec): argv, env, and
        the parameter files of notebook and code jobs."""
        inputs: dict[str, str] = row.spec.get("inputs") or {}
        outputs: dict[str, dict] = row.spec.get("outputs") or {}
        if not inputs and not outputs:
            return
        job_dir = self.jobs_dir / row.id
        shared = shares_filesystem(target)
        snapshot = job_dir / "snapshot"
        if not shared:
            if outputs:
                raise InvalidRequest(f"target {row.target!r} does not share this server's filesystem, so outputs cannot come back from it; run jobs with outputs on local or a managed ray target")
            if not Path(spec.cwd).resolve().is_relative_to(snapshot.resolve()):
                raise InvalidRequest(f"target {row.target!r} does not share this server's filesystem: inputs ship inside the job's code snapshot, so give the job code= (a folder)")
        resolved = {name: self._resolve(row, name, value, job_dir, shared) for name, value in inputs.items()}
        paths = {f"inputs.{n}": r.path for n, r in resolved.items()}
        env = {f"MLSERVICE_INPUT_{n.upper()}": r.path for n, r in resolved.items()}
        for name, out in outputs.items():
            path = output_path(job_dir, name, out)
            paths[f"outputs.{name}"] = str(path)
            env[f"MLSERVICE_OUTPUT_{name.upper()}"] = str(path)
        spec.argv = [PLACEHOLDER.sub(lambda m: paths[f"{m.group(1)}.{m.group(2)}"], a) for a in spec.argv]
        spec.env.update(env)
        params = {key.split(".", 1)[1]: value for key, value in paths.items()}
        if row.kind == "notebook":
            _merge_json(job_dir / "parameters.json", params)
        elif row.kind == "code":
            _merge_json(snapshot / "__mlrun_params__.json", params)
        for name, r in resolved.items():
            self._record(row, name, r)

    def _resolve(self, row, name: str, value: str, job_dir: Path, shared: bool) -> Resolved:
        try:
            found = self._lookup(value)
        except (NotFound, InvalidRequest) as exc:
            raise InvalidRequest(f"input {name} ({value}): {exc.message}") from None
        if isinstance(found, Path):
            resolved = Resolved(str(found))
        elif isinstance(found, DataVersion):
            resolved = self._data_input(name, found, job_dir)
        else:
            dest = job_dir / "inputs" / name
            if not dest.exists():
                self.models.download(f"{found.name}:{found.version}", dest)
            resolved = Resolved(str(dest), model=found)
        if not shared:
            resolved.path = _ship(Path(resolved.path), job_dir / "snapshot", name)
        return resolved

    def _data_input(self, name: str, v: DataVersion, job_dir: Path) -> Resolved:
        if v.mode == "live":
            from . import sql as sqlmod

            folder = job_dir / "inputs" / name
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / "data.parquet"
            url = self.data.live_url(v.name, v.version)
            sqlmod.materialize(url, v.sql, target)
            sha, _ = dg.hash_file(target)
            return Resolved(str(target), version=v, digest="sha256:" + sha)
        if v.mode == "reference":
            problem = self.data.changed(v)
            if problem:
                raise InputFailed(f"input {name} ({v.ref}) no longer matches its digest {v.digest}: {problem}; register the new content as a new version")
            if _is_glob_source(v):
                return Resolved(str(_link_glob(v, self.data.manifest(v.name, v.version), job_dir / "inputs" / name)), version=v)
        if not v.path or not os.path.exists(v.path):
            raise InputFailed(f"input {name} ({v.ref}): its content is missing from {v.path}")
        return Resolved(v.path, version=v)

    def _record(self, row, name: str, r: Resolved) -> None:
        if r.version is not None:
            relation = "profiled" if TAG_PROFILE in (row.tags or {}) else "input"
            self.record_input(row.id, name, r.version, r.digest, run_id=row.run_id, relation=relation)
        elif r.model is not None:
            self.lineage.record(Node(MODEL_VERSION, f"{r.model.name}:{r.model.version}"), Node(JOB, row.id), "input", {"input": name})

    def record_input(self, job_id: str, name: str, v: DataVersion, digest: str | None, *, run_id: str | None = None,
                     relation: str = "input") -> None:
        """A lineage edge version -> job, and (given the job's run) ``log_inputs`` on its MLflow run."""
        self.lineage.record(Node(DATA_VERSION, f"{v.name}@{v.version}"), Node(JOB, job_id), relation, {"input": name, "digest": digest or v.digest})
        if run_id:
            try:
                self._log_input(run_id, name, v, digest)
            except Exception:  # the job runs; MLflow only lacks the record
                log.exception("could not log input %s of job %s to MLflow", name, job_id)

    # Services that read their data at submit (AutoML) ------------------------------------------

    @contextmanager
    def local_files(self, ref: str, what: str, formats: tuple[str, ...] = TABLE_FORMATS) -> Iterator[TableFiles]:
        """The files of a version as a job would read them, for a service that reads its data
        itself (AutoML at submit, a monitor checking its baseline): ``data:sales`` -> the version
        it means now and its local files. The same checks as a job's input (a ``reference``
        version whose files changed is refused, naming the file); a live table is read once into
        a temp folder, removed on leaving."""
        import tempfile

        try:
            v = self.data.resolve(ref)
        except (NotFound, InvalidRequest) as exc:
            raise InvalidRequest(f"{what}: {exc.message}") from None
        if v.format not in formats:
            raise InvalidRequest(f"{what}: {v.ref} is not tabular (its format: {v.format}); give a table asset or "
                                 f"{' / '.join(FORMAT_NAMES[f] for f in formats)} files")  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="mlservice-read-") as tmp:
            try:
                r = self._data_input(what, v, Path(tmp))
            except InputFailed as exc:
                raise InvalidRequest(exc.message) from None
            files = [Path(r.path)] if v.kind != "folder" else [Path(v.path) / e.path for e in self.data.manifest(v.name, v.version)]
            yield TableFiles(v, files, r.digest or v.digest)

    def read_table(self, ref: str, what: str) -> TableInput:
        """A tabular version read whole into a DataFrame (AutoML): the version, its rows, their digest."""
        with self.local_files(ref, what) as found:
            try:
                frame = _read_frame(found.files, found.version.format)
            except Exception as exc:  # noqa: BLE001 - any reader's error, in its words
                raise InvalidRequest(f"{what}: cannot read {found.version.ref} as one table: {exc}") from None
        return TableInput(found.version, frame, found.digest)

    def _log_input(self, run_id: str, name: str, v: DataVersion, digest: str | None) -> None:
        """``mlflow.log_input`` from what is stored: no byte of the data is read."""
        from mlflow.entities import Dataset, DatasetInput, InputTag

        full = digest or v.digest or ""
        hexdigest = full.split(":", 1)[-1]
        source = {"uri": v.path, "ref": v.ref, "sha256": hexdigest, "mode": v.mode}
        if v.kind == "table":
            source.update(sql=v.sql, url=v.url)
        schema = {"mlflow_colspec": [{"name": c["name"], "type": _mlflow_type(c.get("type", "")), "required": False} for c in v.columns]} if v.columns else None
        dataset = Dataset(
            name=v.name,
            digest=hexdigest[:36] or f"live-{v.version}",
            source_type="sql" if v.kind == "table" else "local",
            source=json.dumps(source),
            schema=json.dumps(schema) if schema else None,
            profile=json.dumps(self._profile_summary(v)),
        )
        tags = [InputTag("mlflow.data.context", name), InputTag("mlservice.data.ref", v.ref), InputTag("mlservice.data.digest", full)]
        self.experiments.client.log_inputs(run_id, datasets=[DatasetInput(dataset, tags)])

    def _profile_summary(self, v: DataVersion) -> dict[str, Any]:
        out: dict[str, Any] = {"num_rows": v.row_count, "num_files": v.file_count, "size_bytes": v.size_bytes, "format": v.format}
        if v.profile_status == "Ready":
            try:
                prof = self.data.profile(v.name, v.version).profile or {}
            except NotFound:
                prof = {}
            cols = prof.get("columns") or []
            out["num_rows"] = prof.get("rows", v.row_count)
            out["num_elements"] = (out["num_rows"] or 0) * len(cols)
            out["columns"] = {c["name"]: {k: c[k] for k in ("nulls", "distinct", "min", "max", "mean", "std") if k in c} for c in cols}
        return out

    # Finalizing --------------------------------------------------------------------------------

    def finalize(self, row, outcome: dict[str, Any]) -> dict[str, Any]:
        """Register what a completed job wrote under its ``register_as`` outputs; link models
        registered from its run. A missing output fails the job."""
        if outcome.get("status") != "Completed":
            return outcome
        job_dir = self.jobs_dir / row.id
        for name, out in (row.spec.get("outputs") or {}).items():
            if not out.get("register_as"):
                continue
            try:
                self._register_output(row, name, out, job_dir)
            except MLServiceError as exc:
                return {**outcome, "status": "Failed", "error": f"output {name}: {exc.message}"}
        if row.run_id and self.models is not None:
            self._link_models(row)
        return outcome

    def _register_output(self, row, name: str, out: dict, job_dir: Path) -> None:
        if self.data.output_version(row.id, name) is not None:
            return  # registered before a restart
        path = output_path(job_dir, name, out, create=False)
        wrote = path.is_file() if out.get("type") == "file" else (path.is_dir() and any(path.iterdir()))
        if not wrote:
            raise InvalidRequest(f"the job wrote nothing at ${{{{outputs.{name}}}}} ({path}); write the {out.get('type', 'folder')} there")
        self.data.create(
            DataCreate(name=out["register_as"], path=str(path), mode="copy",
                       description=f"output {name} of job {row.id}", tags={"mlservice.job_id": row.id}),
            job_id=row.id, output_name=name, server_made=True,
        )
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    def _link_models(self, row) -> None:
        try:
            found = self.experiments.client.search_model_versions(f"run_id = '{row.run_id}'")
        except Exception:  # noqa: BLE001 - lineage is best effort here; the registry path records it too
            log.exception("could not look up models registered from job %s", row.id)
            return
        for mv in found:
            self.lineage.record(Node(JOB, row.id), Node(MODEL_VERSION, f"{mv.name}:{mv.version}"), "registered")


def output_path(job_dir: Path, name: str, out: dict, create: bool = True) -> Path:
    """Registered outputs are written apart from ``outputs/`` (which is uploaded to the run's
    artifacts); the others under it."""
    folder = job_dir / ("data-outputs" if out.get("register_as") else "outputs")
    path = folder / name
    if create:
        if out.get("type", "folder") == "folder":
            path.mkdir(parents=True, exist_ok=True)
        else:
            folder.mkdir(parents=True, exist_ok=True)
    return path


def _is_glob_source(v: DataVersion) -> bool:
    from .formats import is_glob

    return v.kind == "folder" and is_glob(v.source)


def _link_glob(v: DataVersion, entries: list[dg.FileEntry], dest: Path) -> Path:
    """A folder holding exactly the files a glob matched at registration (links to them)."""
    root = Path(v.path)
    for e in entries:
        link = dest / e.path
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(root / e.path)
    return dest


def _ship(path: Path, snapshot: Path, name: str) -> str:
    """Copy an input into the snapshot; the job finds it relative to its working folder."""
    dest = snapshot / "inputs" / name
    if path.is_dir():
        shutil.copytree(path, dest, symlinks=False, dirs_exist_ok=True)
        return f"inputs/{name}"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, dest / path.name)
    return f"inputs/{name}/{path.name}"


def _merge_json(path: Path, values: dict[str, Any]) -> None:
    current = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**current, **values}))


def _mlflow_type(arrow_type: str) -> str:
    t = arrow_type.lower()
    if t.startswith(("int8", "int16", "int32", "uint8", "uint16")):
        return "integer"
    if t.startswith(("int64", "uint32", "uint64")):
        return "long"
    if t in ("float", "float32", "halffloat"):
        return "float"
    if t.startswith(("double", "float64", "decimal")):
        return "double"
    if t == "bool":
        return "boolean"
    if t.startswith(("timestamp", "date")):
        return "datetime"
    if t.startswith(("binary", "large_binary")):
        return "binary"
    return "string"


