"""What a ray target's settings mean, and whether a job's resource request fits a node."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu: float = Field(1, ge=0, description="CPU cores of the node.")
    gpu: float = Field(0, ge=0, description="GPUs of the node.")
    memory: int | str | None = Field(None, description="Memory for tasks, bytes or `4Gi`.")
    custom: dict[str, float] = Field(default_factory=dict, description="Custom resources, e.g. `{\"tpu\": 1}`.")

    @field_validator("memory")
    @classmethod
    def _bytes(cls, v):
        from ...schemas import parse_bytes

        return None if v is None else parse_bytes(v)


class RaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["managed", "attached"] = Field(
        "managed", description="managed: the service runs a local Ray head; attached: an existing cluster."
    )
    address: str | None = Field(None, description="attached: the cluster's dashboard address, `http://host:8265`.")
    auth_token: str | None = Field(
        None, description="attached: the cluster's token (RAY_AUTH_MODE=token); stored apart, shown as secret:..."
    )
    head: NodeSpec = Field(default_factory=lambda: NodeSpec(cpu=1), description="managed: the head node's resources.")
    node: NodeSpec | None = Field(None, description="managed: the resources of each autoscaled worker node.")
    min_nodes: int = Field(0, ge=0, le=1000, description="Worker nodes kept up even when idle.")
    max_nodes: int = Field(0, ge=0, le=1000, description="Most worker nodes the autoscaler starts.")
    idle_timeout_s: float = Field(60, ge=0, description="A worker node idle this long is removed.")
    object_store_memory: int | None = Field(None, ge=78_643_200, description="managed: object store bytes per node.")
    pending_timeout_s: float = Field(
        600, gt=0, description="A job still PENDING on the cluster after this many seconds fails."
    )
    tracking_uri: str | None = Field(
        None, description="MLflow tracking URI as the nodes reach it; default the workspace's (same machine/FS)."
    )
    python: str | None = Field(
        None, description="Python on the nodes; default this server's interpreter (managed) or `python` (attached)."
    )
    runtime_env: dict[str, Any] = Field(default_factory=dict, description="Extra Ray runtime_env (pip, env_vars...).")
    environments_dir: str | None = Field(
        None, description="attached: where the nodes build the environments jobs ask for (default "
        "~/.cache/jupyter-mlservice/environments); a managed head uses the server's."
    )

    @model_validator(mode="after")
    def _check(self):
        if self.mode == "attached":
            if not self.address or not self.address.startswith(("http://", "https://")):
                raise ValueError("attached mode needs address, the dashboard URL such as http://head:8265")
        else:
            if self.address:
                raise ValueError("address is for attached mode; a managed target starts its own head")
            if self.auth_token:
                raise ValueError("auth_token is for attached mode; a managed head makes its own token")
            if self.max_nodes and self.node is None:
                raise ValueError("max_nodes > 0 needs node (the resources of a worker node)")
        if self.min_nodes > self.max_nodes:
            raise ValueError("min_nodes must not exceed max_nodes")
        if "working_dir" in self.runtime_env:
            raise ValueError("runtime_env.working_dir is set per job from its code snapshot; remove it")
        return self


def ray_resources(res: dict[str, Any]) -> dict[str, float]:
    """A job's `resources` (cpu, gpu, memory, custom) as Ray resource names."""
    want: dict[str, float] = {"CPU": float(1 if res.get("cpu") is None else res["cpu"])}
    if res.get("gpu"):
        want["GPU"] = float(res["gpu"])
    if res.get("memory"):
        want["memory"] = float(res["memory"])
    want.update({k: float(v) for k, v in (res.get("custom") or {}).items()})
    return want


def fits(want: dict[str, float], offer: dict[str, float]) -> bool:
    for k, v in want.items():
        if v <= 0:
            continue
        if k == "memory" and "memory" not in offer:
            continue  # Ray gives a node most of its host's memory unless told otherwise
        if offer.get(k, 0.0) < v:
            return False
    return True


def describe(res: dict[str, float]) -> str:
    parts = []
    for k, v in res.items():
        if k == "object_store_memory":
            continue
        if k == "memory":
            parts.append(f"memory={v / 2**30:.3g}Gi")
        else:
            parts.append(f"{k.lower() if k in ('CPU', 'GPU') else k}={v:g}")
    return ", ".join(parts) or "nothing"
