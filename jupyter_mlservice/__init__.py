"""jupyter-mlservice: a notebook-first managed ML service inside JupyterLab."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0+unknown"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyter_mlservice"}]


def _jupyter_server_extension_points():
    from .server.app import MLServiceApp

    return [{"module": "jupyter_mlservice", "app": MLServiceApp}]


def load_ipython_extension(ipython):
    from .magics import load_ipython_extension as _load

    _load(ipython)


def __getattr__(name):
    # The SDK is imported lazily so that the server extension does not pay for it.
    if name == "MLService":
        from .sdk import MLService

        return MLService
    raise AttributeError(name)
