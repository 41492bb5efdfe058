"""Export a registered version to ONNX (as a job) and package an ONNX version for devices."""

from __future__ import annotations

import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest
from ..registry import ModelService
from ..jobs.schemas import CommandJobSpec, Job
from ..registry.schemas import ModelVersion
from .schemas import ModelExport

EXPORT_EXPERIMENT = "model-exports"
TARGETS = ("edge",)


class ExportService:
    def __init__(self, models: ModelService, jobs, tracking_uri: str):
        self.models = models
        self.jobs = jobs
        self.tracking_uri = tracking_uri

    def export(self, name: str, version: str, body: ModelExport) -> Job:
        """Submit the job that converts ``name:version`` and registers the ONNX version."""
        from .onnx import ExportError, flavor_of

        mv = self.models.version(name, version)
        try:
            flavor_of(self._mlmodel(mv))
        except ExportError as exc:
            raise InvalidRequest(f"{name}:{version} cannot be exported: {exc}") from None
        out_name = body.name or name
        from ..registry.service import MODEL_NAME

        if not MODEL_NAME.match(out_name):
            raise InvalidRequest("name must start with a letter or digit and use letters, digits, '_', '-', '.'")
        command = shlex.join([
            "python", "-m", "jupyter_mlservice.core.export.runner", "--source", f"models:/{name}/{mv.version}",
            "--name", out_name, "--format", body.format, "--tolerance", repr(body.tolerance),
        ])  # fmt: skip
        spec = CommandJobSpec(
            command=command, target=body.target, experiment=body.experiment or EXPORT_EXPERIMENT,
            display_name=f"export {name}:{mv.version} to {body.format}", timeout_s=body.timeout_s,
            environment_variables={"MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
        )  # fmt: skip
        return self.jobs.submit(spec, extra_tags={"mlservice.export_of": f"{name}:{mv.version}",
                                                  "mlservice.export_format": body.format})  # fmt: skip

    def package(self, name: str, version: str, target: str) -> tuple[str, bytes]:
        """A zip of the folder that runs ``name:version`` (an ONNX version) with onnxruntime only."""
        from .edge import write_package, zip_folder

        if target not in TARGETS:
            raise InvalidRequest(f"unknown package target {target!r}; use one of: {', '.join(TARGETS)}")
        mv = self.models.version(name, version)
        flavors = self._mlmodel(mv).get("flavors") or {}
        if "onnx" not in flavors:
            raise InvalidRequest(
                f"{name}:{mv.version} is not an ONNX model; export it first: "
                f"ml.models.export('{name}:{mv.version}', format='onnx'), then package the new version"
            )
        work = Path(tempfile.mkdtemp(prefix="mlservice-package-"))
        try:
            model_dir = self.models.download(f"{name}:{mv.version}", work / "model")
            onnx_file = model_dir / flavors["onnx"].get("data", "model.onnx")
            columns = self._columns(model_dir)
            folder = write_package(onnx_file, work / "package", mv.model_dump(), columns)
            return f"{name}-{mv.version}-{target}", zip_folder(folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _mlmodel(self, mv: ModelVersion) -> dict[str, Any]:
        import mlflow.artifacts
        import yaml

        source = mv.source.rstrip("/")
        if source.startswith("models:/m-"):  # a logged model (mlflow.register_model of models:/<model id>)
            source = self.models.client.get_logged_model(source[len("models:/"):].split("/")[0]).artifact_location
        with tempfile.TemporaryDirectory() as tmp:
            path = mlflow.artifacts.download_artifacts(artifact_uri=source + "/MLmodel", dst_path=tmp,
                                                       tracking_uri=self.tracking_uri)  # fmt: skip
            text = Path(path).read_text()
        return yaml.safe_load(text) or {}

    @staticmethod
    def _columns(model_dir: Path) -> list[str] | None:
        from mlflow.models import Model

        schema = Model.load(str(model_dir)).get_input_schema()
        return schema.input_names() if schema is not None and not schema.is_tensor_spec() else None
