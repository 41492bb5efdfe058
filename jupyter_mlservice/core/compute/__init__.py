"""Compute backends: where a job's process actually runs."""

from .base import BACKENDS, ComputeBackend, LaunchSpec, Observation, register_backend

__all__ = ["BACKENDS", "ComputeBackend", "LaunchSpec", "Observation", "register_backend"]
