"""`ml.data`: data assets — named, versioned, immutable data that jobs take as inputs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import InvalidRequest
from .http import Collection, Handle
from .jobs import _server_path


def _q(name: str) -> str:
    return quote(name, safe="")


class DataVersion(Handle):
    """One version: ``v.ref`` (``data:iris@2``), ``v.digest``, ``v.path``, ``v.columns``, ``v.aliases``..."""

    _PATH = "/data/{name}/versions/{version}"
    _SHOWN = ("ref", "kind", "mode", "digest")

    def profile(self, wait: bool = True, timeout: float = 600) -> dict[str, Any] | None:
        """The profile dict (rows, columns, sample), waiting for its job. ``v.profile()["rows"]``"""
        return Data(self._http).profile(self.ref, wait=wait, timeout=timeout).get("profile")

    def lineage(self) -> dict[str, Any]:
        """Jobs, models and deployments made from this version. ``v.lineage()["models"]``"""
        return Data(self._http).lineage(self.ref)

    def download(self, dest: str | os.PathLike = ".") -> Path:
        """``v.download("local/")``"""
        return Data(self._http).download(self.ref, dest)


class Data(Collection):
    def create(
        self,
        name: str,
        path: str | os.PathLike | None = None,
        *,
        sql: str | None = None,
        table: str | None = None,
        url: str | None = None,
        kind: str | None = None,
        mode: str | None = None,
        description: str = "",
        tags: dict[str, str] | None = None,
        force: bool = False,
        profile: bool = True,
        profile_target: str = "local",
    ) -> DataVersion:
        """Register a new version (v1, v2...) of a file, a folder, a glob or a SQL table.

        ``ml.data.create(name="iris", path="data/iris.csv", description="...")``
        ``ml.data.create(name="sales", sql="select * from sales", url="postgresql+psycopg://...")``
        Identical content returns the existing version (``v.deduplicated``) unless ``force=True``.
        """
        body: dict[str, Any] = {
            "name": name, "sql": sql, "table": table, "url": url, "kind": kind, "mode": mode,
            "description": description, "tags": tags or {}, "force": force, "profile": profile,
            "profile_target": profile_target,
        }
        if path is not None:
            text = os.fspath(path)
            body["path"] = text if any(c in text for c in "*?[") else _server_path(text)
        # copying and hashing gigabytes takes a while: the request waits for it
        data = self._http.post("/data", {k: v for k, v in body.items() if v is not None}, timeout=max(self._http.timeout, 6 * 3600))
        return DataVersion(self._http, data)

    def get(self, ref: str) -> DataVersion:
        """``ml.data.get("iris")`` (latest), ``ml.data.get("iris@2")``, ``ml.data.get("iris@prod")``"""
        return DataVersion(self._http, self._http.get("/data/resolve", params={"ref": ref}))

    def list(self, include_archived: bool = False, prefix: str | None = None) -> list[dict[str, Any]]:
        """Assets by name. ``[a["name"] for a in ml.data.list()]``"""
        return self._http.paginate("/data", {"include_archived": str(include_archived).lower(), "prefix": prefix}, None)

    def asset(self, name: str) -> dict[str, Any]:
        """An asset with its aliases and latest version. ``ml.data.asset("iris")["aliases"]``"""
        return self._http.get(f"/data/{_q(name)}")

    def versions(self, name: str, include_archived: bool = True) -> list[DataVersion]:
        """Newest first. ``ml.data.versions("iris")[0].version``"""
        items = self._http.paginate(f"/data/{_q(name)}/versions", {"include_archived": str(include_archived).lower()}, None)
        return [DataVersion(self._http, d) for d in items]

    def set_alias(self, name: str, alias: str, version: int) -> DataVersion:
        """``ml.data.set_alias("iris", "prod", 2)``; then ``data:iris@prod`` is version 2."""
        return DataVersion(self._http, self._http.request("PUT", f"/data/{_q(name)}/aliases/{_q(alias)}", json={"version": int(version)}))

    def delete_alias(self, name: str, alias: str) -> None:
        """``ml.data.delete_alias("iris", "prod")``"""
        self._http.delete(f"/data/{_q(name)}/aliases/{_q(alias)}")

    def update(self, name: str, version: int | None = None, *, description: str | None = None, tags: dict[str, str] | None = None):
        """Describe or tag an asset, or one version. ``ml.data.update("iris", 2, tags={"checked": "yes"})``"""
        body = {k: v for k, v in {"description": description, "tags": tags}.items() if v is not None}
        if version is None:
            return self._http.patch(f"/data/{_q(name)}", body)
        return DataVersion(self._http, self._http.patch(f"/data/{_q(name)}/versions/{int(version)}", body))

    def archive(self, name: str, version: int | None = None):
        """Hide a version (or the whole asset) from lists and from "latest"; its record, content
        and lineage stay. ``ml.data.archive("iris", 1)``"""
        return self._set_archived(name, version, True)

    def restore(self, name: str, version: int | None = None):
        """Undo archive. ``ml.data.restore("iris", 1)``"""
        return self._set_archived(name, version, False)

    def _set_archived(self, name: str, version: int | None, archived: bool):
        if version is None:
            return self._http.patch(f"/data/{_q(name)}", {"archived": archived})
        return DataVersion(self._http, self._http.patch(f"/data/{_q(name)}/versions/{int(version)}", {"archived": archived}))

    def profile(self, ref: str, wait: bool = True, timeout: float = 600, compute: bool = False, target: str = "local") -> dict[str, Any]:
        """The profile of a version and its status (``Queued``, ``Ready``, ``Failed``), waiting
        for the profile job by default; ``compute=True`` runs it again on ``target``.
        ``ml.data.profile("iris@2")["profile"]["columns"][0]["mean"]``"""
        v = self.get(ref)
        path = f"/data/{_q(v.name)}/versions/{v.version}/profile"
        out = self._http.post(path, {"target": target}) if compute else self._http.get(path)
        deadline = time.monotonic() + timeout
        while wait and out["status"] == "Queued":
            if time.monotonic() > deadline:
                raise TimeoutError(f"the profile of {v.ref} is still being computed (job {out['job_id']}) after {timeout} s")
            time.sleep(0.5)
            out = self._http.get(path)
        return out

    def lineage(self, ref: str) -> dict[str, Any]:
        """Downstream (jobs that read it, models, deployments, data they wrote) and upstream (the
        job that wrote it). ``[m["id"] for m in ml.data.lineage("iris@2")["models"]]``"""
        v = self.get(ref)
        return self._http.get(f"/data/{_q(v.name)}/versions/{v.version}/lineage")

    def files(self, ref: str) -> list[dict[str, Any]]:
        """Each file with its size and sha256. ``ml.data.files("images@1")[0]["path"]``"""
        v = self.get(ref)
        return self._http.paginate(f"/data/{_q(v.name)}/versions/{v.version}/files", {}, None)

    def download(self, ref: str, dest: str | os.PathLike = ".") -> Path:
        """Copy a version's content into ``dest`` (a folder); returns the file or folder written.
        ``ml.data.download("iris@2", "local/")``"""
        v = self.get(ref)
        if v.mode == "live":
            raise InvalidRequest(f"{v.ref} is a live table: its rows are read by each job; register a snapshot to download it")
        out = Path(dest)
        out.mkdir(parents=True, exist_ok=True)
        base = f"/data/{_q(v.name)}/versions/{v.version}/files"
        files = self._http.paginate(base, {}, None)
        for f in files:
            target = out / f["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            self._http.download(base + "/download", target, params={"path": f["path"]}, timeout=max(self._http.timeout, 3600))
        if v.kind == "folder":
            return out
        return out / files[0]["path"]
