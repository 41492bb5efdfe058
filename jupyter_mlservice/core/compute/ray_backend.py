"""Registers the `ray` compute backend, which lives in ``ray/``: ``backend.py`` (the
ComputeBackend), ``client.py`` (the Ray Jobs API), ``watcher.py`` (the job watcher),
``settings.py``, ``head.py`` (the managed head) and ``multinode.py``."""

from .ray.backend import RayBackend, RaySettings

__all__ = ["RayBackend", "RaySettings"]
