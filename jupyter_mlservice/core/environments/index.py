"""What the package index says about releases: whether a name exists and when a release came out.

Read from the index's simple API in its JSON form (PEP 691), whose files carry ``upload-time``
(PEP 700); PyPI serves it. An index that gives no upload times answers None, and the resolver says
so in the build log.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import datetime, timezone

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

DEFAULT_INDEX = "https://pypi.org/simple"
ACCEPT = "application/vnd.pypi.simple.v1+json"


def index_url() -> str:
    return (os.environ.get("UV_INDEX_URL") or os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("PIP_INDEX_URL")
            or DEFAULT_INDEX).rstrip("/")


class Index:
    def __init__(self, url: str | None = None, timeout: float = 30):
        self.url = (url or index_url()).rstrip("/")
        self.timeout = timeout
        self._pages: dict[str, dict | None] = {}

    def project(self, name: str) -> dict | None:
        """The project's JSON page, or None when the index has no such project."""
        key = canonicalize_name(name)
        if key not in self._pages:
            req = urllib.request.Request(f"{self.url}/{key}/", headers={"Accept": ACCEPT})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    self._pages[key] = json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    self._pages[key] = None
                else:
                    raise
        return self._pages[key]

    def exists(self, name: str) -> bool:
        return self.project(name) is not None

    def release_date(self, name: str, version: str) -> datetime | None:
        """When ``name==version`` was published (its first file's upload time), or None if unknown."""
        page = self.project(name)
        if not page:
            return None
        try:
            wanted = Version(version)
        except InvalidVersion:
            return None
        times = []
        for f in page.get("files", []):
            uploaded = f.get("upload-time")
            if not uploaded or _version_of(f.get("filename", ""), page.get("name", name)) != wanted:
                continue
            times.append(datetime.fromisoformat(uploaded.replace("Z", "+00:00")))
        return min(times) if times else None


def _version_of(filename: str, project: str) -> Version | None:
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        pass
    stem = filename
    prefix = canonicalize_name(project)
    for ext in (".tar.gz", ".tar.bz2", ".zip", ".egg"):
        stem = stem.removesuffix(ext)
    parts = stem.split("-")
    for i in range(1, len(parts)):
        if canonicalize_name("-".join(parts[:i])) == prefix:
            try:
                return Version(parts[i])
            except InvalidVersion:
                return None
    return None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
