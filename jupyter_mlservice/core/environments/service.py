"""Environments: create (resolve and record), read, build, and what jobs and deployments use.

A version is immutable: its resolved lock and cache key never change, so ``sk12@1`` runs the same
packages next year. Creating ``sk12`` again with other requirements makes ``sk12@2``; with the
same ones it answers the existing version.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ..errors import InvalidRequest, NotFound
from ..events import EventBus
from ..logfile import read_from
from ..pagination import page
from ..store import Store
from ..timeutil import as_utc, utcnow
from . import sources
from .cache import BuildFailed, EnvironmentCache
from .index import Index
from .resolve import python_tag, resolve
from .schemas import Environment, EnvironmentCreate, EnvironmentLog, EnvironmentPage
from .tables import EnvironmentRow

log = logging.getLogger("jupyter_mlservice.environments")

REF = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_.-]{0,63})(?:[@:](?P<version>\d+|latest))?$")


class EnvironmentService:
    def __init__(self, store: Store, cache_dir: Path, models: Any = None, index: Index | None = None, events: EventBus | None = None):
        self.store = store
        self.events = events or EventBus()
        self.cache = EnvironmentCache(cache_dir)
        self.models = models  # the model registry, for environments made from a model's own files
        self.index = index
        self._create_lock = threading.Lock()

    # ---- create ------------------------------------------------------------------------------

    def create(self, body: EnvironmentCreate) -> Environment:
        """``EnvironmentCreate(name="sk12", requirements=["scikit-learn==1.2.2", "numpy<2"])`` -> sk12@1"""
        if body.requirements is not None:
            req, source = sources.from_list(body.requirements), "requirements"
        elif body.requirements_txt is not None:
            req, source = sources.from_requirements_txt(body.requirements_txt), "requirements_txt"
        elif body.conda_yaml is not None:
            req, source = sources.from_conda_yaml(body.conda_yaml), "conda_yaml"
        else:
            req, source = self._model_requirements(body.model), f"model:{body.model}"
        return self._create(body.name, body.description, source, req, build=body.build)

    def from_model_folder(self, name: str, folder: Path, source: str, build: bool = False,
                          scoring_script: bool = False) -> Environment:
        """The environment an MLflow model asks for (its requirements.txt), as ``name@N``;
        ``scoring_script``: a scoring script runs in it, so what scripts use must fit (resolve.SCRIPT_NEEDS)."""
        return self._create(name, f"the requirements of MLflow model {source}", f"model:{source}",
                            sources.from_mlflow_model(folder), build=build, scoring_script=scoring_script)

    def _model_requirements(self, ref: str) -> sources.Requirements:
        if self.models is None:
            raise InvalidRequest("this workspace has no model registry to read a model's requirements from")
        mv = self.models.resolve(ref)
        with tempfile.TemporaryDirectory(prefix="mlservice-env-model-") as tmp:
            folder = self.models.download(f"{mv.name}:{mv.version}", Path(tmp) / "model")
            return sources.from_mlflow_model(Path(folder))

    def _create(self, name: str, description: str, source: str, req: sources.Requirements, build: bool,
                scoring_script: bool = False) -> Environment:
        resolution = resolve(req, self.index, scoring_script=scoring_script)
        with self._create_lock, self.store.session() as s:
            latest = s.scalars(
                select(EnvironmentRow).where(EnvironmentRow.name == name).order_by(EnvironmentRow.version.desc()).limit(1)
            ).first()
            created = not (latest is not None and latest.key == resolution.key and latest.requirements == req.lines)
            if not created:
                s.expunge(latest)
                row = latest
            else:
                row = EnvironmentRow(
                    name=name, version=(latest.version + 1) if latest else 1, description=description, source=source,
                    requirements=req.lines, resolved=resolution.lock, key=resolution.key, python=python_tag(),
                    warnings=resolution.warnings, created_at=utcnow(),
                )
                s.add(row)
                s.flush()
                s.expunge(row)
        self.cache.record(row.key, row.resolved, resolution.log)
        if created:
            self._changed(row, "created")
        if build:
            self.build_in_background(row.key)
        return self.to_view(row)

    # ---- read --------------------------------------------------------------------------------

    def row(self, ref: str) -> EnvironmentRow:
        """``sk12@1``, ``sk12:1`` or ``sk12`` (the latest version)."""
        m = REF.match(ref.strip())
        if not m:
            raise InvalidRequest(f"environment {ref!r} is not a reference; use name@version (e.g. sk12@1) or a name")
        with self.store.session() as s:
            q = select(EnvironmentRow).where(EnvironmentRow.name == m["name"])
            if m["version"] and m["version"] != "latest":
                q = q.where(EnvironmentRow.version == int(m["version"]))
            row = s.scalars(q.order_by(EnvironmentRow.version.desc()).limit(1)).first()
            if row is None:
                known = s.scalars(select(EnvironmentRow.version).where(EnvironmentRow.name == m["name"])).all()
                if known:
                    raise NotFound(f"environment {m['name']!r} has no version {m['version']} (versions: "
                                   f"{', '.join(str(v) for v in sorted(known))})")
                raise NotFound(f"no environment named {m['name']!r}; create it with ml.environments.create(name=...)")
            s.expunge(row)
            return row

    def pin(self, ref: str) -> str:
        """The exact version a reference means now (``sk12`` -> ``sk12@3``), as jobs record it."""
        row = self.row(ref)
        return f"{row.name}@{row.version}"

    def get(self, ref: str) -> Environment:
        return self.to_view(self.row(ref))

    def list(self, name: str | None = None, limit: int = 100, cursor: str | None = None) -> EnvironmentPage:
        """Every version of ``name``, newest first; without a name the latest version of each, by name."""
        with self.store.session() as s:
            if name:
                q = select(EnvironmentRow).where(EnvironmentRow.name == name)
                rows, nxt = page(s, q, [EnvironmentRow.version], limit, cursor, descending=True)
            else:
                latest = (select(EnvironmentRow.name, func.max(EnvironmentRow.version).label("v"))
                          .group_by(EnvironmentRow.name).subquery())
                q = select(EnvironmentRow).join(latest, (EnvironmentRow.name == latest.c.name) & (EnvironmentRow.version == latest.c.v))
                rows, nxt = page(s, q, [EnvironmentRow.name], limit, cursor)
            s.expunge_all()
        return EnvironmentPage(items=[self.to_view(r) for r in rows], next_cursor=nxt)

    def logs(self, ref: str, offset: int = 0) -> EnvironmentLog:
        row = self.row(ref)
        if offset < 0:
            raise InvalidRequest("offset must be >= 0")
        text, end, size = read_from(self.cache.log_path(row.key), offset)
        state = self.cache.state(row.key)
        return EnvironmentLog(text=text, offset=end, size=size, complete=state in ("Ready", "Failed") and end >= size)

    def to_view(self, row: EnvironmentRow) -> Environment:
        state = self.cache.state(row.key)
        return Environment(
            name=row.name, version=row.version, reference=f"{row.name}@{row.version}", description=row.description,
            source=row.source, requirements=row.requirements, resolved=row.resolved, key=row.key, python=row.python,
            warnings=row.warnings or [], state=state, error=self.cache.failure(row.key) if state == "Failed" else None,
            created_at=as_utc(row.created_at),
        )

    # ---- build -------------------------------------------------------------------------------

    def build(self, ref: str) -> Environment:
        """Build now (or wait for the build in progress); a failure is a 400 naming the requirement."""
        row = self.row(ref)
        self.ensure(row)
        return self.to_view(row)

    def ensure(self, row: EnvironmentRow) -> Path:
        if row.python != python_tag():
            raise InvalidRequest(
                f"environment {row.name}@{row.version} was resolved for {row.python} and this server runs {python_tag()}; "
                f"create it again (ml.environments.create(name={row.name!r}, ...)) to resolve it for this interpreter"
            )
        self.cache.record(row.key, row.resolved, [])  # a cache folder that was cleaned is rebuilt
        was = self.cache.state(row.key)
        try:
            path = self.cache.ensure(row.key)
        except BuildFailed as exc:
            self._changed(row, "build_failed")
            raise InvalidRequest(f"environment {row.name}@{row.version}: {exc}") from None
        if was != "Ready":
            self._changed(row, "built")
        return path

    def build_in_background(self, key: str) -> None:
        def work() -> None:
            action = "built"
            try:
                self.cache.ensure(key)
            except BuildFailed as exc:
                log.warning("%s", exc)
                action = "build_failed"
            except Exception:
                log.exception("building environment %s failed", key)
                action = "build_failed"
            with self.store.session() as s:
                rows = list(s.scalars(select(EnvironmentRow).where(EnvironmentRow.key == key)))
                s.expunge_all()
            for row in rows:
                self._changed(row, action)

        threading.Thread(target=work, name=f"env-build-{key[:8]}", daemon=True).start()

    def _changed(self, row: EnvironmentRow, action: str) -> None:
        """An `environment` event: a version was created, or the server finished building it."""
        self.events.emit("environment", {"name": row.name, "version": row.version, "action": action,
                                         "state": self.cache.state(row.key)})
