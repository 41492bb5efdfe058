"""`mlservice serve`: run the server (no browser)."""

from __future__ import annotations


def cmd_serve(args) -> int:
    from ..server.serve import serve

    return serve(root=args.root, port=args.port, token=args.token, ip=args.ip, extra=args.passed_on)


def _jupyter_option(arg: str) -> bool:
    # Anything like --ServerApp.x=y or --MLServiceApp.tracking_uri=... is passed on to Jupyter.
    return arg.startswith("--") and "." in arg.split("=")[0]


def register(sub) -> None:
    s = sub.add_parser("serve", help="run the server (no browser)")
    s.add_argument("--root", default=".", help="root folder of the workspace")
    s.add_argument("--port", type=int, default=8888)
    s.add_argument("--ip", default="127.0.0.1")
    s.add_argument("--token", default=None, help="auth token (default: a random one, printed)")
    s.set_defaults(func=cmd_serve, passes_on=_jupyter_option)
