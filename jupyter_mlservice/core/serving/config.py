"""What an endpoint should serve: the config a supervisor reads from ``config.json``.

The lead's service layer builds an :class:`EndpointConfig` from the workspace store and hands it
to :class:`~jupyter_mlservice.core.serving.process.EndpointProcess`; the supervisor and every
worker read the same JSON, so this module is the whole contract between them.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..schemas import ENDPOINT_NAME_PATTERN
DEPLOYMENT_HEADER = "mlservice-deployment"


def routing_digest(data: bytes) -> str:
    """What a worker reports for the frozen config it serves, so the supervisor sees it taken."""
    import hashlib

    return hashlib.sha256(data).hexdigest()[:16]


def child_env(extra: dict[str, str] | None = None, python: str | None = None) -> dict[str, str]:
    """Environment for supervisor/worker processes: they import this same copy of the package
    (a worker in an environment: through the environment cache's runtime folder, without the
    server's other packages)."""
    import os

    root = str(Path(__file__).resolve().parents[3])
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
    if python:
        from ..environments.cache import activate_python

        env = activate_python(python, env)
    return {**env, **(extra or {})}


THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS")  # fmt: skip
MAX_MIRROR_PERCENT = 50  # share of requests an endpoint may copy to mirror deployments, in total
# endpoint fields that running workers take in place (no new generation): see supervisor._reroute
ROUTING_FIELDS = ("auth_mode", "primary_key", "secondary_key", "traffic", "mirror_traffic", "max_request_bytes")


class RequestSettings(BaseModel):
    """Per-deployment limits, each enforced in every worker process."""

    model_config = ConfigDict(extra="forbid")

    request_timeout_ms: int = Field(
        default=5000, ge=1, le=600_000, description="A request still unanswered after this gets 504."
    )
    max_concurrent_requests: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="Requests scored at once per worker; more wait in a queue (up to max_queue_wait_ms).",
    )
    max_queue_wait_ms: int = Field(
        default=500, ge=0, le=600_000, description="A request that waited longer than this for a slot gets 429."
    )
    max_batch_size: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="Concurrent MLflow requests merged into one predict call (rows); 1 turns batching off.",
    )


class CollectConfig(BaseModel):
    """What a deployment records of the requests it answers, and where (core/monitoring/collection.py)."""

    model_config = ConfigDict(extra="forbid")

    folder: str = Field(description="The endpoint's collection folder (<workspace>/monitoring/collected/<endpoint>).")
    inputs: bool = True
    outputs: bool = True
    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
class BatchingSettings(BaseModel):
    """Dynamic batching of tensor requests (see serving/batching.py)."""

    model_config = ConfigDict(extra="forbid")

    max_batch_size: int = Field(default=32, ge=1, le=4096, description="Rows scored in one forward pass at most.")
    max_delay_ms: float = Field(
        default=5, ge=0, le=1000, description="How long the first request of a batch waits for others to join it."
    )


class DeploymentConfig(BaseModel):
    """One model (and optionally a scoring script) behind an endpoint."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str = Field(pattern=ENDPOINT_NAME_PATTERN)
    model_path: str = Field(description="Local folder with the model files (an MLflow model for no-code deployments).")
    model_name: str | None = Field(default=None, description="Registry name, shown in OIP v2 metadata.")
    model_version: str | None = None
    scoring_script: str | None = Field(
        default=None,
        description="Azure ML style script with init()/run(); relative paths are resolved against code_dir.",
    )
    code_dir: str | None = Field(default=None, description="Folder put on sys.path while the script is imported.")
    replicas: int = Field(default=1, ge=1, le=32, description="Worker processes serving this deployment.")
    request_settings: RequestSettings = Field(default_factory=RequestSettings)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    collect: CollectConfig | None = None
    azureml_model_dir: str | None = Field(
        default=None, description="AZUREML_MODEL_DIR for scripts (Azure's layout, see model_dir.py); default: model_path."
    )
    return_script_errors: bool = Field(
        default=False, description="Answer a scoring script's exception message (it is logged either way), as Azure's server can."
    )
    python: str | None = Field(
        default=None, description="Interpreter of the deployment's environment (built by the environment cache); None: the server's."
    )
    batching: BatchingSettings | None = Field(default=None, description="Group concurrent tensor requests into one forward pass.")
    gpus: list[str] = Field(default_factory=list, description="GPU ids given to this deployment (CUDA_VISIBLE_DEVICES of its workers).")

    @model_validator(mode="after")
    def _script_needs_a_file(self) -> DeploymentConfig:
        if self.code_dir and not self.scoring_script:
            raise ValueError("code_dir is set but scoring_script is not; name the script inside code_dir")
        return self

    def script_path(self) -> Path | None:
        if not self.scoring_script:
            return None
        path = Path(self.scoring_script)
        if not path.is_absolute() and self.code_dir:
            path = Path(self.code_dir) / path
        return path


class EndpointConfig(BaseModel):
    """An endpoint: one stable scoring URI, its auth, its deployments and how traffic splits."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=ENDPOINT_NAME_PATTERN)
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port on first start; kept after.")
    auth_mode: Literal["key", "none"] = "key"
    primary_key: str | None = None
    secondary_key: str | None = None
    deployments: list[DeploymentConfig] = Field(min_length=1)
    traffic: dict[str, int] = Field(
        default_factory=dict,
        description="Percent of live traffic per deployment; sums to 100 (or 0: only header-targeted calls work). "
        "Empty with a single deployment means 100 to it.",
    )
    mirror_traffic: dict[str, int] = Field(
        default_factory=dict, description="Percent of requests copied to a deployment; its answers are dropped."
    )
    max_request_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, le=1024**3)

    @field_validator("deployments")
    @classmethod
    def _unique_names(cls, deployments: list[DeploymentConfig]) -> list[DeploymentConfig]:
        names = [d.name for d in deployments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"deployment names must be unique; repeated: {', '.join(dupes)}")
        return deployments

    @model_validator(mode="after")
    def _check_traffic(self) -> EndpointConfig:
        names = {d.name for d in self.deployments}
        if not self.traffic and len(self.deployments) == 1:
            self.traffic = {self.deployments[0].name: 100}
        for label, table in (("traffic", self.traffic), ("mirror_traffic", self.mirror_traffic)):
            unknown = sorted(set(table) - names)
            if unknown:
                raise ValueError(f"{label} names unknown deployment(s): {', '.join(unknown)}")
            bad = {k: v for k, v in table.items() if not 0 <= v <= 100}
            if bad:
                raise ValueError(f"{label} percentages must be between 0 and 100; got {bad}")
        total = sum(self.traffic.values())
        if total not in (0, 100):
            raise ValueError(f"traffic must add up to 100 (or 0); it adds up to {total}")
        if sum(self.mirror_traffic.values()) > MAX_MIRROR_PERCENT:
            raise ValueError(f"mirror_traffic may copy at most {MAX_MIRROR_PERCENT}% of requests in total")
        both = sorted(n for n, p in self.mirror_traffic.items() if p and self.traffic.get(n))
        if both:
            raise ValueError(f"a deployment takes live traffic or mirror traffic, not both: {', '.join(both)}")
        if self.auth_mode == "key" and (not self.primary_key or not self.secondary_key):
            # Keys are generated once and then kept in config.json, so the URI and keys survive restarts.
            self.primary_key = self.primary_key or secrets.token_urlsafe(32)
            self.secondary_key = self.secondary_key or secrets.token_urlsafe(32)
        return self

    def routing_only(self, other: EndpointConfig) -> bool:
        """``other`` differs from this config only in what running workers can take in place
        (keys, traffic split, mirrors, request size): same deployments, same worker groups."""
        routed = self.model_copy(update={f: getattr(other, f) for f in ROUTING_FIELDS})
        return routed == other and self.groups() == other.groups()

    def worker_env(self) -> dict[str, str]:
        """Process environment of the workers: thread settings that libraries read once at import
        (the first deployment that sets one wins: the workers host every deployment) and the GPUs
        of all deployments, in order (``CUDA_VISIBLE_DEVICES``)."""
        env: dict[str, str] = {}
        for d in self.deployments:
            for key in THREAD_VARIABLES:
                if key in d.environment_variables:
                    env.setdefault(key, d.environment_variables[key])
        if self.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(self.gpus)
        return env

    @property
    def gpus(self) -> list[str]:
        return list(dict.fromkeys(g for d in self.deployments for g in d.gpus))

    def device_of(self, name: str) -> str | None:
        """``cuda:N``: the deployment's first GPU as its workers number them (None: no GPU)."""
        d = self.deployment(name)
        return f"cuda:{self.gpus.index(d.gpus[0])}" if d is not None and d.gpus else None

    def deployment(self, name: str) -> DeploymentConfig | None:
        return next((d for d in self.deployments if d.name == name), None)

    def groups(self) -> list[WorkerGroup]:
        """Workers by interpreter: each group hosts the deployments of one environment in process.

        The first group (the one of the deployment taking the most traffic) accepts on the
        endpoint's port; the others are reached through it (see forward.py). One environment: one
        group, no hop.
        """
        by_python: dict[str | None, list[DeploymentConfig]] = {}
        for d in self.deployments:
            by_python.setdefault(d.python, []).append(d)
        main = max(self.deployments, key=lambda d: (self.traffic.get(d.name, 0), d.python is None)).python
        order = [main] + sorted((p for p in by_python if p != main), key=lambda p: p or "")
        return [WorkerGroup(index=i, python=p, deployments=[d.name for d in by_python[p]],
                            workers=max(d.replicas for d in by_python[p])) for i, p in enumerate(order)]

    def slot_groups(self) -> list[int]:
        """Group index of each worker slot."""
        return [g.index for g in self.groups() for _ in range(g.workers)]

    @property
    def workers(self) -> int:
        """Every worker hosts all deployments of its group (no proxy hop), so each group runs
        max(replicas) of them."""
        return sum(g.workers for g in self.groups())


class WorkerGroup(BaseModel):
    index: int
    python: str | None
    deployments: list[str]
    workers: int
