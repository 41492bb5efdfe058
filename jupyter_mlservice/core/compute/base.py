"""The compute backend contract. Jobs only speak this interface, never to processes directly."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ValidationError

from ..errors import InvalidRequest

# type name -> backend class; extended by config (MLServiceApp.backend_classes) and plugins.
BACKENDS: dict[str, type["ComputeBackend"]] = {}


def register_backend(cls: type["ComputeBackend"]) -> type["ComputeBackend"]:
    BACKENDS[cls.type] = cls
    return cls


@dataclass
class LaunchSpec:
    """Everything a backend needs to start one attempt of a job."""

    job_id: str
    attempt: int
    argv: list[str]
    cwd: Path  # the code snapshot; a remote backend ships it as the working dir
    env: dict[str, str]  # variables to add on top of the backend's own environment
    log_path: Path  # stdout+stderr go here, appended, readable while running
    job_dir: Path
    resources: dict[str, Any] = field(default_factory=dict)
    instance_count: int = 1  # > 1: a multi-node run (backends that cannot, refuse in check_job)


@dataclass
class Observation:
    """What a backend sees of a launched attempt."""

    state: Literal["pending", "running", "exited", "lost"]
    exit_code: int | None = None
    reason: str | None = None


class ComputeBackend(abc.ABC):
    """One instance per backend type, shared by all targets of that type.

    ``handle`` values are plain JSON dicts stored on the job row, so that after a restart the
    backend can find the attempt again (``observe`` must work on a handle from a previous
    server process).
    """

    type: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]
    # True when the backend's processes may run on other machines: a job in an environment then
    # carries the environment's lock and builds it where it runs (environments/usage.py, enter.py).
    ships_environments: ClassVar[bool] = False

    def __init__(self, workspace_dir: Path, notify: Callable[[], None] = lambda: None):
        self.workspace_dir = workspace_dir
        # Call when something changed (a process exited) so the controller looks at once.
        self.notify = notify

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.Settings.model_validate(settings).model_dump(mode="json")
        except ValidationError as exc:
            problems = "; ".join(
                f"settings.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidRequest(f"invalid settings for a {self.type} target: {problems}") from exc

    def capacity(self, settings: dict[str, Any]) -> int | None:
        """Jobs that may be started at once on a target; None: the backend queues them itself."""
        return None

    def target_status(self, name: str, settings: dict[str, Any]) -> dict[str, Any]:
        return {}

    def target_created(self, name: str, settings: dict[str, Any]) -> None:
        """Bring up what the target needs (e.g. a managed cluster head)."""

    def target_deleted(self, name: str, settings: dict[str, Any]) -> None:
        """Tear down what target_created started."""

    def check_job(self, settings: dict[str, Any], spec: dict[str, Any]) -> None:
        """Reject at submit time a job this target can never run (raise InvalidRequest)."""

    @abc.abstractmethod
    def launch(self, target: str, settings: dict[str, Any], spec: LaunchSpec) -> dict[str, Any]:
        """Start the attempt; return its handle. Must not block for long."""

    @abc.abstractmethod
    def observe(self, handle: dict[str, Any]) -> Observation:
        """Look at an attempt, possibly one launched by an earlier server process."""

    @abc.abstractmethod
    def cancel(self, handle: dict[str, Any]) -> None:
        """Stop the attempt and everything it started. Idempotent."""

    def release(self, handle: dict[str, Any]) -> None:
        """The attempt ended and was recorded; drop what is kept about it."""

    def shutdown(self) -> None:
        """The server is stopping. Jobs keep running; they are re-attached after restart."""
