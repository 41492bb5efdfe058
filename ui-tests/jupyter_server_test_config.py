"""Server for the Galata UI tests: a real JupyterLab with jupyter_mlservice, in a temp root.

Started by Playwright's webServer (playwright.config.js); port and token come from the
environment it sets. Listens on 127.0.0.1 only, with token auth.
"""

import os
import shutil
from pathlib import Path
from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821  (galata helper extension, app exposed, temp workspaces)

root = Path(mkdtemp(prefix="mlservice-ui-"))
shutil.copy(Path(__file__).parent / "notebooks" / "train.ipynb", root / "train.ipynb")

c.ServerApp.root_dir = str(root)  # noqa: F821
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port = int(os.environ.get("MLSERVICE_UI_PORT", "18765"))  # noqa: F821
c.ServerApp.port_retries = 0  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.open_browser = False  # noqa: F821
c.IdentityProvider.token = os.environ.get("MLSERVICE_UI_TOKEN", "mlservice-ui-tests-token")  # noqa: F821
c.ServerApp.disable_check_xsrf = False  # noqa: F821
# No announcements/news fetches from the browser or the server.
c.LabApp.news_url = None  # noqa: F821
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"  # noqa: F821
