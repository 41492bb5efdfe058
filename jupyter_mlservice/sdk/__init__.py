"""The Python SDK: `MLService()` talks to a running jupyter-mlservice server over REST."""

from .client import MLService, ServerNotFound
from .jobs import Job

__all__ = ["Job", "MLService", "ServerNotFound"]
