"""REST models of environments."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from ..schemas import Model

ENVIRONMENT_NAME = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"
EnvironmentState = Literal["NotBuilt", "Building", "Ready", "Failed"]


class EnvironmentCreate(Model):
    """Give exactly one of requirements, requirements_txt, conda_yaml or model."""

    name: str = Field(pattern=ENVIRONMENT_NAME, description="Letters, digits, '_', '.', '-'; starts with a letter.")
    description: str = ""
    requirements: list[str] | None = Field(None, description='pip requirements, e.g. ["scikit-learn==1.2.2", "numpy<2"].')
    requirements_txt: str | None = Field(None, description="A requirements file's text (package lines only).")
    conda_yaml: str | None = Field(
        None, description="A conda file's text (Azure's / MLflow's): its pip list and dependencies become pip pins.")
    model: str | None = Field(None, description="A registered MLflow model (`iris:1`, `iris@champion`): its own requirements.")
    build: bool = Field(True, description="Start building now (in the background); otherwise the first use builds it.")

    @model_validator(mode="after")
    def _one_source(self) -> EnvironmentCreate:
        given = [k for k in ("requirements", "requirements_txt", "conda_yaml", "model") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of requirements, requirements_txt, conda_yaml or model"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


class Environment(Model):
    name: str
    version: int
    reference: str = Field(description="`name@version`: what jobs and deployments ask for.")
    description: str
    source: str = Field(description="requirements | requirements_txt | conda_yaml | model:<ref>")
    requirements: list[str] = Field(description="The user's requirements, as pip lines (conda translated).")
    resolved: list[str] = Field(description="Every package installed, name==version (the service's own needs included).")
    key: str = Field(description="Cache key: hash of the resolved requirements and the interpreter.")
    python: str = Field(description="Interpreter version (the server's).")
    warnings: list[str]
    state: EnvironmentState
    error: str | None = None
    created_at: datetime


class EnvironmentPage(Model):
    items: list[Environment]
    next_cursor: str | None = None


class EnvironmentLog(Model):
    text: str
    offset: int
    size: int
    complete: bool = Field(description="True once the build ended (Ready or Failed).")
