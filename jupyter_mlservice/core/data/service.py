"""Data assets: named, versioned, immutable references to data.

A version is registered in two steps that leave nothing behind if interrupted: its row is inserted
as ``Registering`` (which reserves the number), its content is copied and hashed into a temp folder
of the data store (or hashed in place for ``reference``), the folder is renamed to the version's
and the row becomes ``Ready``. A failure removes the row and the folder; a server that dies
mid-way leaves a Registering row that the next server start removes with its folders.

Layout of the data store (``<workspace>/data`` by default)::

    <name>/<version>/...                 the content of a copy or snapshot version
    <name>/<version>.files.json          every version's manifest (path, size, sha256, mtime)
    <name>/.registering-<version>-<hex>/  content being written
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidRequest, NotFound, Unavailable
from ..events import EventBus
from ..lineage import DATA_VERSION, DEPLOYMENT, JOB, MODEL_VERSION, LineageService, Node
from ..pagination import decode_cursor, encode_cursor, page
from ..refs import DataRef, check_alias, check_name, parse_data
from ..store import Store
from ..timeutil import as_utc, utcnow
from . import digest as dg
from . import sql as sqlmod
from .formats import format_of, is_glob, list_files, read_columns
from .schemas import (
    DataAsset,
    DataAssetPage,
    DataCreate,
    DataFile,
    DataFilePage,
    DataLineage,
    DataProfile,
    DataUpdate,
    DataVersion,
    DataVersionPage,
)
from .tables import DataAssetRow, DataProfileRow, DataVersionRow

log = logging.getLogger("jupyter_mlservice.data")

REGISTERING, READY = "Registering", "Ready"
PROFILE_EXPERIMENT = "data-profiles"
TAG_PROFILE = "mlservice.data_profile"
TABLE_FILE = "data.parquet"


class DataService:
    def __init__(self, store: Store, jobs, lineage: LineageService, root_dir: Path, data_dir: Path, events: EventBus | None = None):
        self.store = store
        self.events = events or EventBus()
        self.jobs = jobs
        self.lineage_edges = lineage
        self.root_dir = root_dir
        self.data_dir = data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lineage.add_describer(DATA_VERSION, self._describe_versions)

    # ---- restart -----------------------------------------------------------------------------

    def recover(self) -> None:
        """Remove what a server that died while registering left: Registering rows, their
        folders, temp folders, and assets left without a version. Run before jobs start."""
        with self.store.session() as s:
            stale = list(s.execute(select(DataVersionRow.name, DataVersionRow.version).where(DataVersionRow.status == REGISTERING)).all())
        for name, version in stale:
            log.warning("removing data version %s@%s: the server stopped while registering it", name, version)
            self._discard(name, version)
        for folder in self.data_dir.iterdir() if self.data_dir.is_dir() else []:
            for tmp in folder.glob(".registering-*"):
                shutil.rmtree(tmp, ignore_errors=True)

    # ---- register ----------------------------------------------------------------------------

    def create(self, body: DataCreate, *, job_id: str | None = None, output_name: str | None = None,
               server_made: bool = False) -> DataVersion:
        """Register a version (v1 creates the asset). Identical content returns the existing
        version unless ``force``. ``job_id``/``output_name``: the job output it is.
        ``server_made``: ``body.path`` is a folder the service itself wrote (a job's output, an
        export of collected data) inside its workspace folder, which a request's path may not name."""
        check_name(body.name, "data asset name")
        if body.profile:
            self._check_profile_target(body.profile_target)
        paths = self.jobs.paths
        if body.url:  # a SQLite file is a path like any other: relative to the root, in reach
            body = body.model_copy(update={"url": paths.confine_url(body.url, "url")})
        if body.path:
            base, files, kind = list_files(self.root_dir, body.path, None if server_made else paths)
            if (body.mode or "copy") == "copy":
                size = sum(f.stat().st_size for f, _ in files)
                if size > paths.max_copy_bytes:
                    raise InvalidRequest(f"path {body.path!r} holds {size / 2**20:.0f} MiB, more than the {paths.max_copy_bytes // 2**20} MiB "
                                         "a copy may take; register it with mode='reference' or ask an admin to raise max_copy_mb")
            if body.kind and body.kind != kind:
                raise InvalidRequest(f"path {body.path!r} is a {kind}, not a {body.kind}; leave kind out or pass kind={kind!r}")
            mode = body.mode or "copy"
        else:
            kind, mode = "table", body.mode or "snapshot"
            base, files = None, []
            query = sqlmod.query_for(body.url, body.sql, body.table)
            columns = sqlmod.check_query(body.url, query)
        version = self._reserve(body, kind, mode, job_id, output_name)
        name = body.name
        tmp = self.data_dir / name / f".registering-{version}-{secrets.token_hex(4)}"
        try:
            if kind == "table":
                facts = self._register_table(body, query, columns, mode, tmp)
            else:
                facts = self._register_files(base, files, kind, mode, tmp)
            duplicate = None if body.force else self._duplicate(name, version, mode, facts)
            if duplicate is not None:
                self._discard(name, version, tmp)
                self._record_output(job_id, output_name, name, duplicate)
                return self.version(name, duplicate).model_copy(update={"deduplicated": True})
            final = self.data_dir / name / str(version)
            manifest = facts.pop("manifest", None)
            if manifest is not None:
                self._write_manifest(name, version, manifest)
            content = facts.pop("content", None)
            if tmp.exists():
                os.replace(tmp, final)
                facts["path"] = str(final / content) if content else str(final)
            with self.store.session() as s:
                s.execute(update(DataVersionRow).where(DataVersionRow.name == name, DataVersionRow.version == version)
                          .values(status=READY, updated_at=utcnow(), **facts))
                s.execute(update(DataAssetRow).where(DataAssetRow.name == name).values(updated_at=utcnow()))
        except BaseException:
            self._discard(name, version, tmp)
            raise
        self._record_output(job_id, output_name, name, version)
        self._changed(name, "registered", version)
        if body.profile:
            try:
                self.start_profile(name, version, body.profile_target)
            except Exception:  # the version stands; the profile can be asked for again
                log.exception("could not start the profile job of %s@%s", name, version)
        return self.version(name, version)

    def _record_output(self, job_id: str | None, output_name: str | None, name: str, version: int) -> None:
        if job_id:
            self.lineage_edges.record(Node(JOB, job_id), Node(DATA_VERSION, f"{name}@{version}"), "output", {"output": output_name})

    def _reserve(self, body: DataCreate, kind: str, mode: str, job_id: str | None, output_name: str | None) -> int:
        """Insert the asset (first version) and a Registering row with the next number."""
        for _ in range(20):
            now = utcnow()
            try:
                with self.store.session() as s:
                    asset = s.get(DataAssetRow, body.name)
                    if asset is None:
                        asset = DataAssetRow(name=body.name, kind=kind, description=body.description, tags=dict(body.tags),
                                             aliases={}, archived=False, created_at=now, updated_at=now)
                        s.add(asset)
                        s.flush()
                    elif asset.kind != kind:
                        raise InvalidRequest(
                            f"data asset {body.name!r} holds {asset.kind} versions and this is a {kind}; register it under another name"
                        )
                    elif asset.archived:
                        raise Conflict(f"data asset {body.name!r} is archived; restore it (archived=false) before adding versions")
                    version = (s.scalar(select(func.max(DataVersionRow.version)).where(DataVersionRow.name == body.name)) or 0) + 1
                    s.add(DataVersionRow(
                        name=body.name, version=version, status=REGISTERING, kind=kind, mode=mode,
                        source=body.path or (body.sql or f"table {body.table}"), description=body.description,
                        tags=dict(body.tags), archived=False, job_id=job_id, output_name=output_name,
                        created_at=now, updated_at=now,
                    ))
                return version
            except IntegrityError:  # another registration took the number (or created the asset)
                continue
        raise Conflict(f"could not reserve a version number for {body.name!r}; try again")  # pragma: no cover

    def _register_files(self, base: Path, files: list[tuple[Path, str]], kind: str, mode: str, tmp: Path) -> dict[str, Any]:
        fmt = format_of([f for f, _ in files])
        columns, rows = read_columns([f for f, _ in files], fmt)
        if mode == "copy":
            tmp.mkdir(parents=True)
            entries = dg.hash_files(files, copy_root=tmp, on_file=self._unless_stopping)  # copied and hashed in one pass
            for e in entries:
                os.chmod(tmp / e.path, 0o444)  # a version is immutable: jobs read it, never write it
        else:
            entries = dg.hash_files(files)
        digest = dg.file_digest(entries[0]) if kind == "file" else dg.folder_digest(entries)
        facts: dict[str, Any] = {
            "format": fmt, "digest": digest, "size_bytes": sum(e.size for e in entries), "file_count": len(entries),
            "row_count": rows, "columns": columns, "manifest": entries,
        }
        if mode == "copy":
            facts["content"] = files[0][1] if kind == "file" else ""
        else:
            facts["path"] = str(base)
        return facts

    def _unless_stopping(self, _entry) -> None:
        """Between the files of a copy: a server stop ends the registration (it is removed)."""
        if self.jobs.paths.stopping.is_set():
            raise Unavailable("the server is stopping; the data version was not registered; try again once it is back")

    def _register_table(self, body: DataCreate, query: str, columns: list[str], mode: str, tmp: Path) -> dict[str, Any]:
        if mode == "live":
            return {"sql": query, "url": body.url, "format": "parquet", "columns": [{"name": c, "type": "unknown"} for c in columns]}
        tmp.mkdir(parents=True)
        out = sqlmod.materialize(body.url, query, tmp / TABLE_FILE)
        sha, size = dg.hash_file(tmp / TABLE_FILE)
        os.chmod(tmp / TABLE_FILE, 0o444)
        entry = dg.FileEntry(TABLE_FILE, size, sha, os.stat(tmp / TABLE_FILE).st_mtime_ns)
        return {
            "sql": query, "url": sqlmod.redact(body.url), "format": "parquet", "digest": dg.file_digest(entry),
            "size_bytes": size, "file_count": 1, "row_count": out["rows"], "columns": out["columns"],
            "manifest": [entry], "content": TABLE_FILE,
        }

    def _duplicate(self, name: str, version: int, mode: str, facts: dict[str, Any]) -> int | None:
        q = select(DataVersionRow.version).where(DataVersionRow.name == name, DataVersionRow.status == READY,
                                                 DataVersionRow.mode == mode, DataVersionRow.version != version)
        if mode == "live":
            q = q.where(DataVersionRow.sql == facts["sql"], DataVersionRow.url == facts["url"])
        else:
            q = q.where(DataVersionRow.digest == facts["digest"])
        with self.store.session() as s:
            return s.scalar(q.order_by(DataVersionRow.version.desc()).limit(1))

    def _discard(self, name: str, version: int, tmp: Path | None = None) -> None:
        """Undo a registration: folders first, then the row (and the asset if it has no other version)."""
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(self.data_dir / name / str(version), ignore_errors=True)
        self._manifest_path(name, version).unlink(missing_ok=True)
        with self.store.session() as s:
            row = s.get(DataVersionRow, (name, version))
            if row is not None and row.status == REGISTERING:
                s.delete(row)
                s.flush()
                if not s.scalar(select(func.count()).select_from(DataVersionRow).where(DataVersionRow.name == name)):
                    asset = s.get(DataAssetRow, name)
                    if asset is not None:
                        s.delete(asset)

    def _manifest_path(self, name: str, version: int) -> Path:
        return self.data_dir / name / f"{version}.files.json"

    def _write_manifest(self, name: str, version: int, entries: list[dg.FileEntry]) -> None:
        path = self._manifest_path(name, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps([e.as_dict() for e in entries]))
        os.replace(tmp, path)

    def manifest(self, name: str, version: int) -> list[dg.FileEntry]:
        path = self._manifest_path(name, version)
        if not path.exists():
            return []
        return [dg.FileEntry(**e) for e in json.loads(path.read_text())]

    # ---- read --------------------------------------------------------------------------------

    def list_assets(self, limit: int = 100, cursor: str | None = None, include_archived: bool = False, prefix: str | None = None) -> DataAssetPage:
        q = select(DataAssetRow)
        if not include_archived:
            q = q.where(DataAssetRow.archived.is_(False))
        if prefix:
            q = q.where(DataAssetRow.name.startswith(prefix, autoescape=True))
        with self.store.session() as s:
            rows, nxt = page(s, q, [DataAssetRow.name], limit, cursor)
            stats = self._asset_stats(s, [r.name for r in rows])
        items = [self._asset(r, stats.get(r.name, (None, 0))) for r in rows]
        return DataAssetPage(items=items, next_cursor=nxt)

    def get_asset(self, name: str) -> DataAsset:
        with self.store.session() as s:
            row = self._asset_row(s, name)
            return self._asset(row, self._asset_stats(s, [name]).get(name, (None, 0)))

    def _asset_stats(self, s, names: list[str]) -> dict[str, tuple[int | None, int]]:
        if not names:
            return {}
        q = (select(DataVersionRow.name, func.max(DataVersionRow.version), func.count())
             .where(DataVersionRow.name.in_(names), DataVersionRow.status == READY, DataVersionRow.archived.is_(False))
             .group_by(DataVersionRow.name))
        return {n: (latest, count) for n, latest, count in s.execute(q).all()}

    def versions(self, name: str, limit: int = 100, cursor: str | None = None, include_archived: bool = True) -> DataVersionPage:
        q = select(DataVersionRow).where(DataVersionRow.name == name, DataVersionRow.status == READY)
        if not include_archived:
            q = q.where(DataVersionRow.archived.is_(False))
        with self.store.session() as s:
            asset = self._asset_row(s, name)
            rows, nxt = page(s, q, [DataVersionRow.version], limit, cursor, descending=True)
            profiles = self._profiles(s, name, [r.version for r in rows])
        items = [self._version(r, asset, profiles.get(r.version)) for r in rows]
        return DataVersionPage(items=items, next_cursor=nxt)

    def version(self, name: str, version: int | str) -> DataVersion:
        number = _number(version)
        with self.store.session() as s:
            asset = self._asset_row(s, name)
            row = s.get(DataVersionRow, (name, number))
            if row is None or row.status != READY:
                raise NotFound(f"data asset {name!r} has no version {number}")
            return self._version(row, asset, self._profiles(s, name, [number]).get(number))

    def resolve(self, ref: str | DataRef, include_archived: bool = True) -> DataVersion:
        """``iris``/``data:iris`` (latest not archived), ``iris@2``, ``iris@prod`` -> that version."""
        r = parse_data(ref) if isinstance(ref, str) else ref
        if r.version is not None:
            v = self.version(r.name, r.version)
        elif r.alias and r.alias.lower() != "latest":
            asset = self.get_asset(r.name)
            if r.alias not in asset.aliases:
                known = ", ".join(sorted(asset.aliases)) or "none"
                raise NotFound(f"data asset {r.name!r} has no alias {r.alias!r} (its aliases: {known})")
            v = self.version(r.name, asset.aliases[r.alias])
        else:
            asset = self.get_asset(r.name)
            if asset.latest_version is None:
                raise NotFound(f"data asset {r.name!r} has no version that is not archived")
            v = self.version(r.name, asset.latest_version)
        if v.archived and not include_archived:
            raise Conflict(f"{v.ref} is archived; restore it or use another version")
        return v

    def _asset_row(self, s, name: str) -> DataAssetRow:
        row = s.get(DataAssetRow, name)
        if row is None:
            raise NotFound(f"no data asset named {name!r}")
        return row

    def _profiles(self, s, name: str, versions: list[int]) -> dict[int, tuple[str, str | None]]:
        if not versions:
            return {}
        rows = s.execute(select(DataProfileRow.version, DataProfileRow.status, DataProfileRow.job_id)
                         .where(DataProfileRow.name == name, DataProfileRow.version.in_(versions))).all()
        return {v: (st, job) for v, st, job in rows}

    @staticmethod
    def _asset(row: DataAssetRow, stats: tuple[int | None, int]) -> DataAsset:
        return DataAsset(
            name=row.name, kind=row.kind, description=row.description or "", tags=row.tags or {},
            aliases={k: int(v) for k, v in (row.aliases or {}).items()}, archived=row.archived,
            latest_version=stats[0], version_count=stats[1], created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
        )

    @staticmethod
    def _version(row: DataVersionRow, asset: DataAssetRow, profile: tuple[str, str | None] | None) -> DataVersion:
        aliases = sorted(a for a, v in (asset.aliases or {}).items() if int(v) == row.version)
        return DataVersion(
            name=row.name, version=row.version, ref=f"data:{row.name}@{row.version}", status=row.status, kind=row.kind,
            mode=row.mode, source=row.source, path=row.path, url=sqlmod.redact(row.url), sql=row.sql, format=row.format,
            digest=row.digest, size_bytes=row.size_bytes, file_count=row.file_count, row_count=row.row_count,
            columns=row.columns, description=row.description or "", tags=row.tags or {}, aliases=aliases,
            archived=row.archived, job_id=row.job_id, output_name=row.output_name,
            profile_status=profile[0] if profile else None, profile_job_id=profile[1] if profile else None,
            created_at=as_utc(row.created_at),
        )

    # ---- change ------------------------------------------------------------------------------

    def update_asset(self, name: str, body: DataUpdate) -> DataAsset:
        values: dict[str, Any] = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
        with self.store.session() as s:
            row = self._asset_row(s, name)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
        self._changed(name, _update_action(values))
        return self.get_asset(name)

    def update_version(self, name: str, version: int | str, body: DataUpdate) -> DataVersion:
        """Description, tags and archived: the content and its digest never change."""
        number = _number(version)
        values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
        with self.store.session() as s:
            self._asset_row(s, name)
            row = s.get(DataVersionRow, (name, number))
            if row is None or row.status != READY:
                raise NotFound(f"data asset {name!r} has no version {number}")
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
        self._changed(name, _update_action(values), number)
        return self.version(name, number)

    def archive(self, name: str, version: int | str | None = None, archived: bool = True) -> DataAsset | DataVersion:
        """Hide a version (or the asset) from lists and from ``latest``; its record, content and
        lineage are kept, so jobs and models that name it still resolve it."""
        if version is None:
            return self.update_asset(name, DataUpdate(archived=archived))
        return self.update_version(name, version, DataUpdate(archived=archived))

    def set_alias(self, name: str, alias: str, version: int) -> DataVersion:
        check_alias(alias)
        self.version(name, version)  # 404 for a version that does not exist
        with self.store.session() as s:
            row = self._asset_row(s, name)
            row.aliases = {**(row.aliases or {}), alias: int(version)}
            row.updated_at = utcnow()
        self._changed(name, "alias", int(version), alias=alias)
        return self.version(name, version)

    def delete_alias(self, name: str, alias: str) -> None:
        with self.store.session() as s:
            row = self._asset_row(s, name)
            if alias not in (row.aliases or {}):
                raise NotFound(f"data asset {name!r} has no alias {alias!r}")
            row.aliases = {k: v for k, v in row.aliases.items() if k != alias}
            row.updated_at = utcnow()
        self._changed(name, "alias", alias=alias)

    def changed(self, v: DataVersion) -> str | None:
        """What changed in a ``reference`` version's files since registration (None: nothing):
        a file changed or removed, or, for a folder, a file added."""
        entries = self.manifest(v.name, v.version)
        root = Path(v.path)
        problem = dg.verify(root, entries, single_file=v.kind == "file")
        if problem or v.kind != "folder" or is_glob(v.source):
            return problem
        try:
            _, now, _ = list_files(self.root_dir, str(root))
        except InvalidRequest as exc:
            return exc.message
        added = sorted({rel for _, rel in now} - {e.path for e in entries})
        return f"{root / added[0]} was added" + (f" (and {len(added) - 1} more files)" if len(added) > 1 else "") if added else None

    def live_url(self, name: str, version: int) -> str:
        """The stored URL of a live table (with its password: jobs connect with it)."""
        with self.store.session() as s:
            row = s.get(DataVersionRow, (name, version))
            if row is None or row.mode != "live":
                raise NotFound(f"data:{name}@{version} is not a live table")
            return row.url

    def output_version(self, job_id: str, output_name: str) -> DataVersion | None:
        """The version a job's output was registered as (a new one, or identical content's)."""
        for e in self.lineage_edges.edges_from([Node(JOB, job_id)], relations=["output"]):
            if e.attrs.get("output") == output_name and e.dst_type == DATA_VERSION:
                name, _, number = e.dst_id.rpartition("@")
                return self.version(name, number)
        return None

    # ---- files -------------------------------------------------------------------------------

    def files(self, name: str, version: int | str, limit: int = 1000, cursor: str | None = None) -> DataFilePage:
        v = self.version(name, version)
        if v.mode == "live":
            raise Conflict(f"{v.ref} is a live table: it has no stored files (jobs read the query); register a snapshot to download it")
        entries = self.manifest(name, v.version)
        start = int(decode_cursor(cursor, 1)[0]) if cursor else 0
        chunk = entries[start:start + limit]
        more = start + limit < len(entries)
        return DataFilePage(items=[DataFile(path=e.path, size=e.size, sha256=e.sha256) for e in chunk],
                            next_cursor=encode_cursor(start + limit) if more else None)

    def file_path(self, name: str, version: int | str, rel: str) -> Path:
        """The server path of one of a version's files, refusing a referenced file that changed."""
        v = self.version(name, version)
        if v.mode == "live":
            raise Conflict(f"{v.ref} is a live table: it has no stored files")
        entry = next((e for e in self.manifest(name, v.version) if e.path == rel), None)
        if entry is None:
            raise NotFound(f"{v.ref} has no file {rel!r}; list them with GET .../files")
        root = Path(v.path)
        if v.mode == "reference":
            problem = dg.verify(root, [entry], single_file=v.kind == "file")
            if problem:
                raise Conflict(f"{v.ref} no longer matches its digest: {problem}")
        return root if v.kind == "file" else root / entry.path

    # ---- profile -----------------------------------------------------------------------------

    def _check_profile_target(self, target: str) -> None:
        from .inputs import shares_filesystem

        try:
            row = self.jobs.targets.row(target)
        except NotFound:
            raise InvalidRequest(f"profile target {target!r} is not a compute target; pick one of the targets (e.g. local)") from None
        if not shares_filesystem(row):
            raise InvalidRequest(f"profile target {target!r} does not share this server's filesystem, where the profile is written; pick local or a managed ray target")

    def start_profile(self, name: str, version: int | str, target: str = "local") -> DataProfile:
        """Submit the profile job (an ordinary command job reading the version as its input)."""
        from ..jobs.schemas import CommandJobSpec

        v = self.version(name, version)
        self._check_profile_target(target)
        fmt = f" --format {v.format}" if v.format in ("csv", "parquet", "jsonl", "images") else ""
        spec = CommandJobSpec(
            command=f'python -m jupyter_mlservice.core.data.profile "${{{{inputs.data}}}}"{fmt} --out "$MLSERVICE_OUTPUT_DIR/profile.json"',
            inputs={"data": v.ref},
            target=target,
            experiment=PROFILE_EXPERIMENT,
            display_name=f"profile {name}@{v.version}",
            tags={TAG_PROFILE: f"{name}@{v.version}"},
        )
        job = self.jobs.submit(spec)
        with self.store.session() as s:
            row = s.get(DataProfileRow, (name, v.version))
            if row is None:
                s.add(DataProfileRow(name=name, version=v.version, status="Queued", job_id=job.id, updated_at=utcnow()))
            else:
                row.status, row.job_id, row.error, row.updated_at = "Queued", job.id, None, utcnow()
        self._changed(name, "profile", v.version, status="Queued")
        return self.profile(name, v.version)

    def profile(self, name: str, version: int | str) -> DataProfile:
        v = self.version(name, version)
        with self.store.session() as s:
            row = s.get(DataProfileRow, (name, v.version))
            if row is None:
                raise NotFound(f"{v.ref} has no profile; compute one with POST .../profile (ml.data.profile(..., compute=True))")
            return DataProfile(name=name, version=v.version, status=row.status, job_id=row.job_id, error=row.error,
                               profile=row.profile, updated_at=as_utc(row.updated_at))

    def collect_profiles(self) -> int:
        """Store the result of every profile job that ended; returns how many were settled."""
        with self.store.session() as s:
            pending = list(s.execute(select(DataProfileRow.name, DataProfileRow.version, DataProfileRow.job_id)
                                     .where(DataProfileRow.status == "Queued")).all())
        settled = 0
        for name, version, job_id in pending:
            try:
                job = self.jobs.get(job_id)
            except NotFound:
                self._set_profile(name, version, job_id, "Failed", error=f"the profile job {job_id} no longer exists")
                settled += 1
                continue
            if not job.status.is_terminal:
                continue
            if job.status.value != "Completed":
                self._set_profile(name, version, job_id, "Failed", error=f"the profile job {job_id} {job.status.value}: {job.error}")
            else:
                path = self.jobs.job_dir(job_id) / "outputs" / "profile.json"
                try:
                    result = json.loads(path.read_text())
                except (OSError, ValueError) as exc:
                    self._set_profile(name, version, job_id, "Failed", error=f"the profile job wrote no readable profile.json ({exc})")
                else:
                    self._set_profile(name, version, job_id, "Ready", profile=result)
            settled += 1
        return settled

    def _set_profile(self, name: str, version: int, job_id: str, status: str, error: str | None = None, profile: dict | None = None) -> None:
        with self.store.session() as s:
            # only the latest job's answer counts (a profile asked for again replaces it)
            s.execute(update(DataProfileRow).where(DataProfileRow.name == name, DataProfileRow.version == version,
                                                   DataProfileRow.job_id == job_id)
                      .values(status=status, error=error, profile=profile, updated_at=utcnow()))
            if profile and profile.get("rows") is not None:  # in the same transaction: Ready implies a row count
                s.execute(update(DataVersionRow).where(DataVersionRow.name == name, DataVersionRow.version == version,
                                                       DataVersionRow.row_count.is_(None)).values(row_count=profile["rows"]))
        self._changed(name, "profile", version, status=status)

    def _changed(self, name: str, action: str, version: int | None = None, alias: str | None = None, status: str | None = None) -> None:
        """A `data` event, after the row update: names, numbers and states only (never a URL)."""
        self.events.emit("data", {"name": name, "version": version, "action": action, "alias": alias, "status": status})

    # ---- lineage -----------------------------------------------------------------------------

    def lineage(self, ref: str) -> DataLineage:
        """Downstream: jobs that read this version, model versions registered from them,
        deployments serving those, data those jobs wrote. Upstream: the job that wrote it, and
        that job's inputs."""
        v = self.resolve(ref)
        node = Node(DATA_VERSION, f"{v.name}@{v.version}")
        down = self.lineage_edges.graph(node, "downstream", depth=8, relations=("input", "output", "registered", "deployed"))
        up = self.lineage_edges.graph(node, "upstream", depth=2, relations=("input", "output"))
        readers = {e.dst_id for e in down.edges if (e.src_type, e.src_id, e.relation) == (DATA_VERSION, node.id, "input")}
        return DataLineage(
            version=v,
            produced_by=up.nodes[1:],
            jobs=[n for n in down.nodes if n.type == JOB and n.id in readers],
            models=[n for n in down.nodes if n.type == MODEL_VERSION],
            deployments=[n for n in down.nodes if n.type == DEPLOYMENT],
            derived_data=[n for n in down.nodes[1:] if n.type == DATA_VERSION],
            graph=self.lineage_edges.graph(node, "both", depth=8),
        )

    def _describe_versions(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        keys = []
        for i in ids:
            name, _, number = i.rpartition("@")
            if number.isdigit():
                keys.append((name, int(number), i))
        out: dict[str, dict[str, Any]] = {}
        with self.store.session() as s:
            for name, number, i in keys:
                row = s.get(DataVersionRow, (name, number))
                if row is not None and row.status == READY:
                    out[i] = {"name": name, "version": number, "ref": f"data:{name}@{number}", "kind": row.kind,
                              "digest": row.digest, "archived": row.archived, "mode": row.mode}
        return out


def _number(version: int | str) -> int:
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise InvalidRequest(f"version must be a number, got {version!r} (resolve an alias with data:NAME@ALIAS)") from None
    if number < 1:
        raise InvalidRequest("version must be 1 or more")
    return number


def _update_action(values: dict[str, Any]) -> str:
    """``archived``/``restored`` when that is the change, else ``updated``."""
    if set(values) == {"archived"}:
        return "archived" if values["archived"] else "restored"
    return "updated"
