"""`ml.environments`: named, versioned Python environments for jobs and deployments."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..core.errors import InvalidRequest, MLServiceError
from .http import HTTP, Record


class EnvironmentBuildFailed(MLServiceError):
    pass


class Environment(Record):
    """``env.reference`` (``sk12@1``), ``env.state``, ``env.resolved``, ``env.warnings``."""

    def __repr__(self) -> str:
        return f"Environment({self.reference!r}, state={self.state!r})"


class Environments:
    def __init__(self, http: HTTP):
        self._http = http

    def create(
        self,
        name: str,
        requirements: list[str] | None = None,
        *,
        requirements_file: str | os.PathLike | None = None,
        conda_file: str | os.PathLike | None = None,
        model: str | None = None,
        description: str = "",
        build: bool = True,
    ) -> Environment:
        """Create a version (resolved at once; built in the background, or on first use with build=False).

        ``ml.environments.create(name="sk12", requirements=["scikit-learn==1.2.2", "numpy<2"])``
        ``ml.environments.create(name="azure-env", conda_file="env.yml")``
        """
        body: dict[str, Any] = {"name": name, "description": description, "build": build}
        given = [k for k, v in (("requirements", requirements), ("requirements_file", requirements_file),
                                ("conda_file", conda_file), ("model", model)) if v is not None]
        if len(given) != 1:
            raise InvalidRequest("pass exactly one of requirements=, requirements_file=, conda_file= or model=")
        if requirements is not None:
            body["requirements"] = list(requirements)
        elif requirements_file is not None:
            body["requirements_txt"] = Path(requirements_file).read_text()
        elif conda_file is not None:
            body["conda_yaml"] = Path(conda_file).read_text()
        else:
            body["model"] = model
        return Environment(self._http.post("/environments", body, timeout=max(self._http.timeout, 600)))

    def get(self, ref: str) -> Environment:
        """``ml.environments.get("sk12@1").state``"""
        return Environment(self._http.get(f"/environments/{quote(ref, safe='')}"))

    def list(self, name: str | None = None) -> list[Environment]:
        """The latest version of each environment, or every version of ``name``. ``ml.environments.list()``"""
        return [Environment(e) for e in self._http.get("/environments", params={"name": name, "limit": 1000})["items"]]

    def build(self, ref: str, timeout: float = 1800) -> Environment:
        """Build now (or wait for the build in progress). ``ml.environments.build("sk12@1")``"""
        try:
            return Environment(self._http.post(f"/environments/{quote(ref, safe='')}/build", timeout=timeout))
        except InvalidRequest as exc:
            raise EnvironmentBuildFailed(exc.message) from None

    def wait(self, ref: str, timeout: float = 1800) -> Environment:
        """Until a background build ends; raises EnvironmentBuildFailed with the reason. ``ml.environments.wait("sk12@1")``"""
        deadline = time.monotonic() + timeout
        while True:
            env = self.get(ref)
            if env.state == "Ready":
                return env
            if env.state == "Failed":
                raise EnvironmentBuildFailed(f"environment {env.reference}: {env.error}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"environment {env.reference} is still {env.state} after {timeout} s")
            time.sleep(0.5)

    def logs(self, ref: str) -> str:
        """The build log. ``print(ml.environments.logs("sk12@1"))``"""
        return self._http.get(f"/environments/{quote(ref, safe='')}/logs")["text"]
