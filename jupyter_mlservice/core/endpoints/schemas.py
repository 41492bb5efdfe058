"""REST models of endpoints and deployments (Azure ML online endpoints as the reference)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from ..monitoring.schemas import CollectSettings
from ..schemas import ENDPOINT_NAME_PATTERN, Model, env_names

EndpointState = Literal["Creating", "Healthy", "Unhealthy", "Updating", "Deleting"]
DeploymentState = Literal["Creating", "Healthy", "Unhealthy", "Failed", "Updating", "Deleting"]


class RequestSettings(Model):
    request_timeout_ms: int = Field(5000, ge=1, le=600_000, description="Unanswered after this: 504.")
    max_concurrent_requests: int = Field(64, ge=1, le=10_000, description="Scored at once per worker; more wait.")
    max_queue_wait_ms: int = Field(500, ge=0, le=600_000, description="Waited longer than this for a slot: 429.")
    max_batch_size: int = Field(64, ge=1, le=10_000, description="Concurrent requests merged into one predict (1: off).")


class Batching(Model):
    max_batch_size: int = Field(32, ge=1, le=4096, description="Rows scored in one forward pass at most.")
    max_delay_ms: float = Field(5, ge=0, le=1000, description="How long a batch's first request waits for others.")


class EndpointCreate(Model):
    name: str = Field(pattern=ENDPOINT_NAME_PATTERN, description="Letters, digits and '-', starting with a letter.")
    auth_mode: Literal["key", "none"] = Field("key", description="`key`: Bearer key required; `none`: local experiments only.")
    description: str = ""


class EndpointUpdate(Model):
    description: str | None = None


class Endpoint(Model):
    name: str
    description: str
    auth_mode: str
    scoring_uri: str = Field(description="Where to POST requests: `<base_uri>/score`, as Azure ML reports it (every deployment "
                             "answers /score: a script's run(), an MLflow model with MLflow's payloads).")
    base_uri: str = Field(description="The endpoint's root: /score, /invocations, /v2/models/..., /swagger.json hang off it.")
    swagger_uri: str
    status: EndpointState
    error: str | None = None
    traffic: dict[str, int]
    mirror_traffic: dict[str, int]
    deployments: list[str]
    created_at: datetime


class EndpointPage(Model):
    items: list[Endpoint]
    next_cursor: str | None = None


class EndpointKeys(Model):
    primary: str | None
    secondary: str | None


class KeyRegenerate(Model):
    key: Literal["primary", "secondary"] = "primary"


class TrafficSet(Model):
    traffic: dict[str, int] = Field(description="Percent per deployment; adds up to 100 (or 0).")


class MirrorSet(Model):
    mirror_traffic: dict[str, int] = Field(description="Percent of requests copied to a deployment (answers dropped).")


class DeploymentCreate(Model):
    name: str = Field(pattern=ENDPOINT_NAME_PATTERN)
    model: str = Field(description="Registered model: `iris:3`, `iris@champion` or `iris` (latest).")
    code: str | None = Field(None, description="Folder with the scoring script (server path), snapshotted.")
    scoring_script: str | None = Field(None, description="Azure ML style script (init/run) inside `code`.")
    replicas: int = Field(1, ge=1, le=32, description="Worker processes.")
    request_settings: RequestSettings = Field(default_factory=RequestSettings)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    collect: CollectSettings | None = Field(None, description="Record inputs and predictions for monitoring (off when null).")
    environment: str | None = Field(None, description="Serve in this environment (`sk12@1`); default: see env_manager.")
    env_manager: Literal["local", "virtualenv"] | None = Field(
        None, description="`virtualenv`: an environment from the MLflow model's own requirements; `local`: the server's. "
        "Default: virtualenv when the model's pinned versions disagree with the server's, else local.")
    return_script_errors: bool = Field(False, description="Answer a scoring script's exception message (logged either way).")
    batching: Batching | None = Field(None, description="Dynamic batching: concurrent tensor requests share one forward pass.")
    gpu: int = Field(0, ge=0, le=16, description="GPUs given to the deployment (its workers see them as CUDA_VISIBLE_DEVICES).")
    all_traffic: bool = Field(False, description="Once this deployment is Healthy, route 100% of the endpoint's traffic to it.")

    _env = field_validator("environment_variables")(classmethod(lambda cls, v: env_names(v)))


class DeploymentUpdate(Model):
    model: str | None = None
    code: str | None = None
    scoring_script: str | None = None
    replicas: int | None = Field(None, ge=1, le=32)
    request_settings: RequestSettings | None = None
    environment_variables: dict[str, str] | None = None
    collect: CollectSettings | None = Field(None, description="Null turns collection off.")
    environment: str | None = None
    env_manager: Literal["local", "virtualenv"] | None = None
    return_script_errors: bool | None = None
    batching: Batching | None = None
    gpu: int | None = Field(None, ge=0, le=16)
    all_traffic: bool = Field(False, description="Once this deployment is Healthy, route 100% of the endpoint's traffic to it.")

    _env = field_validator("environment_variables")(classmethod(lambda cls, v: env_names(v)))


class Deployment(Model):
    endpoint: str
    name: str
    model: str = Field(description="The reference as given.")
    model_name: str
    model_version: str
    scoring_script: str | None
    replicas: int
    request_settings: RequestSettings
    environment_variables: dict[str, str]
    collect: CollectSettings | None = None
    environment: str | None = Field(None, description="The environment it runs in (`name@version`); null: the server's.")
    environment_reason: str | None = Field(None, description="Why the model got its own environment (env_manager default).")
    return_script_errors: bool = False
    batching: Batching | None = None
    gpu: int = 0
    gpus: list[str] = Field(default_factory=list, description="The GPU ids it was given.")
    status: DeploymentState
    error: str | None = None
    ready_workers: int = 0
    traffic: int = 0
    mirror_traffic: int = 0
    all_traffic_pending: bool = Field(False, description="Asked for all traffic; it moves here once the deployment is Healthy.")
    created_at: datetime
    updated_at: datetime


class DeploymentList(Model):
    items: list[Deployment]


class InvokeRequest(Model):
    data: Any = Field(description="JSON payload sent as is.")
    path: str = Field("/invocations", description="/invocations (MLflow), /score (scoring script) or /v2/models/{name}/infer.")
    deployment: str | None = Field(None, description="Send to this deployment (mlservice-deployment header).")


class InvokeResponse(Model):
    status: int
    body: Any
    deployment: str | None = Field(None, description="Which deployment answered.")
    latency_ms: float


class EndpointMetrics(Model):
    deployments: dict[str, dict[str, float]] = Field(
        description="requests, errors, p50_ms, p99_ms per deployment; collected and collection_dropped when it collects."
    )


class EndpointHistoryEntry(Model):
    time: datetime = Field(description="From when the endpoint served this (UTC).")
    traffic: dict[str, int]
    mirror_traffic: dict[str, int]
    models: dict[str, str] = Field(description="Deployment -> the model version it served (`name:version`).")


class EndpointHistory(Model):
    endpoint: str
    items: list[EndpointHistoryEntry] = Field(description="Newest first; with `at`, the one entry in force then.")


class EndpointRestore(Model):
    at: datetime = Field(description="Serve again what the endpoint served at this instant (naive = UTC).")
