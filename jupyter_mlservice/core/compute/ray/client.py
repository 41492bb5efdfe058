"""The Ray Jobs API of one cluster: the dashboard's REST routes for status, logs, stop and the
cluster's nodes, and `JobSubmissionClient` for submission (``import ray`` only when a job is
submitted, so a server without ray targets does not pay for it)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import requests

# A head that just started may not have its job agent yet (HTTP 503): retry this long.
SUBMIT_RETRY_S = 30.0


def submission_id(job_id: str, attempt: int) -> str:
    return f"mls-{job_id}-{attempt}"


class RayCluster:
    """One cluster's dashboard, reached with one HTTP session (and its token, if any)."""

    def __init__(self, address: str, token: str | None):
        self.address = address.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self._client = None
        self._client_lock = threading.Lock()

    def get(self, path: str, timeout: float = 10) -> Any:
        r = self.session.get(self.address + path, timeout=timeout)
        if r.status_code == 404:
            return None
        _raise_for(r)
        return r.json()

    def info(self, sid: str) -> dict[str, Any] | None:
        """The job's record (``status``, ``driver_exit_code``, ``message``...); None when the cluster has none."""
        return self.get(f"/api/jobs/{sid}")

    def logs(self, sid: str) -> str:
        data = self.get(f"/api/jobs/{sid}/logs", timeout=30)
        return (data or {}).get("logs", "")

    def stop(self, sid: str) -> None:
        r = self.session.post(self.address + f"/api/jobs/{sid}/stop", timeout=10)
        if r.status_code not in (200, 404):
            _raise_for(r)

    def nodes(self) -> list[dict[str, Any]]:
        """The cluster's nodes, as the state API lists them."""
        return ((self.get("/api/v0/nodes?detail=1") or {}).get("data") or {}).get("result", {}).get("result", [])

    def load(self) -> dict[str, Any]:
        """The autoscaler's load report: ``usageByNode``, ``resourceDemand``."""
        return (((self.get("/api/cluster_status") or {}).get("data") or {}).get("clusterStatus") or {}).get("loadMetricsReport") or {}

    def submit(self, canceled: Callable[[], bool], **request: Any) -> None:
        """Submit a job (its ``submission_id`` chosen by us); retries while the head's job agent is
        not up yet, and counts "already exists" as done (an earlier try whose answer was lost)."""
        deadline = time.monotonic() + SUBMIT_RETRY_S
        while True:
            if canceled():
                raise RuntimeError("canceled before it reached the cluster")
            try:
                self._submission_client().submit_job(**request)
                return
            except Exception as exc:
                text = str(exc).lower()
                if "already" in text and "exist" in text:
                    return
                if "authentication" in text or "401" in text or "403" in text:
                    raise PermissionError("the Ray cluster refused our token; check the target's auth_token") from exc
                if time.monotonic() > deadline or isinstance(exc, (PermissionError, ValueError, TypeError)):
                    raise
                time.sleep(1.0)

    def _submission_client(self):
        with self._client_lock:
            if self._client is None:
                from ray.job_submission import JobSubmissionClient  # heavy: only when needed

                self._client = JobSubmissionClient(self.address, headers=dict(self.session.headers))
        return self._client


def _raise_for(r: requests.Response) -> None:
    if r.status_code in (401, 403):
        raise PermissionError(f"the Ray cluster refused the request ({r.status_code}); check the target's auth_token")
    r.raise_for_status()
