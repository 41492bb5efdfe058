"""`ml.targets`: compute targets."""

from __future__ import annotations

from typing import Any

from .http import Collection


class Targets(Collection):
    def list(self) -> list[dict[str, Any]]:
        """All compute targets. ``[t["name"] for t in ml.targets.list()]``"""
        return self._http.paginate("/targets", {}, None)

    def get(self, name: str) -> dict[str, Any]:
        """One target with its running/queued counts. ``ml.targets.get("local")["capacity"]``"""
        return self._http.get(f"/targets/{name}")

    def create(self, name: str, type: str = "local", description: str = "", **settings: Any) -> dict[str, Any]:
        """Create a target; keyword arguments are its settings.

        ``ml.targets.create(name="small", type="local", max_concurrency=1)``
        """
        return self._http.post("/targets", {"name": name, "type": type, "description": description, "settings": settings})

    def update(self, name: str, description: str | None = None, **settings: Any) -> dict[str, Any]:
        """Change a target's settings. ``ml.targets.update("small", max_concurrency=2)``"""
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if settings:
            body["settings"] = settings
        return self._http.patch(f"/targets/{name}", body)

    def delete(self, name: str) -> None:
        """Delete a target (refused while it has queued or running jobs). ``ml.targets.delete("small")``"""
        self._http.delete(f"/targets/{name}")
