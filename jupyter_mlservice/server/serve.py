"""`mlservice serve`: the Jupyter server with this extension, no browser, clean exit on signals."""

from __future__ import annotations

import secrets
import signal
import sys

from jupyter_server.serverapp import ServerApp


class _ServeApp(ServerApp):
    name = "mlservice-serve"

    def init_signal(self) -> None:
        # No interactive "shut down? (y/n)" on SIGINT: both signals stop the server, which shuts
        # down its kernels and this extension (jobs keep running and are re-attached later).
        signal.signal(signal.SIGINT, self._signal_stop)
        signal.signal(signal.SIGTERM, self._signal_stop)

    #: print the token in the URL: only when it was made up here (the user has no other way to
    #: learn it); a token the user chose stays out of the output, which often ends up in a log
    show_token = False

    async def _post_start(self) -> None:
        await super()._post_start()
        token = self.identity_provider.token if self.show_token else "<your token>"
        print(f"mlservice: serving {self.root_dir} at {self.connection_url}?token={token}", flush=True)


def serve(root: str, port: int, token: str | None, ip: str = "127.0.0.1", extra: list[str] | None = None) -> int:
    _ServeApp.show_token = token is None
    token = token if token is not None else secrets.token_hex(24)
    argv = [
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.ip={ip}",
        "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",
        f"--IdentityProvider.token={token}",
        "--ServerApp.jpserver_extensions={'jupyter_mlservice': True}",
        *(extra or []),
    ]
    app = _ServeApp.instance()
    app.initialize(argv)
    app.start()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1], int(sys.argv[2]), None))
