"""Endpoint keys at rest: in files only the server user can read, never in the store.

The store (``endpoints.primary_key`` / ``secondary_key``) keeps a fingerprint
(``sha256:<hex>``), which tells which key is current without being one; the keys themselves live
in ``<workspace>/secrets/endpoints/<name>.json`` (folder 0700, file 0600), where the endpoint
service reads them to configure the scoring processes and to answer the keys route. A shared
PostgreSQL store, its backups and whoever can read them never see a key.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

FINGERPRINT = "sha256:"


def fingerprint(key: str | None) -> str | None:
    """``fingerprint("k")`` -> ``"sha256:…"``; None stays None (auth_mode none)."""
    return None if key is None else FINGERPRINT + hashlib.sha256(key.encode()).hexdigest()


def is_fingerprint(value: str | None) -> bool:
    return value is None or value.startswith(FINGERPRINT)


class KeyFiles:
    """``keys.put("iris", primary, secondary)``; ``keys.get("iris")`` -> ``(primary, secondary)``."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, endpoint: str) -> Path:
        if not endpoint or "/" in endpoint or endpoint.startswith("."):
            raise ValueError(f"not an endpoint name: {endpoint!r}")
        return self.folder / f"{endpoint}.json"

    def put(self, endpoint: str, primary: str | None, secondary: str | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        path = self._path(endpoint)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"primary": primary, "secondary": secondary}, f)
        os.replace(tmp, path)

    def get(self, endpoint: str) -> tuple[str | None, str | None]:
        try:
            data = json.loads(self._path(endpoint).read_text())
        except FileNotFoundError:
            return None, None
        return data.get("primary"), data.get("secondary")

    def delete(self, endpoint: str) -> None:
        self._path(endpoint).unlink(missing_ok=True)
