"""`ml.endpoints` and `ml.deployments`: real-time scoring services."""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import quote

from ..errors import MLServiceError
from .http import Collection, Record as _Record


# Changing traffic, keys or deployments rolls the endpoint out before the server answers, and a
# rollout may take up to 10 minutes (serving/supervisor.py's ROLLOUT_TIMEOUT_S): wait that long.
ROLLOUT_TIMEOUT_S = 660.0


class Endpoint(_Record):
    """``ep.scoring_uri`` (``<base>/score``, as Azure ML reports it), ``ep.base_uri`` (/invocations, /v2/... hang
    off it), ``ep.traffic``."""


class Deployment(_Record):
    """``dep.status`` (Creating, Healthy, Unhealthy, Failed, Updating, Deleting), ``dep.error``."""


class DeploymentFailed(MLServiceError):
    pass


def _q(value: str) -> str:
    return quote(value, safe="")


class Endpoints(Collection):
    def create(self, name: str, auth_mode: str = "key", description: str = "") -> Endpoint:
        """``ep = ml.endpoints.create(name="iris", auth_mode="key")``"""
        return Endpoint(self._http.post("/endpoints", {"name": name, "auth_mode": auth_mode, "description": description}))

    def get(self, name: str) -> Endpoint:
        """``ml.endpoints.get("iris").scoring_uri``"""
        return Endpoint(self._http.get(f"/endpoints/{_q(name)}"))

    def list(self) -> list[Endpoint]:
        return [Endpoint(e) for e in self._http.get("/endpoints")["items"]]

    def delete(self, name: str) -> None:
        """Stop the endpoint and delete it with its deployments. ``ml.endpoints.delete("iris")``"""
        self._http.delete(f"/endpoints/{_q(name)}", timeout=ROLLOUT_TIMEOUT_S)

    def get_keys(self, name: str) -> dict[str, str]:
        """``ml.endpoints.get_keys("iris")["primary"]``"""
        return self._http.get(f"/endpoints/{_q(name)}/keys")

    def regenerate_key(self, name: str, key: str = "primary") -> dict[str, str]:
        """``ml.endpoints.regenerate_key("iris", "secondary")``"""
        return self._http.post(f"/endpoints/{_q(name)}/keys/regenerate", {"key": key}, timeout=ROLLOUT_TIMEOUT_S)

    def set_traffic(self, name: str, traffic: dict[str, int]) -> Endpoint:
        """``ml.endpoints.set_traffic("iris", {"blue": 90, "green": 10})``"""
        return Endpoint(self._http.request("PUT", f"/endpoints/{_q(name)}/traffic", json={"traffic": traffic},
                                          timeout=ROLLOUT_TIMEOUT_S))

    def set_mirror(self, name: str, mirror: dict[str, int]) -> Endpoint:
        """Copy a share of requests to a deployment (its answers are dropped). ``ml.endpoints.set_mirror("iris", {"green": 10})``"""
        return Endpoint(self._http.request("PUT", f"/endpoints/{_q(name)}/mirror", json={"mirror_traffic": mirror},
                                          timeout=ROLLOUT_TIMEOUT_S))

    def history(self, name: str, at: Any = None, limit: int = 100) -> list[dict[str, Any]]:
        """What the endpoint served and since when, newest first: traffic, mirror traffic and each
        deployment's model version. ``at`` (a datetime or ISO string): only the entry in force then.
        ``ml.endpoints.history("iris", at="2026-12-01T09:00:00Z")[0]["models"]``"""
        params = {"limit": limit, **({"at": at.isoformat() if hasattr(at, "isoformat") else str(at)} if at is not None else {})}
        return self._http.get(f"/endpoints/{_q(name)}/history", params=params)["items"]

    def restore(self, name: str, at: Any) -> Endpoint:
        """Serve again what the endpoint served at ``at`` (its traffic split), if those deployments
        still serve the same versions. ``ml.endpoints.restore("iris", at=before_the_rollout)``"""
        when = at.isoformat() if hasattr(at, "isoformat") else str(at)
        return Endpoint(self._http.request("POST", f"/endpoints/{_q(name)}/restore", json={"at": when}, timeout=ROLLOUT_TIMEOUT_S))

    def invoke(self, name: str, data: Any, deployment: str | None = None, path: str = "/invocations") -> Any:
        """Call the endpoint with a JSON payload, as an application would; returns the decoded answer.

        ``ml.endpoints.invoke("iris", {"dataframe_split": {"columns": [...], "data": [[...]]}})``
        """
        import requests

        ep = self.get(name)
        headers = {}
        if ep.auth_mode == "key":
            headers["Authorization"] = f"Bearer {self.get_keys(name)['primary']}"
        if deployment:
            headers["mlservice-deployment"] = deployment
        resp = requests.post(ep.base_uri + path, json=data, headers=headers, timeout=60)
        if resp.status_code >= 400:
            raise MLServiceError(f"endpoint {name} answered {resp.status_code}: {resp.text[:500]}")
        try:
            return resp.json()
        except ValueError:
            return resp.text

    def metrics(self, name: str) -> dict[str, dict[str, float]]:
        """``ml.endpoints.metrics("iris")["blue"]["requests"]``"""
        return self._http.get(f"/endpoints/{_q(name)}/metrics")["deployments"]


class Deployments(Collection):
    def create(
        self,
        endpoint: str,
        name: str,
        model: str,
        *,
        code: str | os.PathLike | None = None,
        scoring_script: str | None = None,
        replicas: int = 1,
        request_settings: dict[str, Any] | None = None,
        environment_variables: dict[str, str] | None = None,
        all_traffic: bool = False,
        collect: dict[str, Any] | bool | None = None,
        environment: str | None = None,
        env_manager: str | None = None,
        return_script_errors: bool = False,
        batching: dict[str, Any] | None = None,
        gpu: int = 0,
        wait: bool = True,
        timeout: float = 300,
    ) -> Deployment:
        """Deploy a registered model (``iris:1``, ``iris@champion``); waits until Healthy unless wait=False.
        With all_traffic=True the server moves all of the endpoint's traffic to it once it is Healthy;
        ``collect=True`` (or ``{"inputs": True, "outputs": True, "sample_rate": 0.5}``) records what
        it scores for monitoring; ``batching`` groups concurrent tensor requests into one forward
        pass; ``gpu`` gives it GPUs.

        ``ml.deployments.create(endpoint="iris", name="green", model="iris:2", all_traffic=True, collect=True)``
        ``ml.deployments.create(endpoint="iris", name="old", model="iris:1", environment="sk12@1")``
        ``ml.deployments.create(endpoint="mnist", name="cnn", model="mnist:3", batching={"max_batch_size": 32, "max_delay_ms": 5})``
        """
        body: dict[str, Any] = {
            "name": name,
            "model": model,
            "replicas": replicas,
            "scoring_script": scoring_script,
            "environment_variables": environment_variables or {},
            "all_traffic": all_traffic,
            "environment": environment,
            "env_manager": env_manager,
            "return_script_errors": return_script_errors,
        }
        if request_settings:
            body["request_settings"] = request_settings
        if collect:  # True: inputs and outputs of every request; a dict: {"inputs", "outputs", "sample_rate"}
            body["collect"] = {} if collect is True else collect
        if batching is not None:
            body["batching"] = batching
        if gpu:
            body["gpu"] = gpu
        if code is not None:
            body["code"] = os.path.abspath(code) if os.path.exists(code) else str(code)
        dep = Deployment(self._http.post(f"/endpoints/{_q(endpoint)}/deployments", body))
        return self.wait(endpoint, name, timeout) if wait else dep

    def update(self, endpoint: str, name: str, *, wait: bool = True, timeout: float = 300, **changes: Any) -> Deployment:
        """Change model, replicas, settings or code with no downtime (all_traffic=True: then take all traffic).

        ``ml.deployments.update(endpoint="iris", name="blue", model="iris:2")``
        """
        if "code" in changes and changes["code"] is not None and os.path.exists(changes["code"]):
            changes["code"] = os.path.abspath(changes["code"])
        dep = Deployment(self._http.patch(f"/endpoints/{_q(endpoint)}/deployments/{_q(name)}", changes))
        return self.wait(endpoint, name, timeout) if wait else dep

    def wait(self, endpoint: str, name: str, timeout: float = 300) -> Deployment:
        """Until the deployment leaves Creating/Updating (and took the traffic it asked for); raises
        DeploymentFailed with the reason."""
        deadline = time.monotonic() + timeout
        while True:
            dep = self.get(endpoint=endpoint, name=name)
            if dep.status not in ("Creating", "Updating") and not (dep.status == "Healthy" and dep.data.get("all_traffic_pending")):
                if dep.status == "Failed":
                    raise DeploymentFailed(f"deployment {endpoint}/{name} failed: {dep.error}")
                return dep
            if time.monotonic() > deadline:
                raise TimeoutError(f"deployment {endpoint}/{name} is still {dep.status} after {timeout} s")
            time.sleep(0.5)

    def get(self, endpoint: str, name: str) -> Deployment:
        """``ml.deployments.get(endpoint="iris", name="blue").status``"""
        return Deployment(self._http.get(f"/endpoints/{_q(endpoint)}/deployments/{_q(name)}"))

    def list(self, endpoint: str) -> list[Deployment]:
        return [Deployment(d) for d in self._http.get(f"/endpoints/{_q(endpoint)}/deployments")["items"]]

    def logs(self, endpoint: str, name: str) -> str:
        """What the deployment's model or scoring script printed. ``print(ml.deployments.logs(endpoint="iris", name="blue"))``"""
        return self._http.get(f"/endpoints/{_q(endpoint)}/deployments/{_q(name)}/logs")["text"]

    def delete(self, endpoint: str, name: str) -> None:
        """``ml.deployments.delete(endpoint="iris", name="blue")`` (shift its traffic away first)"""
        self._http.delete(f"/endpoints/{_q(endpoint)}/deployments/{_q(name)}", timeout=ROLLOUT_TIMEOUT_S)
