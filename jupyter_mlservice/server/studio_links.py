"""Deep links into the ML Studio: ``/lab/mlservice/<area>/<id>`` serves JupyterLab itself.

JupyterLab answers an unknown ``/lab/...`` path with its page plus a "Path Not Found" dialog that
sends the browser back to ``/lab``; a studio link (``/lab/mlservice/jobs/<id>``, printed by
``mlservice ... --open``, used by notifications and the run widget) must instead load the page
as it is, so that the frontend's router opens the studio on that entity (src/studio/links.ts).
"""

from __future__ import annotations

from typing import Any

from jupyterlab_server.handlers import LabHandler

# The same workspace part JupyterLab's own page pattern has (`/lab/workspaces/<name>/...`).
LINK_PATTERN = r"/(?P<mode>lab)(?P<workspace>/workspaces/[a-zA-Z0-9\-\_]+)?/mlservice(?:/.*)?"


class StudioLinkHandler(LabHandler):
    """JupyterLab's page (the ``lab`` extension's handler and settings) for a studio link."""

    def initialize(self, name: str = "lab", *args: Any, **kwargs: Any) -> None:
        # Registered by this extension, but the page, its templates and its config are the lab's.
        super().initialize("lab", *args, **kwargs)

    def get(self, mode: str | None = None, workspace: str | None = None, tree: str | None = None) -> None:
        return super().get(mode, workspace, None)


def handlers(serverapp: Any) -> list[tuple[str, type]]:
    """The link route, when JupyterLab's page is served at all (`mlservice serve` alone has none)."""
    apps = serverapp.extension_manager.extension_apps.values()
    if not any(app.name == "lab" for linked in apps for app in linked):
        return []
    return [(LINK_PATTERN, StudioLinkHandler)]
