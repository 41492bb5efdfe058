"""REST models of model export and packaging."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..schemas import Model


class ModelExport(Model):
    format: Literal["onnx"] = Field("onnx", description="Only `onnx` for now.")
    tolerance: float = Field(
        1e-4, ge=0, description="Largest absolute difference allowed between the ONNX model's and the original's answers on sample data."
    )
    name: str | None = Field(None, description="Register the result under this name; default: a new version of the same model.")
    target: str = Field("local", description="Compute target the export job runs on.")
    experiment: str | None = Field(None, description="Experiment of the export job (default `model-exports`).")
    timeout_s: float | None = Field(None, gt=0)
